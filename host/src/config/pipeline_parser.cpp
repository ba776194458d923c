// From JSON text to the Pipeline model, with a strict shape check: every
// unknown key and wrong type is collected, located and sorted into file order.
#include "config_internal.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

namespace pw {
namespace {

using boost::json::object;
using boost::json::value;
using config_detail::pointer_append;

const std::regex& identifier_pattern() {
  static const std::regex pattern("^[A-Za-z_][A-Za-z0-9_-]*$");
  return pattern;
}

std::string kind_of(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "an integer";
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

std::optional<std::int64_t> as_integer(const value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && std::floor(v.get_double()) == v.get_double() && std::abs(v.get_double()) < 1e15)
    return static_cast<std::int64_t>(v.get_double());
  return std::nullopt;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

class ShapeChecker {
 public:
  ShapeChecker(Pipeline& pipeline, std::vector<ConfigError>& errors) : p_(pipeline), errors_(errors) {}

  void check(const value& root) {
    const object* top = root.if_object();
    if (!top) {
      error_at("", "a pipeline file must hold a JSON object, not " + kind_of(root),
               "start the file with { \"pipewright\": 1, \"steps\": [ ... ] }");
      return;
    }
    check_keys(*top, "", "pipeline",
               {"pipewright", "name", "description", "inputs", "auth", "steps", "outputs"});
    check_version(*top);
    if (const value* v = top->if_contains("name")) string_into(*v, "/name", "name", p_.name);
    if (const value* v = top->if_contains("description")) string_into(*v, "/description", "description", p_.description);
    if (const value* v = top->if_contains("inputs")) inputs(*v);
    if (const value* v = top->if_contains("auth")) auths(*v);
    if (const value* v = top->if_contains("outputs")) outputs(*v);
    const value* steps_value = top->if_contains("steps");
    if (!steps_value) {
      error_at("", "missing required key \"steps\"", "add \"steps\": [ { \"id\": ..., \"uses\": ... } ]");
    } else {
      steps(*steps_value);
    }
  }

 private:
  void error_at(const std::string& pointer, std::string message, std::string hint = {}) {
    errors_.push_back({p_.locate(pointer), std::move(message), std::move(hint)});
  }
  void error_at_key(const std::string& pointer, std::string message, std::string hint = {}) {
    errors_.push_back({p_.locate_key(pointer), std::move(message), std::move(hint)});
  }
  void wrong_type(const std::string& pointer, const std::string& what, const std::string& expected, const value& got) {
    error_at(pointer, what + " must be " + expected + ", not " + kind_of(got));
  }

  void check_keys(const object& obj, const std::string& pointer, const std::string& where,
                  const std::vector<std::string>& allowed) {
    for (const auto& member : obj) {
      const std::string key(member.key());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string guess = config_detail::closest_match(key, allowed);
      error_at_key(pointer_append(pointer, key), "unknown key \"" + key + "\" in " + where,
                   guess.empty() ? "allowed keys: " + join(allowed) : "did you mean \"" + guess + "\"?");
    }
  }

  const object* require_object(const value& v, const std::string& pointer, const std::string& what) {
    if (const object* obj = v.if_object()) return obj;
    wrong_type(pointer, what, "an object", v);
    return nullptr;
  }

  bool string_into(const value& v, const std::string& pointer, const std::string& what, std::string& out) {
    if (const auto* text = v.if_string()) {
      out = std::string(*text);
      return true;
    }
    wrong_type(pointer, "\"" + what + "\"", "a string", v);
    return false;
  }

  void bool_into(const value& v, const std::string& pointer, const std::string& what, bool& out) {
    if (v.is_bool()) {
      out = v.get_bool();
    } else {
      wrong_type(pointer, "\"" + what + "\"", "a boolean (true or false)", v);
    }
  }

  void enum_into(const value& v, const std::string& pointer, const std::string& what,
                 const std::vector<std::string>& choices, std::string& out) {
    std::string text;
    if (!string_into(v, pointer, what, text)) return;
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
      const std::string guess = config_detail::closest_match(text, choices);
      error_at(pointer, "\"" + what + "\" must be one of " + join(choices) + ", not \"" + text + "\"",
               guess.empty() ? std::string() : "did you mean \"" + guess + "\"?");
      return;
    }
    out = text;
  }

  void identifier(const std::string& name, const std::string& pointer, const std::string& what, bool at_key) {
    if (std::regex_match(name, identifier_pattern())) return;
    const std::string message = what + " \"" + name + "\" is not a valid name";
    const std::string hint = "use letters, digits, '_' and '-', starting with a letter or '_'";
    if (at_key) {
      error_at_key(pointer, message, hint);
    } else {
      error_at(pointer, message, hint);
    }
  }

  std::optional<std::chrono::milliseconds> duration(const value& v, const std::string& pointer, const std::string& what) {
    if (v.is_number()) {
      const double seconds = v.to_number<double>();
      if (seconds > 0) return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
    } else if (const auto* text = v.if_string()) {
      if (auto parsed = parse_duration(*text); parsed && parsed->count() > 0) return parsed;
      error_at(pointer, "\"" + what + "\" is not a valid duration: \"" + std::string(*text) + "\"",
               "write a number and a unit: \"500ms\", \"30s\", \"5m\", \"1h\" (or a number of seconds)");
      return std::nullopt;
    }
    error_at(pointer, "\"" + what + "\" must be a positive duration (\"30s\") or number of seconds, not " +
                          (v.is_number() ? "a number <= 0" : kind_of(v)));
    return std::nullopt;
  }

  void check_version(const object& top) {
    const value* version = top.if_contains("pipewright");
    if (!version) {
      error_at("", "missing required key \"pipewright\"", "add \"pipewright\": 1 (the file format version)");
      return;
    }
    if (auto number = as_integer(*version); number && *number == 1) return;
    error_at("/pipewright",
             "unsupported file format version " + boost::json::serialize(*version) + "; this pipewright reads version 1",
             "set \"pipewright\": 1");
  }

  void inputs(const value& v) {
    const object* obj = require_object(v, "/inputs", "\"inputs\"");
    if (!obj) return;
    for (const auto& member : *obj) {
      const std::string name(member.key());
      const std::string pointer = pointer_append("/inputs", name);
      identifier(name, pointer, "input", true);
      InputSpec spec;
      spec.name = name;
      spec.where = p_.locate_key(pointer);
      if (const object* fields = require_object(member.value(), pointer, "input \"" + name + "\"")) {
        check_keys(*fields, pointer, "input \"" + name + "\"", {"required", "default", "description", "type"});
        if (const value* f = fields->if_contains("required")) bool_into(*f, pointer + "/required", "required", spec.required);
        if (const value* f = fields->if_contains("description"))
          string_into(*f, pointer + "/description", "description", spec.description);
        if (const value* f = fields->if_contains("type"))
          enum_into(*f, pointer + "/type", "type", {"string", "number", "boolean", "object", "array"}, spec.type);
        if (const value* f = fields->if_contains("default")) {
          spec.default_value = *f;
          if (!spec.type.empty() && !fits_type(*f, spec.type))
            error_at(pointer + "/default", "default of input \"" + name + "\" is " + kind_of(*f) + ", but its type is " + spec.type);
        }
      }
      p_.inputs[name] = std::move(spec);
    }
  }

  static bool fits_type(const value& v, const std::string& type) {
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_bool();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    return true;
  }

  void uses_into(const value& v, const std::string& pointer, std::string& out, bool plugin_only) {
    if (!string_into(v, pointer, "uses", out)) return;
    if (is_plugin_name(out)) return;
    if (plugin_only) {
      error_at(pointer, "\"uses\" of an auth must be a plugin name like \"cloudflare.auth.api_token\", not \"" + out + "\"");
    } else if (!uses_is_pipeline(out)) {
      error_at(pointer, "\"uses\" must be a plugin name (\"core.echo\"), a pipeline file (\"deploy.jsonc\") or \"pipeline:NAME\", not \"" + out + "\"",
               "plugin names are lowercase words separated by dots");
    }
  }

  void auths(const value& v) {
    const object* obj = require_object(v, "/auth", "\"auth\"");
    if (!obj) return;
    for (const auto& member : *obj) {
      const std::string name(member.key());
      const std::string pointer = pointer_append("/auth", name);
      identifier(name, pointer, "auth", true);
      AuthSpec spec;
      spec.name = name;
      spec.where = p_.locate_key(pointer);
      if (const object* fields = require_object(member.value(), pointer, "auth \"" + name + "\"")) {
        check_keys(*fields, pointer, "auth \"" + name + "\"", {"uses", "with", "isolation"});
        if (const value* f = fields->if_contains("uses")) {
          uses_into(*f, pointer + "/uses", spec.uses, true);
        } else {
          error_at(pointer, "auth \"" + name + "\" is missing \"uses\"", "name the auth plugin, e.g. \"uses\": \"cloudflare.auth.api_token\"");
        }
        if (const value* f = fields->if_contains("with")) {
          if (const object* with = require_object(*f, pointer + "/with", "\"with\"")) spec.with = *with;
        }
        if (const value* f = fields->if_contains("isolation"))
          enum_into(*f, pointer + "/isolation", "isolation", {"in-process", "process"}, spec.isolation);
      }
      p_.auths[name] = std::move(spec);
    }
  }

  void outputs(const value& v) {
    const object* obj = require_object(v, "/outputs", "\"outputs\"");
    if (!obj) return;
    for (const auto& member : *obj) {
      identifier(std::string(member.key()), pointer_append("/outputs", member.key()), "output", true);
      p_.outputs[std::string(member.key())] = member.value();
    }
  }

  void steps(const value& v) {
    const auto* array = v.if_array();
    if (!array) {
      wrong_type("/steps", "\"steps\"", "an array of steps", v);
      return;
    }
    if (array->empty()) {
      error_at("/steps", "\"steps\" is empty", "add at least one step");
      return;
    }
    std::map<std::string, std::string> first_seen;  // id -> pointer
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string pointer = pointer_append("/steps", i);
      StepSpec step;
      step.where = p_.locate(pointer);
      const object* fields = require_object((*array)[i], pointer, "a step");
      if (!fields) continue;
      step_fields(*fields, pointer, step);
      if (!step.id.empty()) {
        if (auto [it, fresh] = first_seen.emplace(step.id, pointer); !fresh) {
          const SourceLocation first = p_.locate(it->second + "/id");
          error_at(pointer + "/id", "duplicate step id \"" + step.id + "\"",
                   "the first step with this id is at line " + std::to_string(first.line) + "; ids must be unique");
        }
      }
      p_.steps.push_back(std::move(step));
    }
  }

  void step_fields(const object& fields, const std::string& pointer, StepSpec& step) {
    check_keys(fields, pointer, "step",
               {"id", "name", "uses", "with", "auth", "needs", "if", "continue_on_error", "retry", "timeout",
                "matrix", "isolation"});
    if (const value* f = fields.if_contains("id")) {
      if (string_into(*f, pointer + "/id", "id", step.id)) identifier(step.id, pointer + "/id", "step id", false);
    } else {
      error_at(pointer, "step is missing \"id\"", "give every step a unique \"id\", e.g. \"id\": \"deploy\"");
    }
    if (const value* f = fields.if_contains("name")) string_into(*f, pointer + "/name", "name", step.name);
    if (step.name.empty()) step.name = step.id;
    if (const value* f = fields.if_contains("uses")) {
      uses_into(*f, pointer + "/uses", step.uses, false);
    } else {
      error_at(pointer, "step" + (step.id.empty() ? std::string() : " \"" + step.id + "\"") + " is missing \"uses\"",
               "name the plugin or pipeline this step runs, e.g. \"uses\": \"core.echo\"");
    }
    if (const value* f = fields.if_contains("with")) {
      if (const object* with = require_object(*f, pointer + "/with", "\"with\"")) step.with = *with;
    }
    if (const value* f = fields.if_contains("auth")) {
      if (string_into(*f, pointer + "/auth", "auth", step.auth) && !p_.auths.contains(step.auth)) {
        std::vector<std::string> names;
        for (const auto& [name, spec] : p_.auths) names.push_back(name);
        const std::string guess = config_detail::closest_match(step.auth, names);
        error_at(pointer + "/auth", "step uses auth \"" + step.auth + "\", which is not defined in \"auth\"",
                 !guess.empty() ? "did you mean \"" + guess + "\"?"
                 : names.empty() ? "define it under the top-level \"auth\" key"
                                 : "defined auths: " + join(names));
      }
    }
    if (const value* f = fields.if_contains("needs")) needs(*f, pointer + "/needs", step);
    if (const value* f = fields.if_contains("if")) string_into(*f, pointer + "/if", "if", step.if_expr);
    if (const value* f = fields.if_contains("continue_on_error"))
      bool_into(*f, pointer + "/continue_on_error", "continue_on_error", step.continue_on_error);
    if (const value* f = fields.if_contains("retry")) retry(*f, pointer + "/retry", step.retry);
    if (const value* f = fields.if_contains("timeout")) step.timeout = duration(*f, pointer + "/timeout", "timeout");
    if (const value* f = fields.if_contains("matrix")) matrix(*f, pointer + "/matrix", step);
    if (const value* f = fields.if_contains("isolation"))
      enum_into(*f, pointer + "/isolation", "isolation", {"in-process", "process"}, step.isolation);
  }

  void needs(const value& v, const std::string& pointer, StepSpec& step) {
    if (const auto* text = v.if_string()) {
      step.needs.emplace_back(*text);
      return;
    }
    const auto* array = v.if_array();
    if (!array) {
      wrong_type(pointer, "\"needs\"", "a step id or an array of step ids", v);
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (const auto* text = (*array)[i].if_string()) {
        step.needs.emplace_back(*text);
      } else {
        wrong_type(pointer_append(pointer, i), "an entry of \"needs\"", "a step id (string)", (*array)[i]);
      }
    }
  }

  void retry(const value& v, const std::string& pointer, RetrySpec& out) {
    auto attempts = [&](const value& a, const std::string& at) {
      auto number = as_integer(a);
      if (number && *number >= 1 && *number <= 100) {
        out.max_attempts = static_cast<int>(*number);
      } else {
        error_at(at, "retry attempts must be an integer from 1 to 100, not " + (a.is_number() ? boost::json::serialize(a) : kind_of(a)),
                 "it counts every try: 3 means one run and up to two retries");
      }
    };
    if (v.is_number()) {
      attempts(v, pointer);
      return;
    }
    const object* fields = v.if_object();
    if (!fields) {
      wrong_type(pointer, "\"retry\"", "a number of attempts or an object {attempts, backoff, factor, max_backoff}", v);
      return;
    }
    check_keys(*fields, pointer, "retry", {"attempts", "backoff", "factor", "max_backoff"});
    if (const value* f = fields->if_contains("attempts")) attempts(*f, pointer + "/attempts");
    if (const value* f = fields->if_contains("backoff")) {
      if (auto d = duration(*f, pointer + "/backoff", "backoff")) out.initial_backoff = *d;
    }
    if (const value* f = fields->if_contains("max_backoff")) {
      if (auto d = duration(*f, pointer + "/max_backoff", "max_backoff")) out.max_backoff = *d;
    }
    if (const value* f = fields->if_contains("factor")) {
      if (f->is_number() && f->to_number<double>() >= 1.0) {
        out.factor = f->to_number<double>();
      } else {
        error_at(pointer + "/factor", "retry \"factor\" must be a number >= 1");
      }
    }
  }

  void matrix(const value& v, const std::string& pointer, StepSpec& step) {
    const object* fields = require_object(v, pointer, "\"matrix\"");
    if (!fields) return;
    MatrixSpec spec;
    for (const auto& member : *fields) {
      const std::string axis(member.key());
      const std::string at = pointer_append(pointer, axis);
      if (axis == "max_parallel") {
        auto number = as_integer(member.value());
        if (number && *number >= 0) {
          spec.max_parallel = static_cast<int>(*number);
        } else {
          error_at(at, "\"max_parallel\" must be an integer >= 0 (0 means no extra limit)");
        }
        continue;
      }
      identifier(axis, at, "matrix axis", true);
      const auto* values = member.value().if_array();
      if (!values) {
        wrong_type(at, "matrix axis \"" + axis + "\"", "an array of values", member.value());
      } else if (values->empty()) {
        error_at(at, "matrix axis \"" + axis + "\" has no values", "list at least one value");
      } else {
        spec.axes[axis] = std::vector<value>(values->begin(), values->end());
      }
    }
    const std::size_t axis_count = fields->size() - (fields->contains("max_parallel") ? 1 : 0);
    if (axis_count == 0) {
      error_at(pointer, "\"matrix\" has no axes", "add an axis: \"matrix\": { \"tenant\": [\"a\", \"b\"] }");
    }
    step.matrix = std::move(spec);
  }

  Pipeline& p_;
  std::vector<ConfigError>& errors_;
};

}  // namespace

LoadResult parse_pipeline(std::string_view text, const std::filesystem::path& file) {
  LoadResult result;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark some editors add
  auto parsed = config_detail::parse_json_with_positions(text, file.string());
  result.errors = std::move(parsed.errors);
  if (!parsed.ok) return result;
  Pipeline pipeline;
  pipeline.file = file;
  pipeline.positions = std::move(parsed.positions);
  pipeline.key_positions = std::move(parsed.key_positions);
  ShapeChecker(pipeline, result.errors).check(parsed.value);
  // Errors were found section by section; users read them top to bottom.
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
  result.pipeline = std::move(pipeline);
  return result;
}

LoadResult load_pipeline(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back({{file.string(), 0, 0}, "cannot read pipeline file", "check the path and its permissions"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_pipeline(text.str(), file);
}

}  // namespace pw
