#include "pipeline_run.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace pw::detail {

namespace json = boost::json;

namespace {

std::chrono::milliseconds backoff(const RetrySpec& retry, int failed_attempt) {
  double ms = static_cast<double>(retry.initial_backoff.count()) *
              std::pow(retry.factor, failed_attempt - 1);
  ms = std::min(ms, static_cast<double>(retry.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

// Sleeps `delay` unless `scope` is cancelled first; false when cancelled.
bool sleep_unless_cancelled(std::chrono::milliseconds delay, const CancelScope& scope) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (scope.cancelled()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  return !scope.cancelled();
}

std::string context_json(const RunContext& run, const PluginCall& call, int attempt) {
  json::object base_urls{{"cloudflare", run.cloudflare_base_url}};
  // R2's S3 API: the account's endpoint unless this names another (the
  // embedded sandbox sets it to its own).
  if (auto r2 = run.environment.get("CLOUDFLARE_R2_ENDPOINT"); r2 && !r2->empty()) base_urls["r2_s3"] = *r2;
  json::object context{{"step_id", call.display_id},
                       {"plugin", call.plugin->name},
                       {"workdir", run.workdir.string()},
                       {"cache_dir", run.cache_dir.string()},
                       {"base_urls", std::move(base_urls)},
                       {"attempt", attempt}};
  if (!call.auth_name.empty()) context["auth"] = call.auth_name;
  // What the host can sign with for this step (ABI 1.4, request "sign").
  if (call.auth && call.auth->signing) context["signing"] = json::array{"aws-sigv4"};
  if (!run.sandbox_dir.empty()) context["sandbox_dir"] = run.sandbox_dir.string();
  return json::serialize(context);
}

}  // namespace

StepResult PipelineRun::call_plugin(const PluginCall& call, const CancelScope& parent) {
  const int attempts = std::max(1, call.retry.max_attempts);
  const std::string with_json = json::serialize(call.with);
  StepResult r;
  for (int attempt = 1;; ++attempt) {
    run_.events.emit(event::step_started, {{"step", call.display_id},
                                           {"plugin", call.plugin->name},
                                           {"attempt", attempt}});
    if (!run_.budget.acquire(parent)) {
      r.status = StepStatus::cancelled;
      r.error = "cancelled while waiting for a free worker";
      return r;
    }
    CallContext ctx(run_, parent);
    ctx.step_id = call.display_id;
    ctx.plugin = call.plugin;
    ctx.workdir = run_.workdir;
    ctx.resolves_auth = call.resolves_auth;
    if (call.auth) {
      ctx.auth_headers = call.auth->headers;
      ctx.signing = call.auth->signing;
    }
    const std::string context = context_json(run_, call, attempt);
    // The plugin's library stays loaded: the registry owns it for the run.
    pw_status status = call.plugin->run(call.plugin->plugin_data, ctx.handle(),
                                        pw_str{with_json.data(), with_json.size()},
                                        pw_str{context.data(), context.size()});
    run_.budget.release();
    {
      // The last numbers a plugin reported are said, even when held back.
      std::unique_lock lock(ctx.mutex);
      if (ctx.progress_unshown) {
        json::object last = ctx.last_progress;
        ctx.progress_unshown = false;
        lock.unlock();
        run_.events.emit(event::progress, std::move(last));
      }
    }

    std::string error = ctx.first_error();
    if (status == PW_STATUS_OK && error.empty()) {
      std::lock_guard lock(ctx.mutex);
      r.status = StepStatus::ok;
      r.outputs = std::move(ctx.outputs);
      r.error.clear();
      return r;
    }
    if (status == PW_STATUS_OK) {
      // Only a host-detected misuse (an invalid output) gets here.
    } else if (error.empty()) {
      error = status == PW_STATUS_CANCELLED
                  ? "plugin " + call.plugin->name + " stopped (cancelled)"
                  : "plugin " + call.plugin->name + " failed without a diagnostic (status " +
                        std::to_string(status) + ")";
    }
    r.status = parent.cancelled() ? StepStatus::cancelled : StepStatus::failed;
    r.error = error;
    {
      // What a failed call set is kept: it says how far it got.
      std::lock_guard lock(ctx.mutex);
      r.outputs = std::move(ctx.outputs);
    }
    if (parent.cancelled() || attempt >= attempts) return r;
    auto delay = backoff(call.retry, attempt);
    run_.events.emit(event::step_retried, {{"step", call.display_id},
                                           {"attempt", attempt},
                                           {"delay_ms", delay.count()},
                                           {"error", error}});
    if (!sleep_unless_cancelled(delay, parent)) {
      r.status = StepStatus::cancelled;
      return r;
    }
  }
}

}  // namespace pw::detail
