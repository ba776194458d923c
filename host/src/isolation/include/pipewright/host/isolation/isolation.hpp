// Process isolation: runs a plugin's `run` in a child process
// (pipewright-plugin-host) that speaks the same ABI to the plugin and
// forwards every host service over a socket. A plugin that crashes, hangs
// past its deadline, exhausts its memory limit or breaks the protocol fails
// only its own step.
#pragma once

#include <pipewright/host/loader/plugin_registry.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

namespace pw {

struct IsolationLimits {
  std::size_t memory_mb = 1024;  // RLIMIT_AS of the child (RLIMIT_DATA under ASan)
  // After the call's deadline passes or the run is cancelled, the child gets
  // this long to return before it is killed.
  std::chrono::milliseconds kill_grace{2000};
  // The child executable; empty: pipewright-plugin-host beside the running
  // executable.
  std::filesystem::path helper;
};

// A copy of `plugin` whose run executes in a fresh child process per call.
// `services` is the host table the child's requests are served with; it must
// outlive the returned plugin.
std::shared_ptr<const LoadedPlugin> isolate(std::shared_ptr<const LoadedPlugin> plugin,
                                            const pw_host_services_v1* services,
                                            IsolationLimits limits = {});

}  // namespace pw
