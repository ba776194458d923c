#include "pipeline_run.hpp"

#include <pipewright/host/isolation/isolation.hpp>

#include <thread>

namespace pw::detail {

namespace json = boost::json;

namespace {

StepResult failed(std::string error) {
  StepResult r;
  r.status = StepStatus::failed;
  r.error = std::move(error);
  return r;
}

// Every combination of the matrix axes, in axis (name) order.
std::vector<json::object> combinations(const MatrixSpec& matrix) {
  std::vector<json::object> out{json::object{}};
  for (const auto& [axis, values] : matrix.axes) {
    std::vector<json::object> next;
    for (const auto& partial : out)
      for (const auto& v : values) {
        json::object o = partial;
        o[axis] = v;
        next.push_back(std::move(o));
      }
    out = std::move(next);
  }
  return out;
}

std::string label(const json::object& combination) {
  std::string out;
  for (const auto& kv : combination) {
    if (!out.empty()) out += ",";
    out += std::string(kv.key()) + "=" +
           (kv.value().is_string() ? std::string(kv.value().as_string())
                                   : json::serialize(kv.value()));
  }
  return out;
}

}  // namespace

StepResult PipelineRun::run_step(const StepSpec& step, const std::vector<std::string>& deps) {
  auto started = std::chrono::steady_clock::now();
  const std::string id = display(step.id);
  auto finish = [&](StepResult r) {
    r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    json::object fields{{"step", id}, {"status", status_name(r.status)},
                        {"duration_ms", r.duration_ms}};
    if (!r.error.empty()) fields["error"] = r.error;
    if (r.continued) fields["continued"] = true;
    run_.events.emit(event::step_finished, std::move(fields));
    return r;
  };

  if (scope_.cancelled()) {
    StepResult r;
    r.status = StepStatus::cancelled;
    r.error = "the run was cancelled before step " + id + " started";
    return finish(std::move(r));
  }
  EvalScope scope = scope_for(deps, nullptr);
  bool run_it = false;
  try {
    run_it = evaluate_condition(step.if_expr, scope);
  } catch (const ExpressionError& e) {
    return finish(failed("step " + id + ": its `if` could not be evaluated: " + e.what() +
                         " (at " + step.where.file + ":" + std::to_string(step.where.line) + ")"));
  }
  if (!run_it) {
    StepResult r;
    r.status = StepStatus::skipped;
    r.error = scope.needs_succeeded ? "its `if` condition is false"
                                    : "a step it needs did not succeed";
    return finish(std::move(r));
  }

  CancelScope step_scope(&scope_);
  if (step.timeout) step_scope.set_deadline(now_ms() + step.timeout->count());
  StepResult r = step.matrix ? run_matrix(step, step_scope, deps)
                             : run_uses(step, nullptr, step_scope, deps, id);
  if (r.status != StepStatus::ok) {
    if (run_.root.cancelled()) {
      r.status = StepStatus::cancelled;
      r.error = "interrupted";
    } else if (step_scope.timed_out()) {
      r.status = StepStatus::failed;
      r.error = "step " + id + " timed out after " + format_duration(*step.timeout) +
                "; raise its `timeout` or find out why it is slow";
    }
  }
  if (r.status == StepStatus::failed && step.continue_on_error) r.continued = true;
  return finish(std::move(r));
}

StepResult PipelineRun::run_uses(const StepSpec& step, const json::object* matrix,
                                 const CancelScope& scope, const std::vector<std::string>& deps,
                                 const std::string& display_id) {
  EvalScope es = scope_for(deps, matrix);
  json::value with;
  try {
    with = evaluate_template(json::value(step.with), es);
  } catch (const ExpressionError& e) {
    return failed("step " + display_id + ": its `with` could not be resolved: " + e.what());
  }
  if (uses_is_pipeline(step.uses)) return run_child_pipeline(step, with, scope, display_id);

  const LoadedPlugin* plugin = plugin_for(step.uses, step.isolation, step.grants);
  if (!plugin)
    return failed("step " + display_id + " uses plugin " + step.uses +
                  ", which is not loaded; run `pipewright plugins doctor`");
  PluginCall call;
  call.display_id = display_id;
  call.plugin = plugin;
  call.with = std::move(with);
  call.retry = step.retry;
  if (!step.auth.empty()) {
    std::string error;
    call.auth = resolve_auth(step.auth, error);
    if (!call.auth) return failed(error);
    call.auth_name = step.auth;
  }
  return call_plugin(call, scope);
}

const LoadedPlugin* PipelineRun::plugin_for(const std::string& uses, const std::string& isolation,
                                            const IsolationGrants& grants) {
  const std::string& mode = isolation.empty() ? run_.default_isolation : isolation;
  if (mode != "process") return run_.plugins.find(uses);
  IsolationLimits limits;
  limits.strict = run_.isolation_strict;
  auto absolute = [&](const std::string& path) { return (run_.workdir / path).lexically_normal().string(); };
  for (const auto& p : grants.read) limits.allow.read.push_back(absolute(p));
  for (const auto& p : grants.write) limits.allow.write.push_back(absolute(p));
  for (const auto& p : grants.exec) limits.allow.exec.push_back(absolute(p));
  for (int port : grants.tcp) limits.allow.tcp_ports.push_back(static_cast<std::uint16_t>(port));
  // Valued from the run's environment (.env included); an unset name is
  // simply not passed.
  // Such values are often credentials: masked like secrets, since what the
  // plugin prints becomes log lines.
  for (const auto& name : grants.env)
    if (auto value = run_.environment.get(name)) {
      run_.redactor.add(*value);
      limits.env.push_back(name + "=" + *value);
    }
  // One proxy per plugin and grants; items are NUL-separated (no path or
  // environment entry holds a NUL).
  std::string key = uses;
  for (const auto* list : {&limits.allow.read, &limits.allow.write, &limits.allow.exec, &limits.env}) {
    key += '\1';
    for (const auto& item : *list) key += item + '\0';
  }
  for (auto port : limits.allow.tcp_ports) key += std::to_string(port) + ",";
  std::lock_guard lock(isolated_mutex_);
  if (auto it = isolated_.find(key); it != isolated_.end()) return it->second.get();
  for (const auto& p : run_.plugins.plugins()) {
    if (p->name != uses) continue;
    auto proxy = isolate(p, host_services(), std::move(limits));
    isolated_.emplace(key, proxy);
    return proxy.get();
  }
  return nullptr;
}

StepResult PipelineRun::run_matrix(const StepSpec& step, const CancelScope& scope,
                                   const std::vector<std::string>& deps) {
  std::vector<json::object> combos = combinations(*step.matrix);
  run_.events.emit(event::step_started,
                   {{"step", display(step.id)},
                    {"plugin", step.uses},
                    {"attempt", 1},
                    {"combinations", static_cast<std::int64_t>(combos.size())}});
  std::vector<StepResult> results(combos.size());
  // The matrix's own cap; plugin calls also share the run's budget.
  ParallelismBudget local(step.matrix->max_parallel > 0 ? step.matrix->max_parallel
                                                        : static_cast<int>(combos.size()));
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < combos.size(); ++i) {
    workers.emplace_back([&, i] {
      std::string id = display(step.id) + "[" + label(combos[i]) + "]";
      if (!local.acquire(scope)) {
        results[i].status = StepStatus::cancelled;
        results[i].error = "cancelled before " + id + " started";
        return;
      }
      results[i] = run_uses(step, &combos[i], scope, deps, id);
      local.release();
    });
  }
  for (auto& w : workers) w.join();

  StepResult r;
  for (std::size_t i = 0; i < combos.size(); ++i) {
    const StepResult& one = results[i];
    if (one.status == StepStatus::failed && r.status != StepStatus::failed) {
      r.status = StepStatus::failed;
      r.error = "matrix " + label(combos[i]) + ": " + one.error;
    } else if (one.status == StepStatus::cancelled && r.status == StepStatus::ok) {
      r.status = StepStatus::cancelled;
      r.error = one.error;
    }
    // Each output becomes an array with one entry per combination.
    for (const auto& kv : one.outputs) {
      auto& slot = r.outputs[kv.key()];
      if (!slot.is_array()) slot = json::array(combos.size());
      slot.as_array()[i] = kv.value();
    }
  }
  return r;
}

StepResult PipelineRun::run_child_pipeline(const StepSpec& step, const json::value& with,
                                           const CancelScope& scope,
                                           const std::string& display_id) {
  if (!invocation_.load_child)
    return failed("step " + display_id + ": nested pipelines are not available here");
  std::string error;
  auto child = invocation_.load_child(step.uses, invocation_.pipeline.file, error);
  if (!child) return failed("step " + display_id + ": " + error);
  if (!with.is_object())
    return failed("step " + display_id + ": `with` must be an object of the pipeline's inputs");
  std::map<std::string, json::value> given;
  for (const auto& kv : with.as_object()) given[std::string(kv.key())] = kv.value();
  std::vector<std::string> missing;
  auto inputs = resolve_inputs(*child, given, missing);
  if (!missing.empty())
    return failed("step " + display_id + ": pipeline " + step.uses + " needs input " +
                  missing.front() + "; add it to the step's `with`");

  run_.events.emit(event::step_started,
                   {{"step", display_id}, {"plugin", step.uses}, {"attempt", 1}});
  PipelineInvocation invocation{*child, std::move(inputs), scope, display_id + "/",
                                invocation_.load_child};
  PipelineResult result = run_pipeline(run_, invocation);
  StepResult r;
  r.outputs = result.outputs;
  if (result.ok()) return r;
  r.status = result.interrupted ? StepStatus::cancelled : StepStatus::failed;
  r.error = result.error;
  for (const auto& s : child->steps) {
    auto it = result.steps.find(s.id);
    if (it != result.steps.end() && it->second.status == StepStatus::failed &&
        !it->second.continued) {
      r.error = "step " + display_id + "/" + s.id + " failed: " + it->second.error;
      break;
    }
  }
  if (r.error.empty()) r.error = "pipeline " + step.uses + " did not finish";
  return r;
}

}  // namespace pw::detail
