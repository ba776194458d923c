#include "pipeline_run.hpp"

#include <pipewright/host/isolation/isolation.hpp>

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <tuple>

namespace pw::detail {

namespace json = boost::json;

namespace {

StepResult failed(std::string error) {
  StepResult r;
  r.status = StepStatus::failed;
  r.error = std::move(error);
  return r;
}

std::string quoted_template(const json::value& templ) {
  return templ.is_string() ? " ('" + std::string(templ.get_string()) + "')" : std::string();
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
  if (uses_is_pipeline(step.uses))
    return run_child_pipeline(step, with, scope, display_id, matrix == nullptr);

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
  const MatrixSpec& m = *step.matrix;
  const std::string step_id = display(step.id);
  EvalScope es = scope_for(deps, nullptr);
  std::map<std::string, json::array> axes;
  json::array include, exclude;
  int max_parallel = m.max_parallel;
  try {
    for (const auto& [axis, templ] : m.axes) {
      json::value values = evaluate_template(templ, es);
      if (auto problem = matrix_data_problem(values, false))
        return failed("step " + step_id + ": matrix axis \"" + axis + "\"" + quoted_template(templ) + " " +
                      *problem);
      axes[axis] = std::move(values.as_array());
    }
    for (auto [templ, into, key] : {std::tuple{&m.include, &include, "include"},
                                    std::tuple{&m.exclude, &exclude, "exclude"}}) {
      if (templ->is_null()) continue;
      json::value entries = evaluate_template(*templ, es);
      if (auto problem = matrix_data_problem(entries, true))
        return failed("step " + step_id + ": matrix \"" + key + "\"" + quoted_template(*templ) + " " + *problem);
      *into = std::move(entries.as_array());
    }
    if (!m.max_parallel_expr.empty()) {
      json::value v = evaluate_template(json::value(m.max_parallel_expr), es);
      if (!v.is_int64() || v.as_int64() < 0)
        return failed("step " + step_id + ": matrix max_parallel ('" + m.max_parallel_expr + "') is " +
                      json::serialize(v) + ", not an integer >= 0");
      max_parallel = static_cast<int>(std::min<std::int64_t>(v.as_int64(), 1 << 20));
    }
  } catch (const ExpressionError& e) {
    return failed("step " + step_id + ": its matrix could not be resolved: " + e.what());
  }
  // Bounded before the combinations are built: a data file with a few long axes could
  // otherwise ask for billions of instances.
  constexpr std::size_t max_instances = 10000;
  std::size_t combinations = axes.empty() ? 0 : 1;
  for (const auto& [axis, values] : axes)
    combinations = values.empty() ? 0 : std::min(combinations * values.size(), max_instances + 1);
  if (combinations + include.size() > max_instances)
    return failed("step " + step_id + ": its matrix has more than " + std::to_string(max_instances) +
                  " instances (the product of its axes' sizes plus include); split the data or the step");
  std::vector<json::object> instances = matrix_instances(axes, include, exclude);

  std::vector<std::string> labels(instances.size());
  for (std::size_t i = 0; i < instances.size(); ++i) {
    // By the axes only: keys an include adds describe an instance, not name it.
    json::object named;
    for (const auto& [key, value] : instances[i])
      if (axes.empty() || axes.contains(std::string(key))) named[key] = value;
    labels[i] = matrix_default_label(named, i);
    if (m.name.empty()) continue;
    try {
      json::value label = evaluate_template(json::value(m.name), scope_for(deps, &instances[i]));
      labels[i] = label.is_string() ? std::string(label.get_string()) : json::serialize(label);
    } catch (const ExpressionError& e) {
      return failed("step " + step_id + ": matrix name of instance " + std::to_string(i + 1) +
                    " could not be resolved: " + e.what());
    }
  }
  run_.events.emit(event::step_started,
                   {{"step", step_id},
                    {"plugin", step.uses},
                    {"attempt", 1},
                    {"combinations", static_cast<std::int64_t>(instances.size())}});
  std::vector<StepResult> results(instances.size());
  // A failed instance cancels its siblings only under fail_fast; the run's
  // own cancellation (Ctrl-C, timeout) reaches every instance either way.
  CancelScope siblings(&scope);
  // The matrix's own cap; plugin calls also share the run's budget.
  ParallelismBudget local(max_parallel > 0 ? max_parallel : static_cast<int>(instances.size()));
  // A pool of workers pulling instance indices, not a thread per instance: at most
  // max_parallel (or 256 when unlimited) threads, however many instances.
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < instances.size(); i = next++) {
      std::string id = step_id + "[" + labels[i] + "]";
      if (!local.acquire(siblings)) {
        results[i].status = StepStatus::cancelled;
        results[i].error = "not started: " + std::string(scope.cancelled() ? "the run was cancelled"
                                                                           : "another instance failed (fail_fast)");
        continue;
      }
      results[i] = run_uses(step, &instances[i], siblings, deps, id);
      local.release();
      if (results[i].status == StepStatus::failed && m.fail_fast) siblings.cancel();
    }
  };
  const std::size_t pool =
      std::min<std::size_t>(instances.size(), max_parallel > 0 ? static_cast<std::size_t>(max_parallel) : 256);
  std::vector<std::thread> workers;
  workers.reserve(pool);
  for (std::size_t w = 0; w < pool; ++w) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // the system is out of threads: the ones started take every instance
    }
  }
  if (workers.empty()) work();
  for (auto& w : workers) w.join();

  StepResult r;
  json::array summary;
  std::size_t failed_count = 0;
  std::string first_failure;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    StepResult& one = results[i];
    if (one.status == StepStatus::failed && !scope.cancelled() && siblings.cancelled() &&
        one.error.find("cancel") != std::string::npos)
      one.status = StepStatus::cancelled;  // stopped by fail_fast, not failed on its own
    if (one.status == StepStatus::failed) {
      ++failed_count;
      if (first_failure.empty()) first_failure = labels[i] + ": " + one.error;
      r.status = StepStatus::failed;
    } else if (one.status == StepStatus::cancelled && r.status == StepStatus::ok) {
      r.status = StepStatus::cancelled;
      r.error = one.error;
    }
    // Each output becomes an array with one entry per instance (null where
    // an instance did not set it).
    for (const auto& kv : one.outputs) {
      auto& slot = r.outputs[kv.key()];
      if (!slot.is_array()) slot = json::array(instances.size());
      slot.as_array()[i] = kv.value();
    }
    json::object entry{{"name", labels[i]}, {"status", status_name(one.status)}};
    if (one.status != StepStatus::ok && !one.error.empty()) entry["error"] = one.error;
    summary.push_back(std::move(entry));
  }
  for (auto& kv : r.outputs)
    if (kv.value().is_array()) kv.value().as_array().resize(instances.size());
  r.outputs["matrix"] = std::move(summary);
  if (failed_count > 0)
    r.error = failed_count == 1 ? "matrix " + first_failure
                                : std::to_string(failed_count) + " of " + std::to_string(instances.size()) +
                                      " matrix instances failed; first: " + first_failure;
  return r;
}

StepResult PipelineRun::run_child_pipeline(const StepSpec& step, const json::value& with,
                                           const CancelScope& scope,
                                           const std::string& display_id, bool publish_early) {
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
  // A matrix instance's outputs are collected into arrays at the end, so
  // only a single composed step publishes its outputs early.
  OutputSink publish;
  if (publish_early)
    publish = [this, id = step.id](const std::string& name, const json::value& value) {
      std::lock_guard lock(mutex_);
      published_[id][name] = value;
      changed_.notify_all();
    };
  PipelineResult result = PipelineRun(run_, invocation, std::move(publish)).execute();
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
