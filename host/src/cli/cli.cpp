// The command-line grammar (CLI11). Parsing only: each subcommand's work is
// in its cmd_*.cpp.
#include "diagnostic_output.hpp"

#include <pipewright/host/cli/cli.hpp>
#include <pipewright/util/edit_distance.hpp>
#include <pipewright/util/text.hpp>

#include <CLI/CLI.hpp>


namespace pw {

namespace {

void add_output_option(CLI::App& app, OutputFormat& out) {
  // The words in, the enum's number out, and an error a person reads.
  auto format = [](std::string& value) -> std::string {
    const std::string word = util::lower(value);
    if (word != "text" && word != "json") return "must be text or json, not \"" + value + "\"";
    value = std::to_string(static_cast<int>(word == "json" ? OutputFormat::json : OutputFormat::text));
    return {};
  };
  app.add_option("--output", out, "text (a human view) or json (one event per line)")
      ->transform(CLI::Validator(format, "text|json"))
      ->option_text("text|json");
}

// --output json anywhere on the line: usage errors are JSON too.
OutputFormat requested_output(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--output=json" || (a == "--output" && i + 1 < argc && std::string_view(argv[i + 1]) == "json"))
      return OutputFormat::json;
  }
  return OutputFormat::text;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What CLI11 could not place, said with the closest known word: an unknown
// command, or an unknown option of the command given. Empty when the error
// is of another kind (then CLI11's own message stands).
std::string unknown_word_message(CLI::App& app, int argc, char** argv) {
  const auto commands = subcommand_names(app);
  if (argc < 2) return "pipewright: a command is required: " + joined(commands) + "\n  hint: `pipewright --help` says what each does";
  CLI::App* command = &app;
  std::string path = "pipewright";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.starts_with("-")) {
      if (word == "--") break;
      const std::string name = word.substr(0, word.find('='));
      std::vector<std::string> known;
      for (const auto* scope : {command, static_cast<CLI::App*>(&app)})
        for (const auto* opt : scope->get_options()) {
          for (const auto& l : opt->get_lnames()) known.push_back("--" + l);
          for (const auto& s : opt->get_snames()) known.push_back("-" + s);
        }
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      const std::string guess = util::closest_match(name, known);
      return "pipewright: `" + path + "` has no option " + name + "\n  hint: " +
             (guess.empty() ? "" : "did you mean " + guess + "? ") + "`" + path + " --help` lists its options";
    }
    CLI::App* sub = nullptr;
    for (auto* candidate : command->get_subcommands([](const CLI::App*) { return true; }))
      if (candidate->get_name() == word) sub = candidate;
    if (sub != nullptr) {
      command = sub;
      path += " " + word;
      continue;
    }
    if (command == &app) {
      const std::string guess = util::closest_match(word, commands);
      return "pipewright: unknown command \"" + word + "\"\n  hint: " +
             (guess.empty() ? "the commands are " + joined(commands) : "did you mean `pipewright " + guess + "`?") +
             " (`pipewright --help` says what each does)";
    }
  }
  return {};
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"pipewright: runs automation pipelines of plugins (Cloudflare first)", "pipewright"};
  app.set_version_flag("--version", std::string("pipewright ") + PIPEWRIGHT_VERSION);
  app.require_subcommand(1);
  app.footer("Examples:\n  pipewright run create-token --sandbox\n  pipewright pipelines list\n"
             "  pipewright run --help   (each command has its own help)\n");

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run a pipeline file or ready pipeline NAME");
  run_cmd->add_option("pipeline", run.target, "FILE or NAME (./conf/NAME.json, installed conf/)")
      ->required();
  run_cmd->add_option("--input", run.inputs, "Pipeline input as name=value (repeatable)")
      ->option_text("NAME=VALUE ...");
  run_cmd->add_option("--env-file", run.env_files,
                      "Read env/secrets from this dotenv file (repeatable; default ./.env)")
      ->option_text("FILE ...");
  add_output_option(*run_cmd, run.output);
  run_cmd->add_flag("-v,--verbose", run.verbosity, "Show HTTP calls, progress and outputs");
  run_cmd->add_option("--plugin-path", run.plugin_paths, "Also load plugins from DIR (repeatable)")
      ->option_text("DIR ...");
  run_cmd->add_option("--max-parallel", run.max_parallel,
                      "Plugin calls computing at once (one waiting for HTTP answers takes no slot)")
      ->check(CLI::PositiveNumber)
      ->option_text("N");
  run_cmd
      ->add_option(
          "--max-in-flight", run.max_in_flight,
          "Requests in flight per API at most (default: as the measured latency asks, 16 to 256)")
      ->check(CLI::PositiveNumber)
      ->option_text("N");
  run_cmd->add_option("--rate-limit", run.rate_limit,
                      "Requests per window per API and credential, as N/SECONDS, or off")
      ->option_text("N/SECONDS|off");
  run_cmd->add_flag("--sandbox", run.sandbox,
                    "Run against an embedded local Cloudflare API; its state, .env and caches stay in "
                    "./.pipewright/sandbox");
  run_cmd->add_option("--isolation", run.isolation,
                      "in-process (default) or process: run plugins in child processes")
      ->check(CLI::IsMember({"in-process", "process"}))
      ->option_text("in-process|process");
  run_cmd->add_flag("--isolation-strict", run.isolation_strict,
                    "Fail an isolated step when the kernel cannot enforce all of its confinement");
  run_cmd->add_option("--sandbox-state", run.sandbox_state,
                      "Keep the sandbox state (and its .env and caches) in DIR instead")
      ->option_text("DIR");
  run_cmd->add_option("--sandbox-faults", run.sandbox_faults,
                      "Inject faults into the sandbox, e.g. 429=0.1,latency=20ms")
      ->option_text("SPEC");
  run_cmd->footer("Examples:\n  pipewright run create-token --sandbox\n"
                  "  pipewright run deploy-tenant --input site=./site --input tenant=acme --input domain=shop.example.com\n");

  ValidateOptions validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a pipeline fully, without running it");
  validate_cmd->add_option("pipeline", validate.target, "FILE or NAME")->required();
  validate_cmd->add_option("--plugin-path", validate.plugin_paths, "Also load plugins from DIR");
  add_output_option(*validate_cmd, validate.output);
  validate_cmd->footer("Example:\n  pipewright validate ./my-pipeline.jsonc --output json\n");

  PipelinesOptions pipelines;
  auto* pipelines_cmd = app.add_subcommand("pipelines", "List the ready pipelines, or show one");
  pipelines_cmd->add_option("action", pipelines.action, "list (default) or show NAME")
      ->check(CLI::IsMember({"list", "show"}))
      ->option_text("list|show");
  pipelines_cmd->add_option("name", pipelines.name, "Pipeline NAME for `show`");
  add_output_option(*pipelines_cmd, pipelines.output);
  pipelines_cmd->footer("Example:\n  pipewright pipelines show deploy-tenant\n");

  PluginsOptions plugins;
  auto* plugins_cmd = app.add_subcommand("plugins", "List, show or diagnose plugins");
  plugins_cmd->add_option("action", plugins.action, "list (default), show NAME, or doctor")
      ->check(CLI::IsMember({"list", "show", "doctor"}))
      ->option_text("list|show|doctor");
  plugins_cmd->add_option("name", plugins.name, "Plugin name for `show`");
  plugins_cmd->add_option("--plugin-path", plugins.plugin_paths, "Also load plugins from DIR");
  add_output_option(*plugins_cmd, plugins.output);
  plugins_cmd->footer("Example:\n  pipewright plugins show cloudflare.r2.upload\n");

  SandboxOptions sandbox;
  auto* sandbox_cmd = app.add_subcommand("sandbox", "Serve the local Cloudflare API emulator");
  sandbox_cmd->add_option("--listen", sandbox.listen, "ADDRESS:PORT (loopback; port 0 = any)")
      ->capture_default_str();
  sandbox_cmd->add_option("--s3-port", sandbox.s3_port,
                          "Port of R2's S3 API (default: the --listen port + 1; 0 = any)")
      ->check(CLI::Range(0u, 65535u));
  sandbox_cmd->add_option("--state", sandbox.state, "Keep state in DIR (default: in memory)");
  sandbox_cmd->add_option("--seed", sandbox.seed, "JSON file with the demo identity and data");
  sandbox_cmd->add_option("--faults", sandbox.faults, "Fault injection spec");
  sandbox_cmd->add_option("--rate-limit", sandbox.rate_limit, "N/SECONDS per credential, or off");
  sandbox_cmd->add_option("--edge", sandbox.edge,
                          "ADDRESS:PORT: serve the deployed Workers by Host header (needs workerd)");
  add_output_option(*sandbox_cmd, sandbox.output);
  SandboxEnvOptions sandbox_env;
  auto* sandbox_env_cmd = sandbox_cmd->add_subcommand(
      "env", "Print the export lines of the sandbox serving (or that last served) a state");
  sandbox_env_cmd->add_option("--state", sandbox_env.state, "The sandbox state DIR")->required();
  sandbox_env_cmd->footer("Example:\n  eval \"$(pipewright sandbox env --state ~/pw-sandbox)\"\n");
  sandbox_cmd->footer("Examples:\n  pipewright sandbox --state ~/pw-sandbox\n"
                      "  eval \"$(pipewright sandbox env --state ~/pw-sandbox)\"   (in another shell)\n");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0; real ones exit 2.
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return exit_code::ok;
    }
    std::string message = unknown_word_message(app, argc, argv);
    if (message.empty())
      message = std::string("pipewright: ") + e.what() + "\n  hint: add --help to the command to see what it accepts";
    print_message(message, requested_output(argc, argv), nullptr);
    return exit_code::usage;
  }

  if (*run_cmd) return command_run(run);
  if (*validate_cmd) return command_validate(validate);
  if (*pipelines_cmd) {
    if (pipelines.action == "show" && pipelines.name.empty()) {
      print_message("pipewright: `pipelines show` needs a pipeline NAME, e.g. `pipewright pipelines show "
                    "create-token`",
                    pipelines.output, nullptr);
      return exit_code::usage;
    }
    return command_pipelines(pipelines);
  }
  if (*plugins_cmd) {
    if (plugins.action == "show" && plugins.name.empty()) {
      print_message("pipewright: `plugins show` needs a plugin NAME, e.g. `pipewright plugins show core.echo`",
                    plugins.output, nullptr);
      return exit_code::usage;
    }
    return command_plugins(plugins);
  }
  if (*sandbox_env_cmd) return command_sandbox_env(sandbox_env);
  if (*sandbox_cmd) return command_sandbox(sandbox);
  return exit_code::usage;
}

}  // namespace pw
