// Checks a `with` object against a plugin's params schema, mapping each
// schema error to the offending member's location and a plain message.
#include "with_schema.hpp"

#include "json_schema.hpp"

#include <pipewright/util/edit_distance.hpp>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

namespace pw::config_detail {
namespace {

bool holds_expression(const boost::json::value& v) {
  if (const auto* text = v.if_string()) return has_expression(*text);
  if (const auto* array = v.if_array()) return std::any_of(array->begin(), array->end(), holds_expression);
  if (const auto* object = v.if_object()) {
    return std::any_of(object->begin(), object->end(), [](const auto& m) { return holds_expression(m.value()); });
  }
  return false;
}

std::string quoted_between(const std::string& text, char open, char close) {
  const auto start = text.find(open);
  const auto end = start == std::string::npos ? std::string::npos : text.find(close, start + 1);
  return end == std::string::npos ? std::string() : text.substr(start + 1, end - start - 1);
}

bool is_index(const std::string& part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The schema keyword `keyword` that applies at `path`, following
// "properties" and "items"; nullptr when the path leaves the simple cases.
const boost::json::value* schema_keyword_at(const boost::json::value& schema, const std::vector<std::string>& path,
                                            std::string_view keyword) {
  const boost::json::value* at = &schema;
  for (const auto& part : path) {
    const auto* object = at->if_object();
    if (!object) return nullptr;
    const boost::json::value* next = nullptr;
    if (const auto* items = object->if_contains("items"); items && items->is_object() && is_index(part)) {
      next = items;
    } else if (const auto* properties = object->if_contains("properties"); properties && properties->is_object()) {
      next = properties->as_object().if_contains(part);
    }
    if (!next) return nullptr;
    at = next;
  }
  const auto* object = at->if_object();
  return object ? object->if_contains(keyword) : nullptr;
}

std::string schema_type_at(const boost::json::value& schema, const std::vector<std::string>& path) {
  const auto* type = schema_keyword_at(schema, path, "type");
  if (!type) return {};
  return type->is_string() ? std::string(type->get_string()) : boost::json::serialize(*type);
}

// "parameter \"tags\"", or "item 1 of parameter \"tags\"" inside an array.
std::string describe_path(const std::vector<std::string>& path) {
  if (path.empty()) return "\"with\"";
  std::string out = "parameter \"" + path.front() + "\"";
  for (std::size_t i = 1; i < path.size(); ++i) {
    out = is_index(path[i]) ? "item " + path[i] + " of " + out : "field \"" + path[i] + "\" of " + out;
  }
  return out;
}

std::string kind_word(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "integer";
    case boost::json::kind::double_: return "number";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
  }
  return "value";
}

// One problem of `with`, before it is located.
struct Finding {
  std::vector<std::string> path;  // member path inside `with`; empty = `with` itself
  std::string message;
  bool at_key = false;  // point at the member's key, not its value
  std::string hint;
};

std::vector<Finding> schema_problems(const boost::json::value& schema, const boost::json::object& with) {
  std::vector<Finding> problems;
  if (!schema.is_object() || schema.as_object().empty()) return problems;

  // Values holding ${{ }} are unknown until run time: leave them out, and
  // forgive "required" for them.
  boost::json::object known;
  std::set<std::string> deferred;
  for (const auto& member : with) {
    if (holds_expression(member.value())) {
      deferred.insert(std::string(member.key()));
    } else {
      known.emplace(member.key(), member.value());
    }
  }
  const boost::json::value instance(known);

  std::vector<SchemaViolation> violations;
  try {
    violations = JsonSchema(schema).violations(instance);
  } catch (const std::invalid_argument& e) {
    problems.push_back({{}, std::string("the plugin's parameter schema is invalid: ") + e.what(), false, {}});
    return problems;
  }

  std::vector<std::string> property_names;
  if (const auto* properties = schema.as_object().if_contains("properties"); properties && properties->is_object()) {
    for (const auto& member : properties->as_object()) property_names.emplace_back(member.key());
  }

  for (auto& violation : violations) {
    Finding problem;
    problem.path = std::move(violation.path);
    const std::string where = describe_path(problem.path);
    const std::string& d = violation.description;
    if (d.starts_with("Missing required property")) {
      const std::string name = quoted_between(d, '\'', '\'');
      if (problem.path.empty() && deferred.contains(name)) continue;
      problem.message = "missing required parameter \"" + name + "\"";
    } else if (d.starts_with("Object contains a property that could not be validated")) {
      const std::string name = d.substr(d.rfind(": '") + 3, d.size() - d.rfind(": '") - 5);
      problem.path.push_back(name);
      problem.at_key = true;
      problem.message = "unknown parameter \"" + name + "\"";
      if (problem.path.size() == 1) {
        const std::string guess = util::closest_match(name, property_names);
        if (!guess.empty()) {
          problem.hint = "did you mean \"" + guess + "\"?";
        } else if (!property_names.empty()) {
          problem.hint = "parameters:";
          for (const auto& p : property_names) problem.hint += " " + p;
        }
      }
    } else if (d.starts_with("Value type not permitted")) {
      const std::string expected = schema_type_at(schema, problem.path);
      const boost::json::value* got = &instance;
      for (const auto& part : problem.path) {
        const boost::json::value* next = nullptr;
        if (const auto* object = got->if_object()) {
          next = object->if_contains(part);
        } else if (const auto* array = got->if_array(); array && is_index(part)) {
          next = array->if_contains(std::stoul(part));
        }
        if (!next) break;
        got = next;
      }
      problem.message = where + " has the wrong type" +
                        (expected.empty() ? std::string() : ": expected " + expected + ", got " + kind_word(*got));
    } else if (const auto* choices = schema_keyword_at(schema, problem.path, "enum");
               d.starts_with("Failed to match against any enum") && choices && choices->is_array()) {
      std::string list;
      for (const auto& choice : choices->as_array()) list += (list.empty() ? "" : ", ") + boost::json::serialize(choice);
      problem.message = where + " must be one of " + list;
    } else {
      // valijson's own wording, minus its trailing period.
      std::string text = d;
      if (!text.empty() && text.back() == '.') text.pop_back();
      // valijson prints limits with std::to_string: "1.000000" -> "1".
      text = std::regex_replace(text, std::regex("(\\d+)\\.0+\\b"), "$1");
      text = std::regex_replace(text, std::regex("(\\d+\\.\\d*?[1-9])0+\\b"), "$1");
      if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
      problem.message = where + ": " + text;
    }
    problems.push_back(std::move(problem));
  }
  return problems;
}

}  // namespace

Diagnostics check_with_schema(const boost::json::value& schema, const boost::json::object& with,
                              const WithLocator& locate) {
  Diagnostics out;
  for (auto& problem : schema_problems(schema, with)) {
    std::string pointer;
    for (const auto& part : problem.path) pointer = pointer_append(pointer, part);
    Diagnostic d = config_error(locate(pointer, problem.at_key), std::move(problem.message), std::move(problem.hint));
    d.subject.pointer = std::move(pointer);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace pw::config_detail
