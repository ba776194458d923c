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

PipelineRun::PipelineRun(RunContext& run, const PipelineInvocation& invocation, OutputSink publish)
    : run_(run), invocation_(invocation), scope_(&invocation.parent), publish_(std::move(publish)) {
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
    const json::object* outputs = nullptr;
    if (auto it = results_.find(std::string(step)); it != results_.end())
      outputs = &it->second.outputs;
    else if (auto early = published_.find(std::string(step)); early != published_.end())
      outputs = &early->second;
    if (!outputs) return std::nullopt;
    if (auto* v = outputs->if_contains(output)) return *v;
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
    // A composed step still running that has published what this step
    // reads counts as succeeded so far; its end is not waited for.
    for (const auto& d : deps)
      if (auto it = results_.find(d);
          it == results_.end() ? !published_.contains(d) : !it->second.succeeded())
        scope.needs_succeeded = false;
  }
  scope.run_cancelled = scope_.cancelled();
  return scope;
}

bool PipelineRun::publishes_early(const std::string& step_id) const {
  const StepSpec* step = invocation_.pipeline.find_step(step_id);
  return step && !step->matrix && uses_is_pipeline(step->uses);
}

bool PipelineRun::can_start(const std::vector<StepLink>& links) const {
  for (const auto& link : links) {
    if (results_.contains(link.id)) continue;
    if (link.whole || !publishes_early(link.id)) return false;
    auto early = published_.find(link.id);
    if (early == published_.end()) return false;
    for (const auto& name : link.outputs)
      if (!early->second.contains(name)) return false;
  }
  return true;
}

void PipelineRun::publish_outputs(OutputReads& reads, std::unique_lock<std::mutex>& lock) {
  while (!reads.empty() && !scope_.cancelled()) {
    std::vector<std::string> names;
    for (auto output = reads.begin(); output != reads.end();) {
      bool ready = true, never = false;
      for (const auto& [id, names_read] : output->second) {
        if (auto it = results_.find(id); it != results_.end()) {
          never = never || !it->second.succeeded();
          continue;
        }
        auto early = published_.find(id);
        for (const auto& name : names_read)
          ready = ready && early != published_.end() && early->second.contains(name);
      }
      if (ready && !never) names.push_back(output->first);
      output = ready || never ? reads.erase(output) : std::next(output);
    }
    if (names.empty()) return;
    lock.unlock();
    EvalScope scope = scope_for({}, nullptr);
    for (const auto& name : names) {
      try {
        publish_(name, evaluate_template(invocation_.pipeline.outputs.at(name), scope));
      } catch (const ExpressionError&) {
        // Left to the end of the run, which reports it as today.
      }
    }
    lock.lock();
  }
}

// The scheduling loop: runs on the caller's thread, starts a worker thread
// for every step whose dependencies are met, and joins them all. A step
// waits for the whole of a step it `needs`, but only for the outputs it
// reads of a composed pipeline step, which publishes them as they come.
// A step that is the only one ready while nothing runs is run on the
// caller's thread instead: nothing could run beside it, and most pipelines
// are chains, so a thread per step was mostly start-up cost.
PipelineResult PipelineRun::execute() {
  const Pipeline& pipeline = invocation_.pipeline;
  std::set<std::string> ids;
  for (const auto& s : pipeline.steps) ids.insert(s.id);
  std::map<std::string, std::vector<std::string>> deps;
  std::map<std::string, std::vector<StepLink>> links;
  for (const auto& s : pipeline.steps) {
    deps[s.id];  // every step has an entry, so workers only read the map
    links[s.id];
    for (auto& link : step_links(pipeline, s)) {
      if (!ids.count(link.id) || link.id == s.id) continue;
      deps[s.id].push_back(link.id);
      links[s.id].push_back(std::move(link));
    }
  }
  OutputReads reads;
  if (publish_)
    for (const auto& [name, templ] : pipeline.outputs) {
      // An output that reads no step is not published early: it may read
      // a file a step writes (readJSON), which only the end makes sure of.
      OutputReads::mapped_type read;
      for (const auto& ref : references_in(templ))
        if (ref.scope == "steps") read[ref.name].insert(ref.output);
      if (!read.empty()) reads.emplace(name, std::move(read));
    }

  std::set<std::string> started;
  std::vector<std::thread> workers;
  std::unique_lock lock(mutex_);
  while (true) {
    publish_outputs(reads, lock);
    std::vector<const StepSpec*> ready;
    for (const auto& step : pipeline.steps)
      if (!started.count(step.id) && can_start(links.at(step.id))) ready.push_back(&step);
    // Not a composed step: the loop must stay free to start the steps that
    // wait only for the outputs it publishes.
    if (ready.size() == 1 && started.size() == results_.size() &&
        !publishes_early(ready.front()->id)) {
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
