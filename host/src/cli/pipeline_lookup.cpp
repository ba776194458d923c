#include "pipeline_lookup.hpp"

#include <unistd.h>

#include <system_error>

namespace pw {

namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

std::vector<fs::path> conf_dirs() {
  std::vector<fs::path> dirs{fs::current_path() / "conf"};
  if (auto exe = executable_dir(); !exe.empty())
    dirs.push_back(exe / ".." / PIPEWRIGHT_INSTALL_SHARE_DIR / "conf");
  if (running_from_build_tree()) dirs.emplace_back(PIPEWRIGHT_SOURCE_CONF_DIR);
  return dirs;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

std::optional<fs::path> find_pipeline_file(std::string_view file_or_name) {
  fs::path direct{std::string(file_or_name)};
  if (is_file(direct)) return fs::absolute(direct);
  // A name never holds a path separator or an extension.
  if (file_or_name.find('/') != std::string_view::npos || direct.has_extension())
    return std::nullopt;
  for (const auto& dir : conf_dirs())
    for (const char* ext : {".json", ".jsonc"}) {
      fs::path candidate = dir / (std::string(file_or_name) + ext);
      if (is_file(candidate)) return fs::absolute(candidate).lexically_normal();
    }
  return std::nullopt;
}

std::string pipeline_not_found_message(std::string_view file_or_name) {
  std::string msg = "pipewright: no pipeline file or name \"" + std::string(file_or_name) + "\"";
  msg += "; looked for the file, and for NAME.json(c) in:";
  for (const auto& dir : conf_dirs()) msg += "\n  " + dir.lexically_normal().string();
  msg += "\n  hint: pass a path to a pipeline file, or the name of a ready pipeline";
  return msg;
}

fs::path resolve_pipeline_uses(std::string_view uses, const fs::path& from) {
  constexpr std::string_view prefix = "pipeline:";
  if (uses.substr(0, prefix.size()) == prefix) {
    auto found = find_pipeline_file(uses.substr(prefix.size()));
    return found ? *found : fs::path();
  }
  fs::path p{std::string(uses)};
  if (p.is_relative()) p = from.parent_path() / p;
  return is_file(p) ? fs::absolute(p).lexically_normal() : fs::path();
}

PluginCatalog::PluginCatalog(const PluginRegistry& registry) {
  for (const auto& p : registry.plugins())
    plugins_.emplace(p->name, PluginInfo{p->name, p->kind, p->params_schema, p->outputs_schema});
}

const PluginInfo* PluginCatalog::find(std::string_view name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : &it->second;
}

ValidationContext make_validation_context(const PluginCatalog& catalog) {
  ValidationContext ctx;
  ctx.find_plugin = [&catalog](std::string_view name) { return catalog.find(name); };
  ctx.find_pipeline = [](std::string_view uses, const fs::path& from) {
    return resolve_pipeline_uses(uses, from);
  };
  return ctx;
}

}  // namespace pw
