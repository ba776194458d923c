#include "pipeline_lookup.hpp"

#include <unistd.h>

#include <pipewright/util/edit_distance.hpp>

#include <algorithm>
#include <set>
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

bool looks_like_path(std::string_view file_or_name) {
  return file_or_name.find('/') != std::string_view::npos ||
         fs::path(std::string(file_or_name)).has_extension();
}

std::vector<ReadyPipeline> ready_pipelines() {
  std::vector<ReadyPipeline> found;
  std::set<std::string> seen;
  for (const auto& dir : conf_dirs()) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file(ec) && (entry.path().extension() == ".json" || entry.path().extension() == ".jsonc"))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    // The first directory holding a name wins, as in find_pipeline_file.
    for (const auto& f : files)
      if (seen.insert(f.stem().string()).second)
        found.push_back({f.stem().string(), fs::absolute(f).lexically_normal()});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return found;
}

Diagnostic pipeline_not_found(std::string_view file_or_name) {
  Diagnostic d;
  d.severity = Severity::error;
  const std::string given(file_or_name);
  if (looks_like_path(file_or_name)) {
    fs::path p(given);
    std::error_code ec;
    const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
    d.subject.where.file = given;
    if (!fs::is_directory(parent, ec)) {
      d.summary = "no such file: " + given + " (the directory " + parent.string() + " does not exist)";
    } else if (fs::exists(p, ec)) {
      d.summary = given + " is not a regular file";
    } else {
      d.summary = "no such file: " + given;
    }
    d.hint = "check the path; `pipewright pipelines list` shows the ready pipelines";
    return d;
  }
  std::vector<std::string> names;
  for (const auto& r : ready_pipelines()) names.push_back(r.name);
  d.summary = "no pipeline file or ready pipeline named \"" + given + "\"";
  std::string where;
  for (const auto& dir : conf_dirs()) where += (where.empty() ? "" : ", ") + dir.lexically_normal().string();
  d.detail = "looked for the file, and for NAME.json(c) in " + where;
  const std::string guess = util::closest_match(given, names);
  d.hint = guess.empty() ? "`pipewright pipelines list` shows the ready pipelines"
                         : "did you mean \"" + guess + "\"? (`pipewright pipelines list` shows them all)";
  return d;
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

std::vector<std::string> PluginCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : plugins_) out.push_back(name);
  return out;
}

ValidationContext make_validation_context(const PluginCatalog& catalog) {
  ValidationContext ctx;
  ctx.find_plugin = [&catalog](std::string_view name) { return catalog.find(name); };
  ctx.plugin_names = [&catalog] { return catalog.names(); };
  ctx.find_pipeline = [](std::string_view uses, const fs::path& from) {
    return resolve_pipeline_uses(uses, from);
  };
  return ctx;
}

}  // namespace pw
