// Internal to the scheduler: the state of one pipeline run, shared by the
// scheduling loop (scheduler.cpp) and the step workers (step_executor.cpp,
// plugin_call.cpp, auth_resolver.cpp). Not part of the engine room's API.
#pragma once

#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/engine/scheduler.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace pw::detail {

// An auth block resolved at most once per pipeline run; the first step that
// names it runs the auth plugin while later ones wait on `mutex`.
struct AuthState {
  std::mutex mutex;
  bool resolved = false;
  std::string error;  // set when resolution failed
  HeaderList headers;
  std::optional<SigningCredentials> signing;  // the auth's "s3_credentials"
};

// One plugin invocation as the step executor asks for it.
struct PluginCall {
  std::string display_id;  // step id as events show it (with prefix)
  const LoadedPlugin* plugin = nullptr;
  boost::json::value with;
  std::string auth_name;
  const AuthState* auth = nullptr;
  RetrySpec retry;
  std::optional<std::chrono::milliseconds> timeout;
  bool resolves_auth = false;  // see CallContext::resolves_auth
};

// Takes one of a composed pipeline's `outputs` as soon as the run has it
// (each once; called with no lock of that run held).
using OutputSink = std::function<void(const std::string& name, const boost::json::value& value)>;

class PipelineRun {
 public:
  // `publish`, when set, is handed each pipeline output as soon as every
  // step it reads has succeeded, before the run ends.
  PipelineRun(RunContext& run, const PipelineInvocation& invocation, OutputSink publish = {});
  PipelineResult execute();

 private:
  // For each pipeline output still to publish early: the step outputs it reads, by step id.
  using OutputReads = std::map<std::string, std::map<std::string, std::set<std::string>>>;

  // With mutex_ held: every link of a step is satisfied (see StepLink).
  bool can_start(const std::vector<StepLink>& links) const;
  // With mutex_ held: a composed, non-matrix pipeline step, which publishes
  // its outputs one by one.
  bool publishes_early(const std::string& step_id) const;
  // Hands publish_ every output of `reads` that has become computable, and
  // drops those that never will be (a step they read did not succeed).
  // Called and returns with `lock` (on mutex_) held; releases it meanwhile.
  void publish_outputs(OutputReads& reads, std::unique_lock<std::mutex>& lock);
  StepResult run_step(const StepSpec& step, const std::vector<std::string>& deps);
  StepResult run_uses(const StepSpec& step, const boost::json::object* matrix,
                      const CancelScope& scope, const std::vector<std::string>& deps,
                      const std::string& display_id);
  StepResult run_matrix(const StepSpec& step, const CancelScope& scope,
                        const std::vector<std::string>& deps);
  StepResult run_child_pipeline(const StepSpec& step, const boost::json::value& with,
                                const CancelScope& scope, const std::string& display_id,
                                bool publish_early);
  StepResult call_plugin(const PluginCall& call, const CancelScope& parent);
  // Returns the resolved auth, or an error message naming it.
  const AuthState* resolve_auth(const std::string& name, std::string& error);
  // The plugin to call for `uses`: the loaded one, or with isolation
  // "process" a proxy that runs each call in a child process. nullptr when
  // not loaded.
  // `grants` is what the step or auth declared for an isolated plugin.
  const LoadedPlugin* plugin_for(const std::string& uses, const std::string& isolation,
                                 const IsolationGrants& grants);

  EvalScope scope_for(const std::vector<std::string>& deps, const boost::json::object* matrix);
  std::string display(const std::string& step_id) const { return invocation_.id_prefix + step_id; }

  RunContext& run_;
  const PipelineInvocation& invocation_;
  CancelScope scope_;
  std::mutex mutex_;  // guards results_
  std::condition_variable changed_;
  std::map<std::string, StepResult> results_;
  // What composed steps still running have published of their outputs, by
  // step id; once a step is in results_, its entry there is the one read.
  std::map<std::string, boost::json::object> published_;
  OutputSink publish_;
  std::map<std::string, std::unique_ptr<AuthState>> auths_;
  std::mutex isolated_mutex_;  // guards isolated_
  // One proxy per plugin and grants (steps may declare different ones).
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> isolated_;
};

// "1.5s", "250ms", "2m": how a duration reads in messages.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace pw::detail
