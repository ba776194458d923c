// From JSON text to the Pipeline model. The shape (keys, types, names,
// ranges) is checked against the pipeline schema by pipeline_shape.cpp; this
// file reads the values into the model, skipping any the schema refused, and
// checks what a schema cannot say: step ids are unique, a step's auth exists.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <pipewright/util/edit_distance.hpp>
#include <sstream>
#include <tuple>

#include "config_internal.hpp"

namespace pw {
namespace {

using boost::json::object;
using boost::json::value;
using config_detail::pointer_append;

std::string text_of(const object& fields, std::string_view key) {
  const value* v = fields.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool flag_of(const object& fields, std::string_view key) {
  const value* v = fields.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

object object_of(const object& fields, std::string_view key) {
  const value* v = fields.if_contains(key);
  return v && v->is_object() ? v->get_object() : object();
}

std::optional<std::int64_t> integer_of(const value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  // The schema takes 3.0 for 3 (multipleOf 1), as JSON Schema counts it an integer.
  if (v->is_double() && std::floor(v->get_double()) == v->get_double() && std::abs(v->get_double()) < 1e15)
    return static_cast<std::int64_t>(v->get_double());
  return std::nullopt;
}

// A positive duration below a millisecond counts as one, so that it stays positive.
std::optional<std::chrono::milliseconds> duration_of(const value* v) {
  std::optional<std::chrono::milliseconds> out;
  if (v && v->is_number() && v->to_number<double>() > 0) {
    out = std::chrono::milliseconds(
        static_cast<std::int64_t>(std::llround(v->to_number<double>() * 1000)));
  } else if (v && v->is_string()) {
    out = parse_duration(v->get_string());
  }
  if (!out || out->count() < 0) return std::nullopt;
  return std::max(*out, std::chrono::milliseconds(1));
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

class ModelReader {
 public:
  ModelReader(Pipeline& pipeline, Diagnostics& errors)
      : p_(pipeline), errors_(errors) {}

  void read(const value& root) {
    const object* top = root.if_object();
    if (!top) return;
    p_.name = text_of(*top, "name");
    p_.description = text_of(*top, "description");
    for (const auto& [name, fields] : object_of(*top, "inputs")) input(std::string(name), fields);
    for (const auto& [name, fields] : object_of(*top, "auth")) auth(std::string(name), fields);
    for (const auto& [name, templ] : object_of(*top, "outputs"))
      p_.outputs[std::string(name)] = templ;
    if (const value* steps = top->if_contains("steps"); steps && steps->is_array()) {
      for (std::size_t i = 0; i < steps->get_array().size(); ++i)
        step(steps->get_array()[i], pointer_append("/steps", i));
    }
    check_unique_ids();
  }

 private:
  void error_at(const std::string& pointer, std::string message, std::string hint = {}) {
    errors_.push_back(config_detail::config_error(p_.locate(pointer), std::move(message), std::move(hint)));
  }

  void input(const std::string& name, const value& v) {
    InputSpec spec;
    spec.name = name;
    spec.where = p_.locate_key(pointer_append("/inputs", name));
    if (const object* fields = v.if_object()) {
      spec.required = flag_of(*fields, "required");
      spec.description = text_of(*fields, "description");
      spec.type = text_of(*fields, "type");
      if (const value* d = fields->if_contains("default")) spec.default_value = *d;
    }
    p_.inputs[name] = std::move(spec);
  }

  void auth(const std::string& name, const value& v) {
    AuthSpec spec;
    spec.name = name;
    spec.where = p_.locate_key(pointer_append("/auth", name));
    if (const object* fields = v.if_object()) {
      spec.uses = text_of(*fields, "uses");
      spec.with = object_of(*fields, "with");
      spec.isolation = text_of(*fields, "isolation");
      spec.grants = grants(*fields);
    }
    p_.auths[name] = std::move(spec);
  }

  void step(const value& v, const std::string& pointer) {
    const object* fields = v.if_object();
    if (!fields) return;
    StepSpec step;
    step.where = p_.locate(pointer);
    step.id = text_of(*fields, "id");
    step.name = text_of(*fields, "name");
    if (step.name.empty()) step.name = step.id;
    step.uses = text_of(*fields, "uses");
    step.with = object_of(*fields, "with");
    step.auth = text_of(*fields, "auth");
    if (const value* needs = fields->if_contains("needs")) {
      if (needs->is_string()) step.needs.emplace_back(needs->get_string());
      if (needs->is_array()) {
        for (const auto& need : needs->get_array()) {
          if (need.is_string()) step.needs.emplace_back(need.get_string());
        }
      }
    }
    step.if_expr = text_of(*fields, "if");
    step.continue_on_error = flag_of(*fields, "continue_on_error");
    if (const value* r = fields->if_contains("retry")) retry(*r, step.retry);
    step.timeout = duration_of(fields->if_contains("timeout"));
    if (const value* m = fields->if_contains("matrix"); m && m->is_object()) {
      step.matrix = matrix(m->get_object());
      if (step.matrix->axes.empty() && step.matrix->include.is_null())
        error_at(pointer + "/matrix", "\"matrix\" has no axes",
                 "add an axis: \"matrix\": { \"tenant\": [\"a\", \"b\"] }");
    }
    step.isolation = text_of(*fields, "isolation");
    step.grants = grants(*fields);
    if (!step.auth.empty() && !p_.auths.contains(step.auth))
      unknown_auth(step.auth, pointer + "/auth");
    p_.steps.push_back(std::move(step));
    step_pointers_.push_back(pointer);
  }

  // The schema has checked the types; relative paths are the run's working
  // directory's, as every other path a user gives.
  static IsolationGrants grants(const object& fields) {
    IsolationGrants out;
    auto strings = [&](const char* key, std::vector<std::string>& into) {
      if (const value* list = fields.if_contains(key); list && list->is_array())
        for (const auto& item : list->get_array())
          if (item.is_string()) into.emplace_back(item.get_string());
    };
    strings("allow_read", out.read);
    strings("allow_write", out.write);
    strings("allow_exec", out.exec);
    strings("env", out.env);
    if (const value* ports = fields.if_contains("allow_tcp"); ports && ports->is_array())
      for (const auto& port : ports->get_array())
        if (port.is_int64()) out.tcp.push_back(static_cast<int>(port.get_int64()));
    return out;
  }

  static void retry(const value& v, RetrySpec& out) {
    auto attempts = [&](const value* a) {
      if (auto number = integer_of(a); number && *number >= 1 && *number <= 100)
        out.max_attempts = static_cast<int>(*number);
    };
    if (v.is_number()) attempts(&v);
    const object* fields = v.if_object();
    if (!fields) return;
    attempts(fields->if_contains("attempts"));
    if (auto d = duration_of(fields->if_contains("backoff"))) out.initial_backoff = *d;
    if (auto d = duration_of(fields->if_contains("max_backoff"))) out.max_backoff = *d;
    if (const value* f = fields->if_contains("factor");
        f && f->is_number() && f->to_number<double>() >= 1.0)
      out.factor = f->to_number<double>();
  }

  // Every other key is an axis, whatever its type: the schema reports a
  // wrong one, and `matrix.AXIS` references to it are then not errors too.
  static MatrixSpec matrix(const object& fields) {
    MatrixSpec spec;
    for (const auto& [axis, values] : fields) {
      if (axis == "max_parallel") {
        if (auto number = integer_of(&values); number && *number >= 0 && *number <= INT32_MAX)
          spec.max_parallel = static_cast<int>(*number);
        else if (values.is_string())
          spec.max_parallel_expr = values.get_string();
      } else if (axis == "fail_fast") {
        if (values.is_bool()) spec.fail_fast = values.get_bool();
      } else if (axis == "name") {
        if (values.is_string()) spec.name = values.get_string();
      } else if (axis == "include") {
        spec.include = values;
      } else if (axis == "exclude") {
        spec.exclude = values;
      } else {
        spec.axes[std::string(axis)] = values;
      }
    }
    return spec;
  }

  void unknown_auth(const std::string& name, const std::string& pointer) {
    std::vector<std::string> names;
    for (const auto& [defined, spec] : p_.auths) names.push_back(defined);
    const std::string guess = util::closest_match(name, names);
    error_at(pointer, "step uses auth \"" + name + "\", which is not defined in \"auth\"",
             !guess.empty()  ? "did you mean \"" + guess + "\"?"
             : names.empty() ? "define it under the top-level \"auth\" key"
                             : "defined auths: " + join(names));
  }

  void check_unique_ids() {
    std::map<std::string, std::string> first_seen;  // id -> the step's pointer
    for (std::size_t i = 0; i < p_.steps.size(); ++i) {
      const std::string& id = p_.steps[i].id;
      if (id.empty()) continue;
      if (auto [it, fresh] = first_seen.emplace(id, step_pointers_[i]); !fresh) {
        const SourceLocation first = p_.locate(it->second + "/id");
        error_at(step_pointers_[i] + "/id", "duplicate step id \"" + id + "\"",
                 "the first step with this id is at line " + std::to_string(first.line) +
                     "; ids must be unique");
      }
    }
  }

  Pipeline& p_;
  Diagnostics& errors_;
  std::vector<std::string> step_pointers_;  // one per entry of p_.steps
};

}  // namespace

LoadResult parse_pipeline(std::string_view text, const std::filesystem::path& file) {
  LoadResult result;
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);  // a UTF-8 byte order mark some editors add
  auto parsed = config_detail::parse_json_with_positions(text, file.string());
  result.errors = std::move(parsed.errors);
  if (!parsed.ok) return result;
  Pipeline pipeline;
  pipeline.file = file;
  pipeline.positions = std::move(parsed.positions);
  pipeline.key_positions = std::move(parsed.key_positions);
  config_detail::check_pipeline_shape(parsed.value, pipeline, result.errors);
  ModelReader(pipeline, result.errors).read(parsed.value);
  // Errors were found section by section; users read them top to bottom.
  std::stable_sort(
      result.errors.begin(), result.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.subject.where.line, a.subject.where.column) <
               std::tie(b.subject.where.line, b.subject.where.column);
      });
  result.pipeline = std::move(pipeline);
  return result;
}

LoadResult load_pipeline(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(
        config_detail::config_error({file.string(), 0, 0}, "cannot read pipeline file", "check the path and its permissions"));
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_pipeline(text.str(), file);
}

}  // namespace pw
