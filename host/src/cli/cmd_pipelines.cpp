// `pipewright pipelines [list|show NAME]`: the ready pipelines `run NAME`
// accepts, what each does, its inputs and the file the name runs.
#include "diagnostic_output.hpp"
#include "pipeline_lookup.hpp"

#include <pipewright/host/cli/cli.hpp>
#include <pipewright/util/text.hpp>

#include <algorithm>
#include <cstdio>

namespace pw {

namespace json = boost::json;

namespace {

std::string input_line(const InputSpec& in) {
  std::string line = in.name;
  if (!in.type.empty()) line += " (" + in.type + ")";
  if (in.required && !in.default_value) line += ", required";
  if (in.default_value)
    line += ", default " + (in.default_value->is_string() ? std::string(in.default_value->as_string())
                                                          : json::serialize(*in.default_value));
  if (!in.description.empty()) line += " — " + in.description;
  return line;
}

json::object describe(const ReadyPipeline& ready, const Pipeline& p) {
  json::array inputs;
  for (const auto& [name, in] : p.inputs) {
    json::object o{{"name", name}, {"type", in.type}, {"required", in.required && !in.default_value},
                   {"description", in.description}};
    if (in.default_value) o["default"] = *in.default_value;
    inputs.push_back(std::move(o));
  }
  return {{"name", ready.name},
          {"description", p.description},
          {"file", ready.file.string()},
          {"steps", static_cast<std::int64_t>(p.steps.size())},
          {"inputs", std::move(inputs)}};
}

}  // namespace

int command_pipelines(const PipelinesOptions& options) {
  const auto ready = ready_pipelines();
  if (options.action == "show") {
    auto it = std::find_if(ready.begin(), ready.end(), [&](const auto& r) { return r.name == options.name; });
    if (it == ready.end()) {
      print_diagnostic(pipeline_not_found(options.name), options.output, nullptr);
      return exit_code::usage;
    }
    LoadResult loaded = load_pipeline(it->file);
    if (!loaded.pipeline) {
      for (const auto& e : loaded.errors) print_diagnostic(e, options.output, nullptr);
      return exit_code::usage;
    }
    const Pipeline& p = *loaded.pipeline;
    if (options.output == OutputFormat::json) {
      std::printf("%s\n", json::serialize(describe(*it, p)).c_str());
      return exit_code::ok;
    }
    std::printf("%s — %s\n  file: %s\n  %s\n", it->name.c_str(), p.description.c_str(), it->file.string().c_str(),
                util::count_of(p.steps.size(), "step").c_str());
    std::printf("inputs:\n");
    if (p.inputs.empty()) std::printf("  (none)\n");
    for (const auto& [name, in] : p.inputs) std::printf("  %s\n", input_line(in).c_str());
    std::printf("\nrun it: pipewright run %s", it->name.c_str());
    for (const auto& [name, in] : p.inputs)
      if (in.required && !in.default_value) std::printf(" --input %s=VALUE", name.c_str());
    std::printf("\n");
    return exit_code::ok;
  }
  json::array all;
  for (const auto& r : ready) {
    LoadResult loaded = load_pipeline(r.file);
    if (!loaded.pipeline) continue;  // `validate NAME` says what is wrong with it
    if (options.output == OutputFormat::json) {
      all.push_back(describe(r, *loaded.pipeline));
      continue;
    }
    std::string inputs;
    for (const auto& [name, in] : loaded.pipeline->inputs)
      inputs += (inputs.empty() ? "" : ", ") + name + (in.required && !in.default_value ? "*" : "");
    std::printf("%-26s %s\n%-26s inputs: %s   (%s)\n", r.name.c_str(), loaded.pipeline->description.c_str(), "",
                inputs.empty() ? "none" : inputs.c_str(), r.file.string().c_str());
  }
  if (options.output == OutputFormat::json)
    std::printf("%s\n", json::serialize(json::object{{"pipelines", std::move(all)}}).c_str());
  else
    std::printf("\n* required. `pipewright pipelines show NAME` describes one.\n");
  return exit_code::ok;
}

}  // namespace pw
