#include <pipewright/host/run/events.hpp>

#include <unistd.h>

#include <pipewright/util/text.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <iostream>

namespace pw {

namespace json = boost::json;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string str(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

std::int64_t num(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

std::string seconds(std::int64_t ms) {
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  else
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  return buf;
}

// A symbol in Unicode or in ASCII, coloured when the style says so.
struct Paint {
  const TextStyle& style;
  std::string symbol(std::string_view unicode, std::string_view ascii) const {
    return std::string(style.unicode ? unicode : ascii);
  }
  std::string red(const std::string& text) const { return wrap("31", text); }
  std::string yellow(const std::string& text) const { return wrap("33", text); }
  std::string green(const std::string& text) const { return wrap("32", text); }
  std::string bold(const std::string& text) const { return wrap("1", text); }
  std::string wrap(std::string_view code, const std::string& text) const {
    return style.colour ? "\x1b[" + std::string(code) + "m" + text + "\x1b[0m" : text;
  }
  std::string severity(const std::string& level) const {
    if (level == "error") return red(level);
    if (level == "warning" || level == "warn") return yellow(level);
    return level;
  }
};

std::string step_finished_line(const json::object& e, const Paint& paint) {
  std::string status = str(e, "status");
  std::string id = str(e, "step");
  std::string took = " (" + seconds(num(e, "duration_ms")) + ")";
  std::string error = str(e, "error");
  if (status == "ok") return paint.green(paint.symbol("✓", "ok")) + " " + id + took;
  if (status == "skipped")
    return "- " + id + " skipped" + (error.empty() ? "" : ": " + error);
  if (status == "cancelled") return paint.yellow(paint.symbol("⊘", "--")) + " " + id + " cancelled" + took;
  std::string line = paint.red(paint.symbol("✗", "x")) + " " + id + (error.empty() ? "" : ": " + error) + took;
  if (e.contains("continued")) line += paint.symbol(" — ", " - ") + "continuing (continue_on_error)";
  return line;
}

std::string diagnostic_line(const json::object& e, const Paint& paint) {
  std::string line = "  " + str(e, "step") + ": " + paint.severity(str(e, "severity")) + ": " + str(e, "summary");
  if (auto d = str(e, "detail"); !d.empty()) line += "\n    " + d;
  if (auto p = str(e, "pointer"); !p.empty()) line += "\n    at with" + p;
  if (auto h = str(e, "hint"); !h.empty()) line += "\n    hint: " + h;
  return line;
}

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

// A value as indented "key: value" lines, for a person: an object's members
// one per line, a list of scalars on one line, a short list of objects item
// by item, a long one only counted (--output json has it whole).
void append_value(std::string& out, const json::value& v, const std::string& indent) {
  if (const auto* o = v.if_object()) {
    if (o->empty()) return void(out += " -");
    for (const auto& [key, member] : *o) {
      out += "\n" + indent + std::string(key) + ":";
      append_value(out, member, indent + "  ");
    }
    return;
  }
  if (const auto* a = v.if_array()) {
    const bool scalars = std::all_of(a->begin(), a->end(), [](const json::value& x) { return !x.is_structured(); });
    if (a->empty()) return void(out += " none");
    if (scalars) {
      std::string joined;
      for (const auto& x : *a) joined += (joined.empty() ? "" : ", ") + scalar_text(x);
      return void(out += " " + joined);
    }
    if (a->size() > 3) return void(out += " " + std::to_string(a->size()) + " entries (--output json lists them)");
    for (const auto& x : *a) {
      out += "\n" + indent + "-";
      append_value(out, x, indent + "  ");
    }
    return;
  }
  out += " " + scalar_text(v);
}

// The pipeline's outputs, one per line: what the run produced or found.
std::string outputs_block(const json::object& e) {
  const auto* outputs = e.if_contains("outputs");
  if (outputs == nullptr || !outputs->is_object() || outputs->as_object().empty()) return {};
  std::string block = "\noutputs:";
  append_value(block, *outputs, "  ");
  return block;
}

// What a run that stopped got done and left undone, one step a line.
std::string account_block(const json::object& e, const Paint& paint) {
  const auto* account = e.if_contains("account");
  if (!account || !account->is_array() || account->as_array().empty()) return {};
  std::string block = "\nwhen the run stopped:";
  for (const auto& item : account->as_array()) {
    if (!item.is_object()) continue;
    const auto& a = item.as_object();
    if (a.contains("more")) {
      block += "\n  ... and " + str(a, "more") + " more";
      continue;
    }
    block += "\n  " + str(a, "step") + ": " + str(a, "status");
    if (auto done = str(a, "done"); !done.empty()) block += ", " + done;
    if (auto error = str(a, "error"); !error.empty() && str(a, "done") != "not started") block += paint.symbol(" — ", " - ") + error;
  }
  return block;
}

std::string run_finished_line(const json::object& e, const Paint& paint) {
  std::string line = outputs_block(e) + account_block(e, paint) + "\n" + str(e, "ok") + " ok, " + str(e, "failed") + " failed, " +
                     str(e, "skipped") + " skipped, " + str(e, "cancelled") + " cancelled in " +
                     seconds(num(e, "duration_ms")) + paint.symbol(" — ", " - ");
  std::string status = str(e, "status");
  if (status == "ok") return line + paint.green("run succeeded");
  if (status == "interrupted") return line + paint.yellow("run interrupted");
  return line + paint.red("run failed");
}

bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    const std::string lower = util::lower(v);
    return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
  }
  return false;
}

double real(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

// A plugin-reported duration in ms: NaN, infinite, negative or absurd values (a plugin's
// arithmetic gone wrong) are clamped so the cast to an integer stays defined.
std::int64_t clamped_ms(const json::object& e, std::string_view key) {
  const double s = real(e, key);
  if (!(s > 0.0)) return 0;  // also NaN
  return static_cast<std::int64_t>(std::min(s, 1e9) * 1000.0);
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) bytes /= 1000.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

// A transfer (it reports bytes) or a wait for the rate budget is shown at
// every verbosity: the host passes such reports on about once a second.
// Other progress is shown with -v.
std::string progress_line(const json::object& e, int verbosity, const Paint& paint) {
  const bool transfer = e.contains("bytes_total") && num(e, "total") > 0;
  const bool waiting = e.contains("waiting_s");
  if (!transfer && !waiting && verbosity < 1) return {};
  std::string line = "  " + str(e, "step") + ": " + str(e, "done") + "/" + str(e, "total");
  if (auto unit = str(e, "unit"); !unit.empty()) line += " " + unit;
  if (transfer) {
    line += ", " + bytes_text(real(e, "bytes_done")) + " of " + bytes_text(real(e, "bytes_total"));
    if (e.contains("rate_bytes_per_s")) line += ", " + bytes_text(real(e, "rate_bytes_per_s")) + "/s";
    if (e.contains("eta_s") && num(e, "done") < num(e, "total"))
      line += ", ETA " + seconds(clamped_ms(e, "eta_s"));
  } else if (auto m = str(e, "message"); !m.empty()) {
    line += " " + m;
  }
  if (waiting)
    line += paint.symbol(" — ", " - ") + "waiting " + seconds(clamped_ms(e, "waiting_s")) +
            " for the rate budget";
  return line;
}

}  // namespace

TextStyle text_style_for(int fd) {
  const char* term = std::getenv("TERM");
  const bool dumb = term != nullptr && std::string_view(term) == "dumb";
  const char* no_color = std::getenv("NO_COLOR");
  TextStyle style;
  style.colour = ::isatty(fd) == 1 && !dumb && (no_color == nullptr || *no_color == '\0');
  style.unicode = !dumb && utf8_locale();
  return style;
}

std::string render_text(const json::object& e, int verbosity, const TextStyle& style) {
  const Paint paint{style};
  std::string type = str(e, "type");
  if (type == event::run_started) {
    // Every step and auth the run shows at the top level is counted.
    std::string counted = util::count_of(static_cast<std::size_t>(num(e, "steps")), "step");
    if (num(e, "auths") > 0) counted += ", " + util::count_of(static_cast<std::size_t>(num(e, "auths")), "auth");
    return paint.bold(paint.symbol("▶", ">") + " " + str(e, "pipeline")) + " (" + counted + ")";
  }
  if (type == event::run_finished) return run_finished_line(e, paint);
  if (type == event::step_started) {
    std::string attempt = num(e, "attempt") > 1 ? " attempt " + str(e, "attempt") : "";
    return paint.symbol("→", "->") + " " + str(e, "step") + " (" + str(e, "plugin") + ")" + attempt;
  }
  if (type == event::step_finished) return step_finished_line(e, paint);
  if (type == event::step_retried)
    return paint.yellow(paint.symbol("↻", "retry")) + " " + str(e, "step") + " attempt " + str(e, "attempt") +
           " failed: " + str(e, "error") + "; retrying in " + seconds(num(e, "delay_ms"));
  if (type == event::log) {
    std::string level = str(e, "level");
    if (level == "debug" && verbosity < 1) return {};
    std::string prefix = level == "info" ? "" : paint.severity(level) + ": ";
    return "  " + str(e, "step") + ": " + prefix + str(e, "message");
  }
  if (type == event::waiting)
    return "  " + paint.symbol("⏳", "wait") + " " + str(e, "step") + ": " + str(e, "reason") + " (" +
           str(e, "host") + "), " + seconds(num(e, "wait_ms"));
  // A retry is said at every verbosity: the step is waiting, and why.
  if (type == event::http && num(e, "retry_in_ms") > 0 && verbosity < 1) {
    std::string why = num(e, "status") == 429 ? "rate limited (429)"
                      : num(e, "status") != 0 ? "answered " + str(e, "status")
                                              : str(e, "error");
    return "  " + paint.yellow(paint.symbol("↻", "retry")) + " " + str(e, "step") + ": " + str(e, "method") + " " +
           str(e, "path") + " " + why +
           "; retrying in " + seconds(num(e, "retry_in_ms")) + " (attempt " +
           std::to_string(num(e, "attempt") + 1) + ")";
  }
  if (type == event::http) {
    if (verbosity < 1) return {};
    std::string line = "    " + str(e, "step") + " " + str(e, "method") + " " + str(e, "host") +
                       str(e, "path") + " " + paint.symbol("→", "->") + " " + str(e, "status") + " (" +
                       seconds(num(e, "duration_ms")) + ", attempt " + str(e, "attempt") + ")";
    if (auto err = str(e, "error"); !err.empty()) line += " " + err;
    return line;
  }
  if (type == event::progress) return progress_line(e, verbosity, paint);
  if (type == event::diagnostic) return diagnostic_line(e, paint);
  if (type == event::output_set) {
    if (verbosity < 1) return {};
    return "  " + str(e, "step") + ": output " + str(e, "name") +
           (e.contains("secret") && e.at("secret").is_bool() && e.at("secret").as_bool()
                ? " (secret)"
                : "");
  }
  return {};
}

std::string render_json(const json::object& e) { return json::serialize(e); }

EventStream::EventStream(const Redactor& redactor, OutputFormat format, int verbosity,
                         Writer writer)
    : redactor_(redactor), format_(format), verbosity_(verbosity), writer_(std::move(writer)) {
  if (!writer_) {
    to_stdout_ = true;
    style_ = text_style_for(STDOUT_FILENO);
    every_line_ = ::isatty(STDOUT_FILENO) == 1;
    writer_ = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    };
  }
}

EventStream::~EventStream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (to_stdout_) std::fflush(stdout);
}

namespace {

// Events a reader must see at once, whatever follows.
bool urgent(std::string_view type, const json::object& e) {
  if (type == event::run_started || type == event::run_finished || type == event::diagnostic ||
      type == event::step_retried)
    return true;
  if (type == event::step_finished) {
    const auto* status = e.if_contains("status");
    return !status || !status->is_string() || status->as_string() != "ok";
  }
  if (type == event::log) {
    const auto* level = e.if_contains("level");
    return !level || !level->is_string() || (level->as_string() != "info" && level->as_string() != "debug");
  }
  return false;
}

}  // namespace

void EventStream::remember(std::string_view type, const json::object& e) {
  const std::string step = str(e, "step");
  if (step.empty()) return;
  if (type == event::step_started) {
    if (!finished_.contains(step) && std::find(started_.begin(), started_.end(), step) == started_.end())
      started_.push_back(step);
  } else if (type == event::step_finished) {
    if (std::find(started_.begin(), started_.end(), step) == started_.end()) started_.push_back(step);
    json::object f{{"status", str(e, "status")}};
    if (auto error = str(e, "error"); !error.empty()) f["error"] = error;
    finished_[step] = std::move(f);
  } else if (type == event::progress) {
    last_progress_[step] = e;
  }
}

json::array EventStream::unfinished_account() const {
  constexpr std::size_t most = 50;
  std::lock_guard lock(mutex_);
  // A composite step (a matrix, a nested pipeline) is told by its inner steps.
  auto has_inner = [&](const std::string& step) {
    for (const auto& other : started_)
      if (other.size() > step.size() && other.starts_with(step) &&
          (other[step.size()] == '/' || other[step.size()] == '['))
        return true;
    return false;
  };
  json::array out;
  std::size_t left_out = 0;
  for (const auto& step : started_) {
    auto f = finished_.find(step);
    std::string status = f == finished_.end() ? "unfinished" : str(f->second, "status");
    if (status == "ok" || has_inner(step)) continue;
    if (out.size() >= most) {
      ++left_out;
      continue;
    }
    json::object entry{{"step", step}, {"status", status}};
    std::string error = f == finished_.end() ? "" : str(f->second, "error");
    if (auto p = last_progress_.find(step); p != last_progress_.end()) {
      const auto& e = p->second;
      std::string done = str(e, "done") + " of " + str(e, "total");
      if (auto unit = str(e, "unit"); !unit.empty()) done += " " + unit;
      if (e.contains("bytes_total"))
        done += " (" + bytes_text(real(e, "bytes_done")) + " of " + bytes_text(real(e, "bytes_total")) + ")";
      entry["done"] = done;
    }
    if (status == "skipped" || (status == "cancelled" && error.find("before") != std::string::npos))
      entry["done"] = "not started";
    if (!error.empty()) entry["error"] = error.substr(0, error.find('\n'));
    out.push_back(std::move(entry));
  }
  if (left_out > 0) out.push_back(json::object{{"more", static_cast<std::int64_t>(left_out)}});
  return out;
}

void EventStream::flush_later() {
  if (unflushed_) return;  // a flush is already due
  unflushed_ = true;
  flush_by_ = std::chrono::steady_clock::now() + flush_interval;
  if (!flusher_.joinable()) {
    flusher_ = std::thread([this] { flusher(); });
  } else {
    wake_.notify_all();
  }
}

void EventStream::flusher() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!unflushed_) {
      wake_.wait(lock, [this] { return stopping_ || unflushed_; });
      continue;
    }
    if (wake_.wait_until(lock, flush_by_, [this] { return stopping_ || !unflushed_; })) continue;
    std::fflush(stdout);
    unflushed_ = false;
  }
}

void EventStream::emit(std::string_view type, json::object fields) {
  json::object e;
  e["type"] = type;
  e["ts"] = now_ms();
  for (auto& kv : fields) e[kv.key()] = std::move(kv.value());
  std::string line = format_ == OutputFormat::json ? render_json(e) : render_text(e, verbosity_, style_);
  if (line.empty()) {
    std::lock_guard lock(mutex_);
    remember(type, e);
    return;
  }
  // Masking a serialized JSON line keeps it valid: "***" replaces text inside
  // a string literal, and the JSON-escaped form of each secret is masked too.
  line = redactor_.redact(line);
  std::lock_guard lock(mutex_);
  remember(type, e);
  writer_(line);
  if (!to_stdout_) return;
  if (every_line_ || urgent(type, e)) {
    std::fflush(stdout);
    unflushed_ = false;
  } else {
    flush_later();
  }
}

}  // namespace pw
