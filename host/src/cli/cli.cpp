// The command-line grammar (CLI11). Parsing only: each subcommand's work is
// in its cmd_*.cpp.
#include <pipewright/host/cli/cli.hpp>

#include <CLI/CLI.hpp>

#include <map>

namespace pw {

namespace {

void add_output_option(CLI::App& app, OutputFormat& out) {
  static const std::map<std::string, OutputFormat> formats{{"text", OutputFormat::text},
                                                           {"json", OutputFormat::json}};
  app.add_option("--output", out, "text (a human view) or json (one event per line)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"pipewright: runs automation pipelines of plugins (Cloudflare first)", "pipewright"};
  app.set_version_flag("--version", std::string("pipewright ") + PIPEWRIGHT_VERSION);
  app.require_subcommand(1);

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run a pipeline file or ready pipeline NAME");
  run_cmd->add_option("pipeline", run.target, "FILE or NAME (./conf/NAME.json, installed conf/)")
      ->required();
  run_cmd->add_option("--input", run.inputs, "Pipeline input as name=value (repeatable)");
  run_cmd->add_option("--env-file", run.env_files,
                      "Read env/secrets from this dotenv file (repeatable; default ./.env)");
  add_output_option(*run_cmd, run.output);
  run_cmd->add_flag("-v,--verbose", run.verbosity, "Show HTTP calls, progress and outputs");
  run_cmd->add_option("--plugin-path", run.plugin_paths, "Also load plugins from DIR (repeatable)");
  run_cmd->add_option("--max-parallel", run.max_parallel, "Plugin calls running at once")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--rate-limit", run.rate_limit,
                      "Requests per window per API and credential, as N/SECONDS, or off");
  run_cmd->add_flag("--sandbox", run.sandbox, "Run against an embedded local Cloudflare API");
  run_cmd->add_option("--isolation", run.isolation,
                      "in-process (default) or process: run plugins in child processes")
      ->check(CLI::IsMember({"in-process", "process"}));
  run_cmd->add_flag("--isolation-strict", run.isolation_strict,
                    "Fail an isolated step when the kernel cannot enforce all of its confinement");
  run_cmd->add_option("--sandbox-state", run.sandbox_state, "Keep the sandbox state in DIR");
  run_cmd->add_option("--sandbox-faults", run.sandbox_faults,
                      "Inject faults into the sandbox, e.g. 429=0.1,latency=20ms");

  ValidateOptions validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a pipeline fully, without running it");
  validate_cmd->add_option("pipeline", validate.target, "FILE or NAME")->required();
  validate_cmd->add_option("--plugin-path", validate.plugin_paths, "Also load plugins from DIR");
  add_output_option(*validate_cmd, validate.output);

  PluginsOptions plugins;
  auto* plugins_cmd = app.add_subcommand("plugins", "List, show or diagnose plugins");
  plugins_cmd->add_option("action", plugins.action, "list (default), show NAME, or doctor")
      ->check(CLI::IsMember({"list", "show", "doctor"}));
  plugins_cmd->add_option("name", plugins.name, "Plugin name for `show`");
  plugins_cmd->add_option("--plugin-path", plugins.plugin_paths, "Also load plugins from DIR");
  add_output_option(*plugins_cmd, plugins.output);

  SandboxOptions sandbox;
  auto* sandbox_cmd = app.add_subcommand("sandbox", "Serve the local Cloudflare API emulator");
  sandbox_cmd->add_option("--listen", sandbox.listen, "ADDRESS:PORT (loopback; port 0 = any)")
      ->capture_default_str();
  sandbox_cmd->add_option("--state", sandbox.state, "Keep state in DIR (default: in memory)");
  sandbox_cmd->add_option("--seed", sandbox.seed, "JSON file with the demo identity and data");
  sandbox_cmd->add_option("--faults", sandbox.faults, "Fault injection spec");
  sandbox_cmd->add_option("--rate-limit", sandbox.rate_limit, "N/SECONDS per credential, or off");
  sandbox_cmd->add_option("--edge", sandbox.edge,
                          "ADDRESS:PORT: serve the deployed Workers by Host header (needs workerd)");
  add_output_option(*sandbox_cmd, sandbox.output);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; real ones exit 2.
    int code = app.exit(e);
    return code == 0 ? exit_code::ok : exit_code::usage;
  }

  if (*run_cmd) return command_run(run);
  if (*validate_cmd) return command_validate(validate);
  if (*plugins_cmd) {
    if (plugins.action == "show" && plugins.name.empty()) {
      std::fprintf(stderr, "pipewright: `plugins show` needs a plugin NAME, e.g. "
                           "`pipewright plugins show core.echo`\n");
      return exit_code::usage;
    }
    return command_plugins(plugins);
  }
  if (*sandbox_cmd) return command_sandbox(sandbox);
  return exit_code::usage;
}

}  // namespace pw
