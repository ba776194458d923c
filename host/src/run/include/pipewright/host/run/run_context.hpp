// What every step of one run shares: the redactor, the event stream, the
// HTTP client, the environment, the loaded plugins, cancellation and the
// parallelism budget. Owned by the command that runs the pipeline; every
// object here outlives all worker threads of the run.
#pragma once

#include <pipewright/host/http/http_client.hpp>
#include <pipewright/host/loader/plugin_registry.hpp>
#include <pipewright/host/run/environment.hpp>
#include <pipewright/host/run/events.hpp>
#include <pipewright/host/run/redactor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace pw {

// One level of cancellation: the run (Ctrl-C), a pipeline, a step. A scope
// is cancelled when its own flag is set, its deadline passed, or its parent
// is cancelled. The parent must outlive the child.
class CancelScope {
 public:
  explicit CancelScope(const CancelScope* parent = nullptr) : parent_(parent) {}
  void cancel() { flag_.store(true); }
  // Milliseconds since the Unix epoch; 0 = none.
  void set_deadline(std::int64_t deadline_ms) { deadline_ms_.store(deadline_ms); }
  std::int64_t deadline() const;  // the earliest deadline up the chain, 0 if none
  bool timed_out() const;         // this scope's own deadline passed
  bool cancelled() const;

 private:
  const CancelScope* parent_;
  std::atomic<bool> flag_{false};
  std::atomic<std::int64_t> deadline_ms_{0};
};

// Caps how many plugin calls run at once across the whole run, nested
// pipelines and matrices included; a call blocked in host HTTP gives its
// slot up meanwhile (bridge: host_http.cpp), so this bounds computing
// calls. Composite steps never hold a slot while they wait for their
// children, so nesting cannot deadlock.
class ParallelismBudget {
 public:
  explicit ParallelismBudget(int slots) : free_(slots > 0 ? slots : 1) {}
  // Waits for a slot; false when `scope` was cancelled first.
  bool acquire(const CancelScope& scope);
  // Waits for a slot whatever is cancelled: for a call that gave its slot
  // up for a while and must hold one again before it ends.
  void reclaim();
  void release();

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

struct RunContext {
  Redactor& redactor;
  EventStream& events;
  HttpClient& http;
  const Environment& environment;
  const PluginRegistry& plugins;
  CancelScope& root;  // cancelled by SIGINT/SIGTERM
  ParallelismBudget& budget;
  std::filesystem::path workdir;
  std::string cloudflare_base_url;
  // "process" runs every plugin without its own `isolation` in a child
  // process (--isolation); "" or "in-process" keeps them in the host.
  std::string default_isolation;
  // Where plugins may keep caches between runs (context "cache_dir"); empty:
  // no cache. See cache_directory() in cmd_run.cpp.
  std::filesystem::path cache_dir = {};
  // A confinement layer the kernel cannot enforce fails an isolated call
  // instead of being warned about (--isolation-strict).
  bool isolation_strict = false;
  // The embedded sandbox's state directory in a --sandbox run (context
  // "sandbox_dir": where core.dotenv.write keeps a relative .env); else empty.
  std::filesystem::path sandbox_dir = {};
};

}  // namespace pw
