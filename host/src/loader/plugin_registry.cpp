#include "descriptor_check.hpp"

#include <pipewright/host/loader/plugin_registry.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <unordered_set>

namespace pw {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEntryPrefix = "pw_plugin_negotiate_v";

// A copy of the loader's own error text, taken right after a failed dlopen
// (Boost.DLL only reports a generic error code).
std::string last_loader_error(const std::string& file) {
  const char* text = ::dlerror();
  std::string out = text ? std::string(text) : std::string("unknown loader error");
  // dlerror() usually starts with the file name, which the reason already has.
  if (out.rfind(file + ": ", 0) == 0) out.erase(0, file.size() + 2);
  return out;
}

// The ABI majors a library was built for, from the entry symbols it exports
// (pw_plugin_negotiate_vN). Empty when the file is not readable as a library.
std::vector<unsigned> exported_majors(const fs::path& file) {
  std::vector<unsigned> majors;
  try {
    boost::dll::library_info info(boost::dll::fs::path(file.string()), false);
    for (const std::string& symbol : info.symbols()) {
      std::string_view s(symbol);
      if (s.size() <= kEntryPrefix.size() || s.substr(0, kEntryPrefix.size()) != kEntryPrefix)
        continue;
      auto digits = s.substr(kEntryPrefix.size());
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      majors.push_back(
          static_cast<unsigned>(std::strtoul(std::string(digits).c_str(), nullptr, 10)));
    }
  } catch (const std::exception&) {
    // Not an ELF file we can read: the caller reports the missing symbol.
  }
  std::sort(majors.begin(), majors.end());
  majors.erase(std::unique(majors.begin(), majors.end()), majors.end());
  return majors;
}

std::string join_majors(const std::vector<unsigned>& majors) {
  std::string out;
  for (unsigned m : majors) {
    if (!out.empty()) out += ", ";
    out += std::to_string(m);
  }
  return out;
}

fs::path normalized(const fs::path& p) {
  std::error_code ec;
  auto abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  auto canon = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : canon;
}

// One loaded library. The last holder of a LoadedPlugin's `library` lets go
// of it after the plugin's last call: its shutdown (ABI 1.3) runs then, once,
// and the library is unloaded only after it returns (members die after the
// destructor's body).
struct OpenLibrary {
  boost::dll::shared_library library;
  pw_shutdown_fn shutdown = nullptr;
  void* plugin_data = nullptr;

  OpenLibrary() = default;
  OpenLibrary(const OpenLibrary&) = delete;
  OpenLibrary& operator=(const OpenLibrary&) = delete;
  ~OpenLibrary() {
    if (shutdown) shutdown(plugin_data);
  }
};

void add_dir(std::vector<fs::path>& out, std::unordered_set<std::string>& seen,
             const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  auto norm = normalized(dir);
  if (seen.insert(norm.string()).second) out.push_back(norm);
}

}  // namespace

std::string_view kind_name(std::int32_t kind) {
  switch (kind) {
    case PW_KIND_AUTH:
      return "auth";
    case PW_KIND_CHECK:
      return "check";
    case PW_KIND_STEP:
      return "step";
    default:
      return "unknown";
  }
}

PluginRegistry::PluginRegistry(const pw_host_services_v1* services) : services_(services) {}

PluginRegistry::PluginRegistry(const pw_host_services_v1* services, std::uint32_t offered_minor)
    : services_(services), offered_minor_(offered_minor) {}

void PluginRegistry::scan(const std::vector<fs::path>& directories) {
  for (const auto& dir : directories) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (it->path().extension() == ".so" && !it->is_directory(type_ec))
        files.push_back(it->path());
    }
    // Sorted so that which of two same-named plugins wins does not depend on
    // the directory's order.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) load_file(file);
  }
}

const LoadedPlugin* PluginRegistry::load_file(const fs::path& given) {
  const fs::path file = normalized(given);
  const std::string where = file.string();
  auto refuse = [&](std::string reason, std::string fix) -> const LoadedPlugin* {
    // One line each: text from the plugin or the loader may hold newlines.
    std::replace_if(
        reason.begin(), reason.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    refused_.push_back({file, {Severity::error, std::move(reason), {}, {{where, 0, 0}, {}}, std::move(fix)}});
    return nullptr;
  };

  // The same file reached twice (a folder listed twice) is not a duplicate.
  for (const auto& p : plugins_)
    if (p->file == file) return p.get();

  auto open = std::make_shared<OpenLibrary>();
  boost::dll::shared_library* library = &open->library;
  boost::dll::fs::error_code load_ec;
  library->load(boost::dll::fs::path(where),
                boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_ec);
  if (load_ec || !library->is_loaded()) {
    return refuse("not a loadable shared library (" + last_loader_error(where) + ")",
                  "remove it from the plugin directory, or rebuild it as a shared library "
                  "for this platform");
  }

  if (!library->has(PW_ENTRY_SYMBOL_V1)) {
    auto majors = exported_majors(file);
    if (!majors.empty()) {
      return refuse("built for plugin ABI major " + join_majors(majors) +
                        "; this host speaks ABI major " + std::to_string(PW_ABI_MAJOR) +
                        " (" PW_ENTRY_SYMBOL_V1 ")",
                    "install a version of the plugin built for plugin ABI major " +
                        std::to_string(PW_ABI_MAJOR) + ", or a pipewright host that speaks major " +
                        join_majors(majors));
    }
    return refuse("no entry symbol " PW_ENTRY_SYMBOL_V1 "; this is not a pipewright plugin",
                  "remove it from the plugin directory; a plugin exports "
                  "pw_plugin_negotiate_v1 (see docs/plugin-guide.md)");
  }

  auto& negotiate = library->get<pw_status(pw_negotiate_v1*)>(PW_ENTRY_SYMBOL_V1);
  pw_negotiate_v1 n{};
  n.struct_size = sizeof(pw_negotiate_v1);
  n.host_abi_major = PW_ABI_MAJOR;
  n.host_abi_minor = offered_minor_;
  n.host = services_;
  const pw_status status = negotiate(&n);
  const std::string host_minor = std::to_string(offered_minor_);
  if (status != PW_STATUS_OK) {
    std::string why = n.refusal ? std::string(n.refusal) : std::string("no reason given");
    return refuse("refused to load: " + why + " (host offers ABI 1." + host_minor +
                      ", plugin answered ABI 1." + std::to_string(n.plugin_abi_minor) + ")",
                  "upgrade pipewright to a version whose plugin ABI satisfies the plugin, or "
                  "install an older version of the plugin");
  }
  if (n.plugin_abi_minor > offered_minor_) {
    return refuse("answered plugin ABI minor " + std::to_string(n.plugin_abi_minor) +
                      " but the host offered at most minor " + host_minor,
                  "the plugin breaks the negotiation rule (it must answer a minor no higher "
                  "than offered); report it to its author");
  }
  if (n.plugin == nullptr) {
    return refuse("negotiation succeeded but returned no descriptor",
                  "the plugin is broken; report it to its author");
  }

  // The descriptor may come from an older or newer minor: copy only what it
  // declares, and read a member only if it fits (PW_HAS_MEMBER).
  pw_plugin_v1 d{};
  std::memcpy(&d, n.plugin, std::min<std::size_t>(n.plugin->struct_size, sizeof(pw_plugin_v1)));
  d.struct_size = n.plugin->struct_size;
  // From here on the plugin is owed its shutdown, whether or not it is used.
  open->shutdown = d.shutdown;
  open->plugin_data = d.plugin_data;

  auto checked = check_descriptor(&d);
  if (!checked.error.empty()) {
    return refuse("invalid descriptor: " + checked.error,
                  "the plugin is broken; report it to its author or rebuild it against the "
                  "current SDK");
  }
  if (const LoadedPlugin* first = find(checked.plugin.name)) {
    return refuse(
        "plugin name '" + checked.plugin.name + "' is already provided by " + first->file.string(),
        "remove one of the two files, or put the one you want first on the "
        "plugin search path");
  }

  auto loaded = std::make_shared<LoadedPlugin>(std::move(checked.plugin));
  loaded->file = file;
  loaded->abi_minor = n.plugin_abi_minor;
  loaded->library = std::move(open);
  plugins_.push_back(loaded);
  return loaded.get();
}

const LoadedPlugin* PluginRegistry::find(std::string_view name) const {
  for (const auto& p : plugins_)
    if (p->name == name) return p.get();
  return nullptr;
}

std::vector<fs::path> PluginRegistry::search_path(const std::vector<fs::path>& from_cli) {
  std::vector<fs::path> out;
  std::unordered_set<std::string> seen;
  for (const auto& dir : from_cli) add_dir(out, seen, dir);

  if (const char* env = std::getenv("PIPEWRIGHT_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      add_dir(out, seen, fs::path(std::string(rest.substr(0, colon))));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }

  boost::dll::fs::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (!ec) {
    fs::path exe_dir = fs::path(exe.string()).parent_path();
    add_dir(out, seen, exe_dir / ".." / PIPEWRIGHT_INSTALL_PLUGIN_DIR);
  }
  if (running_from_build_tree()) add_dir(out, seen, fs::path(PIPEWRIGHT_BUILD_PLUGIN_DIR));
  return out;
}

bool running_from_build_tree() {
  boost::dll::fs::error_code dll_ec;
  const auto exe = boost::dll::program_location(dll_ec);
  if (dll_ec) return false;
  std::error_code ec;
  const fs::path build = fs::weakly_canonical(fs::path(PIPEWRIGHT_BUILD_DIR), ec);
  if (ec || build.empty()) return false;
  const fs::path self = normalized(fs::path(exe.string()));
  return std::mismatch(build.begin(), build.end(), self.begin(), self.end()).first == build.end();
}

}  // namespace pw
