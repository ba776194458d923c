// How a matrix's values become its instances: the cross product of the
// axes, exclude and include (GitHub Actions' rules), and each instance's
// default label.
#include <pipewright/host/config/config.hpp>

namespace pw {

namespace json = boost::json;

namespace {

std::string kind_phrase(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::string: return "a string";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    default: return "a number";
  }
}

// True when every member of `entry` that is an axis has the instance's value.
bool agrees(const json::object& entry, const json::object& instance,
            const std::map<std::string, json::array>& axes) {
  for (const auto& [key, value] : entry) {
    if (!axes.contains(std::string(key))) continue;
    const auto* have = instance.if_contains(key);
    if (!have || *have != value) return false;
  }
  return true;
}

bool matches(const json::object& exclusion, const json::object& instance) {
  for (const auto& [key, value] : exclusion) {
    const auto* have = instance.if_contains(key);
    if (!have || *have != value) return false;
  }
  return true;
}

std::string scalar_text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

}  // namespace

std::optional<std::string> matrix_data_problem(const json::value& data, bool of_objects) {
  if (!data.is_array()) return "is " + kind_phrase(data) + ", not an array";
  const auto& items = data.get_array();
  if (items.empty() && !of_objects) return std::string("has no values");
  if (of_objects)
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!items[i].is_object())
        return "entry " + std::to_string(i) + " is " + kind_phrase(items[i]) + ", not an object of axis values";
  return std::nullopt;
}

std::vector<json::object> matrix_instances(const std::map<std::string, json::array>& axes,
                                           const json::array& include, const json::array& exclude) {
  std::vector<json::object> out;
  if (!axes.empty()) out.emplace_back();
  for (const auto& [axis, values] : axes) {
    std::vector<json::object> next;
    next.reserve(out.size() * values.size());
    for (const auto& partial : out)
      for (const auto& v : values) {
        json::object o = partial;
        o[axis] = v;
        next.push_back(std::move(o));
      }
    out = std::move(next);
  }
  std::erase_if(out, [&](const json::object& instance) {
    for (const auto& entry : exclude)
      if (entry.is_object() && matches(entry.get_object(), instance)) return true;
    return false;
  });
  const std::size_t original = out.size();
  for (const auto& entry : include) {
    if (!entry.is_object()) continue;
    bool extended = false;
    for (std::size_t i = 0; i < original; ++i) {
      if (!agrees(entry.get_object(), out[i], axes)) continue;
      for (const auto& [key, value] : entry.get_object()) out[i][key] = value;
      extended = true;
    }
    if (!extended) out.push_back(entry.get_object());
  }
  return out;
}

std::string matrix_default_label(const json::object& instance, std::size_t index) {
  std::string out;
  for (const auto& [key, value] : instance) {
    std::string part;
    if (const auto* o = value.if_object()) {
      for (const char* field : {"name", "tenant", "id"})
        if (const auto* f = o->if_contains(field); f && (f->is_string() || f->is_number())) {
          part = scalar_text(*f);
          break;
        }
      if (part.empty()) part = "#" + std::to_string(index + 1);
    } else if (value.is_array()) {
      part = "#" + std::to_string(index + 1);
    } else {
      part = scalar_text(value);
    }
    out += (out.empty() ? "" : ",") + part;
  }
  return out.empty() ? "#" + std::to_string(index + 1) : out;
}

}  // namespace pw
