// Runs one pipeline: builds the DAG of its steps, runs every ready step on
// its own worker thread (plugin calls capped by the run's ParallelismBudget),
// resolves auth blocks lazily, applies if / retry / timeout /
// continue_on_error, and recurses into child pipelines and matrices.
#pragma once

#include <pipewright/host/config/config.hpp>
#include <pipewright/host/run/run_context.hpp>

#include <boost/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pw {

enum class StepStatus { ok, failed, skipped, cancelled };
std::string_view status_name(StepStatus status);

struct StepResult {
  StepStatus status = StepStatus::ok;
  bool continued = false;  // failed, but continue_on_error let the run go on
  std::string error;       // why it failed / was skipped; already readable
  boost::json::object outputs;
  std::int64_t duration_ms = 0;

  // What `needs` and success() see: ok, or failed-but-continued.
  bool succeeded() const { return status == StepStatus::ok || continued; }
};

struct PipelineResult {
  std::map<std::string, StepResult> steps;
  boost::json::object outputs;  // the pipeline's `outputs`, evaluated
  std::string error;            // a failure outside any step (outputs)
  bool interrupted = false;

  bool ok() const;
  int count(StepStatus status) const;
};

// Finds and loads the pipeline a step `uses` (relative to the file that
// uses it); nullptr with `error` set when it cannot. Provided by the CLI,
// which validates what it loads.
using ChildPipelineLoader = std::function<std::shared_ptr<const Pipeline>(
    std::string_view uses, const std::filesystem::path& from, std::string& error)>;

struct PipelineInvocation {
  const Pipeline& pipeline;
  std::map<std::string, boost::json::value> inputs;  // given + defaults
  const CancelScope& parent;  // the run's root, or the composite step's scope
  std::string id_prefix;      // "" at top level; "parent_step/" for children
  ChildPipelineLoader load_child;
};

// Runs the pipeline to completion (or cancellation) and joins every worker
// thread it started before returning.
PipelineResult run_pipeline(RunContext& run, const PipelineInvocation& invocation);

// Steps the pipeline's `inputs` spec fills from `given` and defaults; the
// names of required inputs that are missing.
std::map<std::string, boost::json::value> resolve_inputs(
    const Pipeline& pipeline, const std::map<std::string, boost::json::value>& given,
    std::vector<std::string>& missing);

}  // namespace pw
