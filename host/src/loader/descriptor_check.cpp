#include "descriptor_check.hpp"

#include <cstddef>

namespace pw {
namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// Parses a schema text; returns an error message, empty on success.
std::string parse_schema(const char* text, const char* which, boost::json::value& out) {
  if (text == nullptr) return std::string(which) + " is NULL (it must be a JSON Schema object)";
  boost::system::error_code ec;
  out = boost::json::parse(text, ec);
  if (ec) return std::string(which) + " is not valid JSON (" + ec.message() + ")";
  if (!out.is_object()) return std::string(which) + " is not a JSON object";
  return {};
}

std::vector<std::string> secret_properties(const boost::json::value& schema) {
  std::vector<std::string> out;
  const auto* props = schema.as_object().if_contains("properties");
  if (props == nullptr || !props->is_object()) return out;
  for (const auto& [key, value] : props->as_object()) {
    if (!value.is_object()) continue;
    const auto* secret = value.as_object().if_contains("x-secret");
    if (secret && secret->is_bool() && secret->as_bool()) out.emplace_back(key);
  }
  return out;
}

}  // namespace

bool is_valid_plugin_name(std::string_view name) {
  std::size_t segments = 0;
  std::size_t i = 0;
  while (i <= name.size()) {
    if (i == name.size() || !lower(name[i])) return false;
    ++i;
    while (i < name.size() && (lower(name[i]) || digit(name[i]) || name[i] == '_')) ++i;
    ++segments;
    if (i == name.size()) break;
    if (name[i] != '.') return false;
    ++i;
  }
  return segments >= 2;
}

CheckedDescriptor check_descriptor(const pw_plugin_v1* copy) {
  const pw_plugin_v1& d = *copy;
  CheckedDescriptor out;
  auto fail = [&](std::string error) {
    out.error = std::move(error);
    return out;
  };
  if (!PW_HAS_MEMBER(copy, pw_plugin_v1, run)) {
    return fail("struct_size " + std::to_string(d.struct_size) +
                " is too small (ABI 1.0 needs at least " +
                std::to_string(offsetof(pw_plugin_v1, run) + sizeof(pw_run_fn)) + ")");
  }
  if (d.name == nullptr) return fail("name is NULL");
  if (!is_valid_plugin_name(d.name)) {
    return fail("name '" + std::string(d.name) +
                "' does not match family.kind.name (lower case letters, digits and _, "
                "separated by dots)");
  }
  const std::string name = d.name;
  if (d.version == nullptr) return fail(name + ": version is NULL");
  if (d.run == nullptr) return fail(name + ": run is NULL");
  if (d.kind < PW_KIND_AUTH || d.kind > PW_KIND_STEP)
    return fail(name + ": kind " + std::to_string(d.kind) +
                " is not 1 (auth), 2 (check) or 3 (step)");
  if (d.description == nullptr || d.description[0] == '\0')
    return fail(name + ": description is empty");

  LoadedPlugin& p = out.plugin;
  if (auto e = parse_schema(d.params_schema, "params_schema", p.params_schema); !e.empty())
    return fail(name + ": " + e);
  if (auto e = parse_schema(d.outputs_schema, "outputs_schema", p.outputs_schema); !e.empty())
    return fail(name + ": " + e);

  p.name = name;
  p.kind = d.kind;
  p.version = d.version;
  p.description = d.description;
  p.secret_outputs = secret_properties(p.outputs_schema);
  p.run = d.run;
  p.plugin_data = PW_HAS_MEMBER(copy, pw_plugin_v1, plugin_data) ? d.plugin_data : nullptr;
  if (PW_HAS_MEMBER(copy, pw_plugin_v1, documentation) && d.documentation != nullptr)
    p.documentation = d.documentation;
  return out;
}

}  // namespace pw
