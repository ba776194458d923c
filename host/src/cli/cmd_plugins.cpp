// `pipewright plugins list|show|doctor`: what is loaded, what was refused
// and why, and what each plugin accepts.
#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/cli/cli.hpp>
#include <pipewright/host/isolation/confinement.hpp>
#include <pipewright/util/edit_distance.hpp>

#include <cstdio>
#include <string>

namespace pw {

namespace json = boost::json;

namespace {

void print(const std::string& line) { std::printf("%s\n", line.c_str()); }

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string describe_type(const json::object& prop) {
  if (auto* t = prop.if_contains("type")) {
    if (t->is_string()) return std::string(t->as_string());
    if (t->is_array()) {
      std::string out;
      for (const auto& v : t->as_array())
        if (v.is_string()) out += (out.empty() ? "" : "|") + std::string(v.as_string());
      return out;
    }
  }
  if (prop.contains("enum")) return "one of " + json::serialize(prop.at("enum"));
  return "any";
}

// One line per property of an object schema: name, type, required, what it is.
void print_schema(const json::value& schema, std::string_view title) {
  print(std::string(title) + ":");
  const json::object* props = nullptr;
  if (schema.is_object())
    if (auto* p = schema.as_object().if_contains("properties"); p && p->is_object())
      props = &p->as_object();
  if (!props || props->empty()) {
    print("  (none declared)");
    return;
  }
  std::vector<std::string> required;
  if (auto* r = schema.as_object().if_contains("required"); r && r->is_array())
    for (const auto& v : r->as_array())
      if (v.is_string()) required.emplace_back(v.as_string());
  for (const auto& [name, value] : *props) {
    if (!value.is_object()) continue;
    const auto& prop = value.as_object();
    std::string line = "  " + pad(std::string(name), 18) + describe_type(prop);
    if (std::find(required.begin(), required.end(), std::string(name)) != required.end())
      line += ", required";
    if (auto* s = prop.if_contains("x-secret"); s && s->is_bool() && s->as_bool()) line += ", secret";
    if (auto* d = prop.if_contains("default")) line += ", default " + json::serialize(*d);
    if (auto* d = prop.if_contains("description"); d && d->is_string())
      line += " — " + std::string(d->as_string());
    print(line);
  }
}

int list(const PluginRegistry& registry, OutputFormat format) {
  if (format == OutputFormat::json) {
    json::array plugins, refused;
    for (const auto& p : registry.plugins())
      plugins.push_back({{"name", p->name},
                         {"kind", kind_name(p->kind)},
                         {"version", p->version},
                         {"description", p->description},
                         {"file", p->file.string()}});
    for (const auto& r : registry.refused())
      refused.push_back({{"file", r.file.string()}, {"reason", r.problem.summary}, {"fix", r.problem.hint}});
    print(json::serialize(json::object{{"plugins", plugins}, {"refused", refused}}));
    return exit_code::ok;
  }
  if (registry.plugins().empty())
    print("no plugins loaded; see `pipewright plugins doctor` for the search path");
  for (const auto& p : registry.plugins())
    print(pad(p->name, 36) + pad(std::string(kind_name(p->kind)), 7) + pad(p->version, 9) +
          p->description);
  if (!registry.refused().empty()) {
    print("\nrefused:");
    for (const auto& r : registry.refused()) print("  " + render_text(r.problem));
  }
  return exit_code::ok;
}

int show(const PluginRegistry& registry, const std::string& name) {
  const LoadedPlugin* p = registry.find(name);
  if (!p) {
    std::vector<std::string> names;
    for (const auto& loaded : registry.plugins()) names.push_back(loaded->name);
    const std::string guess = util::closest_match(name, names);
    std::fprintf(stderr, "pipewright: no plugin named \"%s\" is loaded\n  hint: %s\n", name.c_str(),
                 guess.empty() ? "`pipewright plugins list` shows the loaded ones"
                               : ("did you mean \"" + guess + "\"? (`pipewright plugins list` shows them all)").c_str());
    return exit_code::usage;
  }
  print(p->name + " " + p->version + " (" + std::string(kind_name(p->kind)) + ")");
  print("  " + p->description);
  print("  file: " + p->file.string() + ", ABI 1." + std::to_string(p->abi_minor));
  print_schema(p->params_schema, "with");
  print_schema(p->outputs_schema, "outputs");
  if (!p->documentation.empty()) print("\n" + p->documentation);
  return exit_code::ok;
}

int doctor(const PluginRegistry& registry, const std::vector<std::filesystem::path>& search) {
  print("plugin search path:");
  for (const auto& dir : search) print("  " + dir.string());
  if (search.empty()) print("  (no existing directory; pass --plugin-path DIR)");
  print(std::to_string(registry.plugins().size()) + " plugin(s) loaded");
  print("process isolation on this kernel:");
  for (const auto& line : isolation::describe_enforcement()) print("  " + line);
  if (registry.refused().empty()) {
    print("no problems found");
    return exit_code::ok;
  }
  for (const auto& r : registry.refused()) print(render_text(r.problem));
  return exit_code::plugin_refused;
}

}  // namespace

int command_plugins(const PluginsOptions& options) {
  PluginRegistry registry(host_services());
  auto search = PluginRegistry::search_path(options.plugin_paths);
  registry.scan(search);
  if (options.action == "show") return show(registry, options.name);
  if (options.action == "doctor") return doctor(registry, search);
  return list(registry, options.output);
}

}  // namespace pw
