// Finding pipelines by file or ready-made name, loading them with their
// errors, and the ValidationContext that connects config to the loaded
// plugins. Used by `run`, `validate` and nested pipelines.
#pragma once

#include <pipewright/host/config/config.hpp>
#include <pipewright/host/loader/plugin_registry.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw {

// FILE if it exists; else NAME looked up as ./conf/NAME.json(c), then the
// installed share dir, then the source tree's conf/. nullopt when none.
std::optional<std::filesystem::path> find_pipeline_file(std::string_view file_or_name);

// Where a step's pipeline `uses` points, relative to the file that uses it;
// empty when it does not exist.
std::filesystem::path resolve_pipeline_uses(std::string_view uses,
                                            const std::filesystem::path& from);

// Describes the loaded plugins to the validator; keeps its own copies of
// what it needs, so it does not depend on the registry's lifetime.
class PluginCatalog {
 public:
  explicit PluginCatalog(const PluginRegistry& registry);
  const PluginInfo* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, PluginInfo, std::less<>> plugins_;
};

ValidationContext make_validation_context(const PluginCatalog& catalog);

// A ready pipeline: its NAME and the file that name runs.
struct ReadyPipeline {
  std::string name;
  std::filesystem::path file;
};
// Every name `run NAME` accepts, sorted, each with the file it finds.
std::vector<ReadyPipeline> ready_pipelines();

// FILE|NAME arguments holding a '/' or an extension are paths, never names.
bool looks_like_path(std::string_view file_or_name);

// Why FILE|NAME found nothing: a missing file (and its missing directory),
// or an unknown name with the closest ready one.
Diagnostic pipeline_not_found(std::string_view file_or_name);

}  // namespace pw
