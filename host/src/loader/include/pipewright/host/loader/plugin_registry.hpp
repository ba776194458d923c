// Plugin discovery and loading (Boost.DLL): the loader room's API, used by
// the run, engine and cli rooms.
#pragma once

#include <pipewright/plugin.h>
#include <pipewright/util/diagnostic.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pw {

// A plugin that negotiated successfully. `library` keeps the shared library
// loaded: hold a copy of it for as long as anything from the plugin (its
// descriptor strings, run function, or a call in flight) may be used. When
// the last copy goes, the plugin's shutdown (ABI 1.3) runs, then the library
// is unloaded.
struct LoadedPlugin {
  std::string name;
  std::int32_t kind = 0;  // PW_KIND_*
  std::string version;
  std::string description;
  std::string documentation;  // ABI 1.1; empty when the plugin has none
  boost::json::value params_schema;
  boost::json::value outputs_schema;
  std::vector<std::string> secret_outputs;  // properties marked "x-secret"
  std::filesystem::path file;
  std::uint32_t abi_minor = 0;
  pw_run_fn run = nullptr;
  void* plugin_data = nullptr;
  std::shared_ptr<void> library;
};

// A file on the search path that could not be used: `problem` is about the
// file (its subject), says in one line what is wrong ("ABI major 2, this
// host speaks 1") and, in its hint, what to do about it.
struct RefusedPlugin {
  std::filesystem::path file;
  Diagnostic problem;
};

std::string_view kind_name(std::int32_t kind);  // "auth", "check", "step"

// True for an executable that lives inside the build tree it was built in:
// only such a binary also looks in that tree (its plugins/, the source
// tree's conf/). An installed pipewright sees only what was installed.
bool running_from_build_tree();

// Not thread-safe: scan/load at startup on one thread, then only read.
// Refusal reasons start with the file's path and never throw out of scan.
class PluginRegistry {
 public:
  // `services` is the host table offered at negotiation; it must outlive the
  // registry and every plugin loaded through it.
  explicit PluginRegistry(const pw_host_services_v1* services);
  // Offers `offered_minor` instead of PW_ABI_MINOR at negotiation: lets
  // tests play an older host.
  PluginRegistry(const pw_host_services_v1* services, std::uint32_t offered_minor);

  // Loads every *.so in each directory (not recursive), in order; a later
  // plugin with a name already loaded is refused. Never throws for a bad
  // plugin: it lands in refused().
  void scan(const std::vector<std::filesystem::path>& directories);
  // Loads one file; returns the plugin or nullptr (then see refused()).
  const LoadedPlugin* load_file(const std::filesystem::path& file);

  const LoadedPlugin* find(std::string_view name) const;
  const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }

  // --plugin-path entries, then PIPEWRIGHT_PLUGIN_PATH (colon-separated),
  // then the installed plugin dir (relative to the executable), then the
  // build tree's plugin dir when running_from_build_tree(). Missing
  // directories are skipped.
  static std::vector<std::filesystem::path> search_path(
      const std::vector<std::filesystem::path>& from_cli);

 private:
  const pw_host_services_v1* services_;
  std::uint32_t offered_minor_ = PW_ABI_MINOR;
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<RefusedPlugin> refused_;
};

}  // namespace pw
