// A pipeline's shape is checked against the pipeline schema, the one source
// of truth for it; this file only says each schema error the way a user
// reads it: where (file:line:col), what is wrong, and what to do.
#include <map>
#include <pipewright/util/edit_distance.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "config_internal.hpp"
#include "json_schema.hpp"

namespace pw::config_detail {
namespace {

using boost::json::object;
using boost::json::value;

const JsonSchema& pipeline_schema() {
  // Parsed on first use and never changed afterwards, so threads may share it.
  static const JsonSchema schema(boost::json::parse(pipeline_schema_text));
  return schema;
}

// The subschema `v` stands for, following "#/..." references.
const object* resolve(const value* v) {
  const value& document = pipeline_schema().document();
  for (int hops = 0; v && hops < 16; ++hops) {
    const object* schema = v->if_object();
    if (!schema) return nullptr;
    const value* ref = schema->if_contains("$ref");
    if (!ref || !ref->is_string()) return schema;
    const std::string_view target = ref->get_string();
    if (!target.starts_with("#")) return nullptr;
    boost::system::error_code ec;
    v = document.find_pointer(target.substr(1), ec);
  }
  return nullptr;
}

const object* definition(std::string_view name) {
  return resolve(
      pipeline_schema().document().as_object().at("definitions").as_object().if_contains(name));
}

// A value in the document, with the subschema that applies to it. `shape`
// is its pointer with array indices and user-chosen names as "*"
// ("/steps/*/retry/attempts"): the messages below are keyed by it.
struct Place {
  const object* schema = nullptr;  // nullptr where the schema says nothing
  const value* instance = nullptr;
  std::string pointer;
  std::string shape;
  std::string name;  // the last member name or array index
};

Place child_of(const Place& parent, const std::string& part) {
  Place at;
  at.pointer = pointer_append(parent.pointer, part);
  at.name = part;
  const value* child_schema = nullptr;
  std::string shape_part = part;
  if (const auto* array = parent.instance ? parent.instance->if_array() : nullptr) {
    shape_part = "*";
    if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos)
      at.instance = array->if_contains(std::stoul(part));
    if (parent.schema) child_schema = parent.schema->if_contains("items");
  } else {
    if (const auto* members = parent.instance ? parent.instance->if_object() : nullptr)
      at.instance = members->if_contains(part);
    const value* properties = parent.schema ? parent.schema->if_contains("properties") : nullptr;
    if (properties && properties->is_object() && properties->as_object().contains(part)) {
      child_schema = properties->as_object().if_contains(part);
    } else if (parent.schema) {
      child_schema = parent.schema->if_contains("additionalProperties");
      shape_part = "*";
    }
  }
  at.schema = resolve(child_schema);
  at.shape = parent.shape + "/" + shape_part;
  return at;
}

Place place_of(const value& root, const std::vector<std::string>& path) {
  Place at{resolve(&pipeline_schema().document()), &root, "", "", ""};
  for (const auto& part : path) at = child_of(at, part);
  return at;
}

std::string kind_of(const value* v) {
  if (!v) return "nothing";
  switch (v->kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "an integer";
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A number the way people write it ("2.5", not Boost.JSON's "2.5E0").
std::string number_text(const value& v) {
  if (!v.is_double()) return boost::json::serialize(v);
  std::ostringstream out;
  out << v.get_double();
  std::string text = out.str();
  // As written: 3.0 stays "3.0", not "3".
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

std::string number_or_kind(const value* v) {
  return v && v->is_number() ? number_text(*v) : kind_of(v);
}

// Members whose names the user chooses, by the shape of the member.
const std::map<std::string, std::string>& named_members() {
  static const std::map<std::string, std::string> kinds = {{"/inputs/*", "input"},
                                                           {"/auth/*", "auth"},
                                                           {"/outputs/*", "output"},
                                                           {"/steps/*/matrix/*", "matrix axis"}};
  return kinds;
}

// How a message names the value: "\"timeout\"", "input \"zone\"", "a step".
std::string subject(const Place& at) {
  if (at.shape == "/steps/*") return "a step";
  if (at.shape == "/steps/*/needs/*") return "an entry of \"needs\"";
  if (at.shape == "/steps/*/matrix/include/*") return "an entry of \"include\"";
  if (at.shape == "/steps/*/matrix/exclude/*") return "an entry of \"exclude\"";
  if (auto it = named_members().find(at.shape); it != named_members().end())
    return it->second + " " + in_quotes(at.name);
  return in_quotes(at.name);
}

// How a message names an object whose keys are wrong: "in step", "in input \"zone\"".
std::string container(const Place& at) {
  if (at.shape.empty()) return "pipeline";
  if (at.shape == "/steps/*") return "step";
  if (auto it = named_members().find(at.shape); it != named_members().end())
    return it->second + " " + in_quotes(at.name);
  return at.name;
}

const char* const duration_hint =
    "write a number and a unit: \"500ms\", \"30s\", \"5m\", \"1h\" (or a number of seconds)";
const char* const name_hint = "use letters, digits, '_' and '-', starting with a letter or '_'";

struct Problem {
  std::string pointer;
  bool at_key = false;  // located at the member's key rather than its value
  std::string message;
  std::string hint;
};

// The one rule behind several keywords (type, minimum, maximum) of a value.
std::optional<Problem> range_rule(const Place& at) {
  if (at.shape == "/steps/*/retry/attempts" ||
      (at.shape == "/steps/*/retry" && at.instance && at.instance->is_number())) {
    return Problem{
        at.pointer, false,
        "retry attempts must be an integer from 1 to 100, not " + number_or_kind(at.instance),
        "it counts every try: 3 means one run and up to two retries"};
  }
  if (at.shape == "/steps/*/retry/factor")
    return Problem{at.pointer, false, "retry \"factor\" must be a number >= 1", {}};
  if (at.shape == "/steps/*/matrix/max_parallel" && at.instance && at.instance->is_number())
    return Problem{
        at.pointer, false, "\"max_parallel\" must be an integer >= 0 (0 means no extra limit)", {}};
  if (at.schema && at.schema == definition("duration")) {
    return Problem{at.pointer,
                   false,
                   subject(at) +
                       " must be a positive duration (\"30s\") or number of seconds, not " +
                       (at.instance && at.instance->is_number() ? std::string("a number <= 0")
                                                                : kind_of(at.instance)),
                   {}};
  }
  return std::nullopt;
}

std::string expected_type(const Place& at) {
  static const std::map<std::string, std::string> phrases = {
      {"/steps", "an array of steps"},
      {"/steps/*/needs", "a step id or an array of step ids"},
      {"/steps/*/needs/*", "a step id (string)"},
      {"/steps/*/retry",
       "a number of attempts or an object {attempts, backoff, factor, max_backoff}"},
      {"/steps/*/matrix/*", "an array of values or one ${{ }} expression yielding one"},
      {"/steps/*/matrix/max_parallel", "an integer >= 0 or one ${{ }} expression"},
      {"/steps/*/matrix/include", "an array of objects or one ${{ }} expression yielding one"},
      {"/steps/*/matrix/exclude", "an array of objects or one ${{ }} expression yielding one"}};
  if (auto it = phrases.find(at.shape); it != phrases.end()) return it->second;
  static const std::map<std::string, std::string> words = {
      {"string", "a string"},    {"boolean", "a boolean (true or false)"},
      {"object", "an object"},   {"array", "an array"},
      {"integer", "an integer"}, {"number", "a number"}};
  std::vector<std::string> types;
  if (const value* type = at.schema ? at.schema->if_contains("type") : nullptr) {
    if (type->is_string()) types.emplace_back(type->get_string());
    if (type->is_array()) {
      for (const auto& t : type->get_array()) {
        if (t.is_string()) types.emplace_back(t.get_string());
      }
    }
  }
  std::string out;
  for (const auto& t : types) {
    auto it = words.find(t);
    out += (out.empty() ? "" : " or ") + (it != words.end() ? it->second : t);
  }
  return out.empty() ? "another type" : out;
}

Problem wrong_type(const Place& at) {
  if (at.shape.empty()) {
    return {"", false, "a pipeline file must hold a JSON object, not " + kind_of(at.instance),
            "start the file with { \"pipewright\": 1, \"steps\": [ ... ] }"};
  }
  if (auto rule = range_rule(at)) return *rule;
  return {at.pointer,
          false,
          subject(at) + " must be " + expected_type(at) + ", not " + kind_of(at.instance),
          {}};
}

Problem missing(const Place& at, const std::string& key) {
  if (at.shape.empty()) {
    return {"", false, "missing required key " + in_quotes(key),
            key == "pipewright" ? "add \"pipewright\": 1 (the file format version)"
                                : "add \"" + key + "\": [ { \"id\": ..., \"uses\": ... } ]"};
  }
  if (at.shape == "/steps/*" && key == "id") {
    return {at.pointer, false, "step is missing \"id\"",
            "give every step a unique \"id\", e.g. \"id\": \"deploy\""};
  }
  if (at.shape == "/steps/*" && key == "uses") {
    const value* id = at.instance && at.instance->is_object()
                          ? at.instance->as_object().if_contains("id")
                          : nullptr;
    const std::string who =
        id && id->is_string() ? "step " + in_quotes(id->get_string()) : std::string("step");
    return {at.pointer, false, who + " is missing \"uses\"",
            "name the plugin or pipeline this step runs, e.g. \"uses\": \"core.echo\""};
  }
  if (at.shape == "/auth/*" && key == "uses") {
    return {at.pointer, false, "auth " + in_quotes(at.name) + " is missing \"uses\"",
            "name the auth plugin, e.g. \"uses\": \"cloudflare.auth.api_token\""};
  }
  return {at.pointer, false, container(at) + " is missing " + in_quotes(key), {}};
}

Problem bad_pattern(const Place& at) {
  const std::string text =
      at.instance && at.instance->is_string() ? std::string(at.instance->get_string()) : "";
  if (at.shape == "/steps/*/uses") {
    return {at.pointer, false,
            "\"uses\" must be a plugin name (\"core.echo\"), a pipeline file (\"deploy.jsonc\") or "
            "\"pipeline:NAME\", not " +
                in_quotes(text),
            "plugin names are lowercase words separated by dots"};
  }
  if (at.shape == "/auth/*/uses") {
    return {at.pointer,
            false,
            "\"uses\" of an auth must be a plugin name like \"cloudflare.auth.api_token\", not " +
                in_quotes(text),
            {}};
  }
  if (at.shape == "/steps/*/matrix/*" || at.shape == "/steps/*/matrix/max_parallel" ||
      at.shape == "/steps/*/matrix/include" || at.shape == "/steps/*/matrix/exclude") {
    return {at.pointer, false,
            subject(at) + " must be " + expected_type(at) + ", not the string " + in_quotes(text),
            "an array is written [\"a\", \"b\"]; data from an input or a file is "
            "\"${{ inputs.NAME }}\" or \"${{ readJSON(inputs.NAME) }}\""};
  }
  if (at.schema == definition("duration")) {
    return {at.pointer, false, subject(at) + " is not a valid duration: " + in_quotes(text),
            duration_hint};
  }
  if (at.schema == definition("identifier")) {
    return {at.pointer, false,
            (at.shape == "/steps/*/id" ? "step id" : at.name) + " " + in_quotes(text) +
                " is not a valid name",
            name_hint};
  }
  return {at.pointer,
          false,
          subject(at) + " " + in_quotes(text) + " does not have the required form",
          {}};
}

Problem not_in_enum(const Place& at) {
  std::vector<std::string> choices;
  if (const value* listed = at.schema ? at.schema->if_contains("enum") : nullptr;
      listed && listed->is_array()) {
    for (const auto& choice : listed->get_array()) {
      choices.push_back(choice.is_string() ? std::string(choice.get_string())
                                           : boost::json::serialize(choice));
    }
  }
  const bool is_text = at.instance && at.instance->is_string();
  const std::string got = is_text       ? in_quotes(at.instance->get_string())
                          : at.instance ? boost::json::serialize(*at.instance)
                                        : "";
  const std::string guess =
      is_text ? util::closest_match(at.instance->get_string(), choices) : std::string();
  return {at.pointer, false, subject(at) + " must be one of " + join(choices) + ", not " + got,
          guess.empty() ? std::string() : "did you mean " + in_quotes(guess) + "?"};
}

// A range, a count of items or members, or (as valijson says it) anything else.
Problem unmet_limit(const Place& at, const std::string& description) {
  if (auto rule = range_rule(at)) return *rule;
  if (at.shape == "/steps")
    return {at.pointer, false, "\"steps\" is empty", "add at least one step"};
  if (at.shape == "/steps/*/matrix/*") {
    return {at.pointer, false, "matrix axis " + in_quotes(at.name) + " has no values",
            "list at least one value"};
  }
  if (at.shape == "/steps/*/matrix") {
    return {at.pointer, false, "\"matrix\" has no axes",
            "add an axis: \"matrix\": { \"tenant\": [\"a\", \"b\"] }"};
  }
  // valijson's own wording, without its trailing period and std::to_string's zeros.
  std::string text = description;
  if (!text.empty() && text.back() == '.') text.pop_back();
  text = std::regex_replace(text, std::regex("(\\d+)\\.0+\\b"), "$1");
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return {at.pointer, false, subject(at) + ": " + text, {}};
}

class ShapeReport {
 public:
  ShapeReport(const value& root, const Pipeline& pipeline, Diagnostics& errors)
      : root_(root), pipeline_(pipeline), errors_(errors) {}

  void run() {
    for (const auto& violation : pipeline_schema().violations(root_)) report(violation);
    check_names(place_of(root_, {}));
  }

 private:
  void add(Problem problem) {
    if (!reported_.emplace(problem.pointer, problem.message).second) return;
    const SourceLocation where =
        problem.at_key ? pipeline_.locate_key(problem.pointer) : pipeline_.locate(problem.pointer);
    errors_.push_back(config_error(where, std::move(problem.message), std::move(problem.hint)));
  }

  void report(const SchemaViolation& violation) {
    const Place at = place_of(root_, violation.path);
    const std::string& d = violation.description;
    // valijson applies multipleOf to text that reads as a number too; the
    // type error already says what is wrong with such a value.
    if (d.starts_with("Value should be a multiple of") && !(at.instance && at.instance->is_number())) return;
    if (d.starts_with("Object contains a property that could not be validated")) {
      unknown_keys(at);
    } else if (d.starts_with("Missing required property")) {
      const auto open = d.find('\'');
      const auto close = d.find('\'', open + 1);
      add(missing(
          at, open == std::string::npos ? std::string() : d.substr(open + 1, close - open - 1)));
    } else if (d.starts_with("Value type not permitted")) {
      add(at.shape == "/inputs/*/default" ? wrong_default(at, violation.path.at(1))
                                          : wrong_type(at));
    } else if (d.starts_with("Failed to match regex")) {
      add(bad_pattern(at));
    } else if (d.starts_with("Failed to match against any enum")) {
      add(not_in_enum(at));
    } else if (d.starts_with("Failed to match expected value set by 'const'") &&
               at.shape == "/pipewright") {
      add({at.pointer, false,
           "unsupported file format version " +
               (at.instance->is_number() ? number_text(*at.instance)
                                         : boost::json::serialize(*at.instance)) +
               "; this pipewright reads version 1",
           "set \"pipewright\": 1"});
    } else {
      add(unmet_limit(at, d));
    }
  }

  // The schema ties a default's type to its input's "type" (if/then).
  Problem wrong_default(const Place& at, const std::string& input_name) const {
    const Place input = place_of(root_, {"inputs", input_name});
    const value* type = input.instance && input.instance->is_object()
                            ? input.instance->as_object().if_contains("type")
                            : nullptr;
    return {
        at.pointer,
        false,
        "default of input " + in_quotes(input.name) + " is " + kind_of(at.instance) +
            ", but its type is " +
            (type && type->is_string() ? std::string(type->get_string()) : std::string("another")),
        {}};
  }

  // valijson names only the first unknown member of an object; every one is
  // reported, each with the allowed key nearest to it.
  void unknown_keys(const Place& at) {
    const object* members = at.instance ? at.instance->if_object() : nullptr;
    const value* properties = at.schema ? at.schema->if_contains("properties") : nullptr;
    if (!members || !properties || !properties->is_object()) return;
    std::vector<std::string> allowed;
    for (const auto& property : properties->as_object()) allowed.emplace_back(property.key());
    for (const auto& member : *members) {
      const std::string key(member.key());
      if (properties->as_object().contains(key)) continue;
      const std::string guess = util::closest_match(key, allowed);
      add({pointer_append(at.pointer, key), true,
           "unknown key " + in_quotes(key) + " in " + container(at),
           guess.empty() ? "allowed keys: " + join(allowed)
                         : "did you mean " + in_quotes(guess) + "?"});
    }
  }

  // valijson checks "propertyNames" without saying which name failed, so
  // each name is matched here against the schema's own pattern.
  void check_names(const Place& at) {
    if (!at.instance) return;
    if (const auto* members = at.instance->if_object()) {
      const object* names = at.schema ? resolve(at.schema->if_contains("propertyNames")) : nullptr;
      const value* pattern = names ? names->if_contains("pattern") : nullptr;
      for (const auto& member : *members) {
        const std::string key(member.key());
        const Place child = child_of(at, key);
        if (pattern && pattern->is_string() &&
            !std::regex_search(key, compiled(pattern->get_string()))) {
          const auto kind = named_members().find(child.shape);
          add({child.pointer, true,
               (kind != named_members().end() ? kind->second : "name") + " " + in_quotes(key) +
                   " is not a valid name",
               name_hint});
        }
        check_names(child);
      }
    } else if (const auto* items = at.instance->if_array()) {
      for (std::size_t i = 0; i < items->size(); ++i) check_names(child_of(at, std::to_string(i)));
    }
  }

  const std::regex& compiled(std::string_view pattern) {
    auto it = patterns_.find(std::string(pattern));
    if (it == patterns_.end())
      it = patterns_.emplace(std::string(pattern), std::regex(std::string(pattern))).first;
    return it->second;
  }

  const value& root_;
  const Pipeline& pipeline_;
  Diagnostics& errors_;
  std::set<std::pair<std::string, std::string>> reported_;
  std::map<std::string, std::regex> patterns_;
};

}  // namespace

void check_pipeline_shape(const value& root, const Pipeline& pipeline, Diagnostics& errors) {
  ShapeReport(root, pipeline, errors).run();
}

}  // namespace pw::config_detail
