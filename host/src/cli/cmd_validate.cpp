// `pipewright validate`: the same checks as `run` makes before starting,
// without the network, the environment or the required inputs. With
// --output json each problem is one `diagnostic` event per line on stdout,
// and the verdict a last `validated` event.
#include "diagnostic_output.hpp"
#include "pipeline_lookup.hpp"

#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/cli/cli.hpp>

#include <pipewright/util/text.hpp>

#include <cstdio>

namespace pw {

int command_validate(const ValidateOptions& options) {
  PluginRegistry registry(host_services());
  registry.scan(PluginRegistry::search_path(options.plugin_paths));

  auto file = find_pipeline_file(options.target);
  if (!file) {
    print_diagnostic(pipeline_not_found(options.target), options.output, nullptr);
    return exit_code::usage;
  }
  LoadResult loaded = load_pipeline(*file);
  Diagnostics errors = loaded.errors;
  if (loaded.pipeline) {
    PluginCatalog catalog(registry);
    ValidationContext ctx = make_validation_context(catalog);
    ctx.check_required_inputs = false;
    for (auto& e : validate_pipeline(*loaded.pipeline, ctx)) errors.push_back(std::move(e));
  }
  for (const auto& e : errors) print_diagnostic(e, options.output, nullptr);
  if (options.output == OutputFormat::json) {
    boost::json::object verdict{{"type", "validated"}, {"ts", now_ms()}, {"file", file->string()}, {"valid", errors.empty()},
                                {"problems", static_cast<std::int64_t>(errors.size())}};
    if (errors.empty()) verdict["steps"] = static_cast<std::int64_t>(loaded.pipeline->steps.size());
    std::printf("%s\n", boost::json::serialize(verdict).c_str());
    return errors.empty() ? exit_code::ok : exit_code::usage;
  }
  if (!errors.empty()) {
    std::fprintf(stderr, "%s: %s\n", file->string().c_str(), util::count_of(errors.size(), "problem").c_str());
    return exit_code::usage;
  }
  std::printf("%s: valid (%s)\n", file->string().c_str(), util::count_of(loaded.pipeline->steps.size(), "step").c_str());
  return exit_code::ok;
}

}  // namespace pw
