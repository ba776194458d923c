#include "host_http.hpp"

#include "request_signing.hpp"

#include <pipewright/util/text.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace pw {

namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kCleanupTimeout{10000};

// How the host authenticates one request: the step's auth headers (the
// default), none ("step_auth": false, ABI 1.2), or a signature ("sign",
// ABI 1.4).
enum class Authentication { step_headers, none, sigv4 };

std::optional<std::string> parse_range(const json::value& v, HttpRequest& out) {
  const auto* o = v.if_object();
  const auto* offset = o ? o->if_contains("offset") : nullptr;
  const auto* length = o ? o->if_contains("length") : nullptr;
  if (!offset || !length || !offset->is_int64() || !length->is_int64() || offset->as_int64() < 0 ||
      length->as_int64() < 0 || o->size() != 2)
    return "\"body_range\" must be {\"offset\": N, \"length\": N} with whole numbers >= 0";
  out.body_range = HttpRequest::Range{static_cast<std::uint64_t>(offset->as_int64()),
                                      static_cast<std::uint64_t>(length->as_int64())};
  return std::nullopt;
}

// Turns one request object into an HttpRequest, or an error message saying
// which member is wrong.
// `cleanup` is null for a batch request, which cannot be one.
std::optional<std::string> parse_request(const json::value& v, const CallContext& ctx,
                                         bool inline_body_allowed, HttpRequest& out, Authentication& auth,
                                         bool* cleanup) {
  if (!v.is_object()) return "the request must be a JSON object";
  const auto& o = v.as_object();
  for (const auto& kv : o) {
    static const std::string_view known[] = {"method",     "url",  "headers",   "body_file",  "safe_to_retry",
                                             "timeout_ms", "body", "step_auth", "body_range", "sign",
                                             "cleanup"};
    if (std::find(std::begin(known), std::end(known), kv.key()) == std::end(known) ||
        (kv.key() == "body" && !inline_body_allowed) || (kv.key() == "cleanup" && !cleanup))
      return "unknown request member \"" + std::string(kv.key()) + "\"";
  }
  if (auto* m = o.if_contains("method")) {
    if (!m->is_string() || m->as_string().empty()) return "\"method\" must be a non-empty string";
    out.method = std::string(m->as_string());
    std::transform(out.method.begin(), out.method.end(), out.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  auto* url = o.if_contains("url");
  if (!url || !url->is_string()) return "\"url\" is required and must be a string";
  out.url = std::string(url->as_string());
  if (!boost::urls::parse_absolute_uri(out.url)) return "\"url\" must be an absolute http(s) URL";
  if (auto* h = o.if_contains("headers")) {
    if (!h->is_object()) return "\"headers\" must be an object of strings";
    for (const auto& kv : h->as_object()) {
      if (!kv.value().is_string()) return "header \"" + std::string(kv.key()) + "\" must be a string";
      out.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  if (auto* f = o.if_contains("body_file")) {
    if (!f->is_string()) return "\"body_file\" must be a string path";
    std::filesystem::path p(std::string(f->as_string()));
    out.body_file = p.is_relative() ? ctx.workdir / p : p;
  }
  if (auto* r = o.if_contains("body_range")) {
    if (!out.body_file) return "\"body_range\" needs a \"body_file\"";
    if (auto why = parse_range(*r, out)) return why;
  }
  if (auto* a = o.if_contains("step_auth")) {
    if (!a->is_bool()) return "\"step_auth\" must be true or false";
    if (!a->as_bool()) auth = Authentication::none;
  }
  if (auto* c = o.if_contains("cleanup")) {
    if (!c->is_bool()) return "\"cleanup\" must be true or false";
    *cleanup = c->as_bool();
  }
  if (auto* s = o.if_contains("sign")) {
    if (!s->is_string() || s->as_string() != "aws-sigv4") return "\"sign\" must be \"aws-sigv4\"";
    if (auth == Authentication::none) return "\"sign\" and \"step_auth\": false exclude each other";
    if (!ctx.signing)
      return "\"sign\": the step's auth provides no S3 credentials (check the context's \"signing\" first)";
    auth = Authentication::sigv4;
    // R2's S3 API is not metered by the REST API's budget.
    out.metered = false;
  }
  if (auto* s = o.if_contains("safe_to_retry")) {
    if (!s->is_bool()) return "\"safe_to_retry\" must be true or false";
    out.safe_to_retry = s->as_bool();
  }
  if (auto* t = o.if_contains("timeout_ms")) {
    if (!t->is_int64() || t->as_int64() <= 0) return "\"timeout_ms\" must be a positive integer";
    out.timeout = std::chrono::milliseconds(t->as_int64());
  }
  if (auto* b = o.if_contains("body")) {
    if (!b->is_string()) return "\"body\" must be a string";
    out.body = std::string(b->as_string());
  }
  return std::nullopt;
}

// Auth headers replace any header of the same name the plugin set: the
// plugin must not be able to shadow or read them. A request sent with
// "step_auth": false carries the plugin's own credential instead, and
// spends that credential's rate budget. A signed request is signed last,
// over the headers it will carry.
std::optional<std::string> inject_auth(const CallContext& ctx, HttpRequest& request, Authentication auth) {
  if (auth == Authentication::none) return std::nullopt;
  if (auth == Authentication::sigv4)
    return sign_sigv4(request, *ctx.signing, std::chrono::system_clock::now());
  for (const auto& [name, value] : ctx.auth_headers) {
    std::erase_if(request.headers, [&](const auto& h) { return util::iequals(h.first, name); });
    request.headers.emplace_back(name, value);
  }
  return std::nullopt;
}

// A request never outlives the step's deadline: no attempt, and no wait
// before a retry.
void cap_timeout(const CallContext& ctx, HttpRequest& request) {
  std::int64_t deadline = ctx.cancel.deadline();
  if (deadline == 0) return;
  auto left = std::chrono::milliseconds(std::max<std::int64_t>(1, deadline - now_ms()));
  request.timeout = std::min(request.timeout, left);
  request.deadline = std::chrono::steady_clock::now() + left;
}

std::string meta_json(std::size_t index, const HttpResponse& r) {
  json::object headers;
  for (const auto& [name, value] : r.headers) headers[util::lower(name)] = value;
  json::object meta{{"index", static_cast<std::int64_t>(index)},
                    {"status", r.status},
                    {"headers", std::move(headers)},
                    {"duration_ms", r.duration.count()},
                    {"attempts", r.attempts},
                    {"outcome", r.outcome}};
  if (!r.error.empty()) meta["error"] = r.error;
  return json::serialize(meta);
}

void deliver(pw_http_response_fn on_response, void* user, std::size_t index,
             const HttpResponse& r) {
  std::string meta = meta_json(index, r);
  on_response(user, pw_str{meta.data(), meta.size()}, pw_str{r.body.data(), r.body.size()});
}

HttpEventSink event_sink(CallContext& ctx) {
  return [&ctx](const HttpEvent& e) {
    if (e.kind == HttpEvent::Kind::waiting) {
      const std::int64_t until = now_ms() + e.retry_delay.count();
      {
        std::lock_guard lock(ctx.mutex);
        if (until < ctx.announced_wait_until + 1000) return;
        ctx.announced_wait_until = until;
      }
      ctx.run.events.emit(event::waiting, {{"step", ctx.step_id},
                                           {"reason", e.error},
                                           {"wait_ms", e.retry_delay.count()},
                                           {"method", e.method},
                                           {"host", e.host},
                                           {"path", e.url_path}});
      // Said as progress too, with how far the step got, if it reports that.
      json::object progress;
      {
        std::lock_guard lock(ctx.mutex);
        progress = ctx.last_progress;
      }
      if (progress.empty()) progress = {{"step", ctx.step_id}, {"message", e.error}};
      progress["waiting_s"] = static_cast<double>(e.retry_delay.count()) / 1000.0;
      ctx.run.events.emit(event::progress, std::move(progress));
      return;
    }
    json::object fields{{"step", ctx.step_id},     {"method", e.method},
                        {"host", e.host},          {"path", e.url_path},
                        {"status", e.status},      {"duration_ms", e.duration.count()},
                        {"attempt", e.attempt}};
    if (e.will_retry) fields["retry_in_ms"] = e.retry_delay.count();
    if (!e.error.empty()) fields["error"] = e.error;
    ctx.run.events.emit(event::http, std::move(fields));
  };
}

// A plugin call waiting for answers mostly computes nothing: its slot of
// the run's budget of calls (--max-parallel) is free for another call until
// the answers are in, so a run that mostly waits is bounded by the in-flight
// budget per origin, not by the number of calls. A batch's response
// callbacks run meanwhile, so they should stay light.
class WaitingForAnswers {
 public:
  explicit WaitingForAnswers(CallContext& ctx) : ctx_(ctx) {
    std::lock_guard lock(ctx_.mutex);
    if (ctx_.http_waits++ == 0) ctx_.run.budget.release();
  }
  ~WaitingForAnswers() {
    // The slot is taken back under the call's lock, so that another of the
    // plugin's threads cannot give it up again before it is held.
    std::lock_guard lock(ctx_.mutex);
    if (--ctx_.http_waits == 0) ctx_.run.budget.reclaim();
  }
  WaitingForAnswers(const WaitingForAnswers&) = delete;
  WaitingForAnswers& operator=(const WaitingForAnswers&) = delete;

 private:
  CallContext& ctx_;
};

pw_status bad_input(CallContext& ctx, std::string_view service, const std::string& why) {
  Diagnostic d{Severity::error,
               "plugin " + (ctx.plugin ? ctx.plugin->name : std::string("?")) + " sent a malformed " +
                   std::string(service) + " request: " + why,
               {},
               {},
               "this is a bug in the plugin; report it to its author"};
  ctx.run.events.emit(event::diagnostic,
                      {{"step", ctx.step_id}, {"severity", "error"}, {"summary", d.summary}, {"hint", d.hint}});
  std::lock_guard lock(ctx.mutex);
  ctx.diagnostics.push_back(std::move(d));
  return PW_STATUS_BAD_INPUT;
}

}  // namespace

pw_status host_http(CallContext& ctx, std::string_view request_json, std::string_view body,
                    pw_http_response_fn on_response, void* user) {
  if (!on_response) return bad_input(ctx, "http", "no response callback");
  json::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec) return bad_input(ctx, "http", "the request is not valid JSON");
  HttpRequest request;
  auto auth = Authentication::step_headers;
  bool cleanup = false;
  if (auto why = parse_request(v, ctx, false, request, auth, &cleanup)) return bad_input(ctx, "http", *why);
  if (!request.body_file) request.body.assign(body);
  if (auto why = inject_auth(ctx, request, auth)) return bad_input(ctx, "http", *why);
  // A cleanup (aborting a half-made multipart upload) is sent even after
  // Ctrl-C or the step's timeout, for a bounded time of its own.
  if (cleanup)
    request.timeout = std::min(request.timeout, kCleanupTimeout);
  else
    cap_timeout(ctx, request);
  HttpResponse response;
  {
    WaitingForAnswers waiting(ctx);
    response = ctx.run.http.send(
        request, [&ctx, cleanup] { return !cleanup && ctx.cancel.cancelled(); }, event_sink(ctx));
  }
  deliver(on_response, user, 0, response);
  return ctx.cancel.cancelled() ? PW_STATUS_CANCELLED : PW_STATUS_OK;
}

pw_status host_http_batch(CallContext& ctx, std::string_view batch_json,
                          pw_http_response_fn on_response, void* user) {
  if (!on_response) return bad_input(ctx, "http_batch", "no response callback");
  json::error_code ec;
  json::value v = json::parse(batch_json, ec);
  if (ec || !v.is_object()) return bad_input(ctx, "http_batch", "the batch is not a JSON object");
  const auto& o = v.as_object();
  // Omitted or "auto": the origin's in-flight budget, shared with every
  // other step, is the only bound; a number bounds this batch below it.
  std::size_t concurrency = 0;
  if (auto* c = o.if_contains("concurrency"); c && !(c->is_string() && c->as_string() == "auto")) {
    if (!c->is_int64() || c->as_int64() <= 0)
      return bad_input(ctx, "http_batch", "\"concurrency\" must be a positive integer or \"auto\"");
    concurrency = static_cast<std::size_t>(c->as_int64());
  }
  auto* list = o.if_contains("requests");
  if (!list || !list->is_array())
    return bad_input(ctx, "http_batch", "\"requests\" is required and must be an array");
  std::vector<HttpRequest> requests;
  requests.reserve(list->as_array().size());
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    HttpRequest request;
    auto auth = Authentication::step_headers;
    auto why = parse_request(list->as_array()[i], ctx, true, request, auth, nullptr);
    if (!why) why = inject_auth(ctx, request, auth);
    if (why) return bad_input(ctx, "http_batch", "requests[" + std::to_string(i) + "]: " + *why);
    cap_timeout(ctx, request);
    requests.push_back(std::move(request));
  }
  WaitingForAnswers waiting(ctx);
  ctx.run.http.send_batch(
      std::move(requests), concurrency,
      [&](std::size_t index, HttpResponse&& response) {
        deliver(on_response, user, index, response);
      },
      [&ctx] { return ctx.cancel.cancelled(); }, event_sink(ctx));
  return ctx.cancel.cancelled() ? PW_STATUS_CANCELLED : PW_STATUS_OK;
}

}  // namespace pw
