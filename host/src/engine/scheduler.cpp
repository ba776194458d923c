#include "pipeline_run.hpp"

#include <set>
#include <thread>

namespace pw {

namespace json = boost::json;

std::string_view status_name(StepStatus status) {
  switch (status) {
    case StepStatus::ok: return "ok";
    case StepStatus::failed: return "failed";
    case StepStatus::skipped: return "skipped";
    case StepStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

bool PipelineResult::ok() const {
  if (interrupted || !error.empty()) return false;
  for (const auto& [id, r] : steps)
    if ((r.status == StepStatus::failed && !r.continued) || r.status == StepStatus::cancelled)
      return false;
  return true;
}

int PipelineResult::count(StepStatus status) const {
  int n = 0;
  for (const auto& [id, r] : steps) n += r.status == status ? 1 : 0;
  return n;
}

std::map<std::string, json::value> resolve_inputs(const Pipeline& pipeline,
                                                  const std::map<std::string, json::value>& given,
                                                  std::vector<std::string>& missing) {
  std::map<std::string, json::value> out;
  for (const auto& [name, spec] : pipeline.inputs) {
    if (auto it = given.find(name); it != given.end())
      out[name] = it->second;
    else if (spec.default_value)
      out[name] = *spec.default_value;
    else if (spec.required)
      missing.push_back(name);
  }
  return out;
}

PipelineResult run_pipeline(RunContext& run, const PipelineInvocation& invocation) {
  return detail::PipelineRun(run, invocation).execute();
}

namespace detail {

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0 && ms >= 3600000) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms >= 60000) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0 && ms >= 1000) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

PipelineRun::PipelineRun(RunContext& run, const PipelineInvocation& invocation)
    : run_(run), invocation_(invocation), scope_(&invocation.parent) {
  for (const auto& [name, spec] : invocation.pipeline.auths)
    auths_.emplace(name, std::make_unique<AuthState>());
}

EvalScope PipelineRun::scope_for(const std::vector<std::string>& deps,
                                 const json::object* matrix) {
  EvalScope scope;
  const Environment& env = run_.environment;
  Redactor& redactor = run_.redactor;
  scope.env = [&env](std::string_view name) { return env.get(name); };
  scope.secrets = [&env, &redactor](std::string_view name) {
    auto v = env.get(name);
    if (v) redactor.add(*v);
    return v;
  };
  scope.on_secret = [&redactor](std::string_view value) { redactor.add(value); };
  scope.inputs = [this](std::string_view name) -> std::optional<json::value> {
    auto it = invocation_.inputs.find(std::string(name));
    if (it == invocation_.inputs.end()) return std::nullopt;
    return it->second;
  };
  scope.step_output = [this](std::string_view step,
                             std::string_view output) -> std::optional<json::value> {
    std::lock_guard lock(mutex_);
    auto it = results_.find(std::string(step));
    if (it == results_.end()) return std::nullopt;
    if (auto* v = it->second.outputs.if_contains(output)) return *v;
    return std::nullopt;
  };
  if (matrix) {
    json::object copy = *matrix;
    // A name validation accepted that this instance lacks (a key only some
    // `include` entries add) is null here, as GitHub Actions has it.
    scope.matrix = [copy](std::string_view name) -> std::optional<json::value> {
      if (auto* v = copy.if_contains(name)) return *v;
      return json::value(nullptr);
    };
  } else {
    scope.matrix = [](std::string_view) -> std::optional<json::value> { return std::nullopt; };
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& d : deps)
      if (auto it = results_.find(d); it == results_.end() || !it->second.succeeded())
        scope.needs_succeeded = false;
  }
  scope.run_cancelled = scope_.cancelled();
  return scope;
}

// The scheduling loop: runs on the caller's thread, starts a worker thread
// for every step whose dependencies are done, and joins them all. A step
// that is the only one ready while nothing runs is run on the caller's
// thread instead: nothing could run beside it, and most pipelines are
// chains, so a thread per step was mostly start-up cost.
PipelineResult PipelineRun::execute() {
  const Pipeline& pipeline = invocation_.pipeline;
  std::set<std::string> ids;
  for (const auto& s : pipeline.steps) ids.insert(s.id);
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& s : pipeline.steps) {
    deps[s.id];  // every step has an entry, so workers only read the map
    for (auto& d : step_dependencies(pipeline, s))
      if (ids.count(d) && d != s.id) deps[s.id].push_back(d);
  }

  std::set<std::string> started;
  std::vector<std::thread> workers;
  std::unique_lock lock(mutex_);
  while (true) {
    std::vector<const StepSpec*> ready;
    for (const auto& step : pipeline.steps) {
      if (started.count(step.id)) continue;
      bool met = true;
      for (const auto& d : deps.at(step.id)) met = met && results_.count(d);
      if (met) ready.push_back(&step);
    }
    if (ready.size() == 1 && started.size() == results_.size()) {
      const StepSpec& step = *ready.front();
      started.insert(step.id);
      lock.unlock();
      StepResult r = run_step(step, deps.at(step.id));
      lock.lock();
      results_[step.id] = std::move(r);
      continue;
    }
    for (const StepSpec* ready_step : ready) {
      const StepSpec& step = *ready_step;
      started.insert(step.id);
      workers.emplace_back([this, &step, &deps] {
        StepResult r = run_step(step, deps.at(step.id));
        std::lock_guard done(mutex_);
        results_[step.id] = std::move(r);
        changed_.notify_all();
      });
    }
    if (results_.size() == pipeline.steps.size()) break;
    if (started.size() == results_.size()) {
      // Nothing running and nothing ready: only a cycle (which validation
      // rejects) gets here. Fail what is left instead of waiting forever.
      for (const auto& step : pipeline.steps)
        if (!started.count(step.id))
          results_[step.id] = {StepStatus::failed, false,
                               "step " + display(step.id) +
                                   " waits on a dependency cycle; break the cycle in its needs",
                               {}, 0};
      break;
    }
    changed_.wait(lock);
  }
  lock.unlock();
  for (auto& w : workers) w.join();

  PipelineResult result;
  result.steps = results_;
  result.interrupted = invocation_.parent.cancelled() && run_.root.cancelled();
  // A run that did not succeed still reports the outputs that can be
  // computed: what a failed or cancelled step got done before it stopped.
  if (!pipeline.outputs.empty()) {
    const bool ok = result.ok();
    EvalScope scope = scope_for({}, nullptr);
    for (const auto& [name, templ] : pipeline.outputs) {
      try {
        result.outputs[name] = evaluate_template(templ, scope);
      } catch (const ExpressionError& e) {
        if (ok)
          result.error = "pipeline " + pipeline.file.string() + " output " + name +
                         " could not be computed: " + e.what();
      }
    }
  }
  return result;
}

}  // namespace detail
}  // namespace pw
