// `pipewright run`: everything that must be true before the first step
// starts (plugins loaded, pipeline valid, inputs given), then the scheduler.
#include "diagnostic_output.hpp"
#include "pipeline_lookup.hpp"
#include "signal_watcher.hpp"

#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/cli/cli.hpp>
#include <pipewright/host/engine/scheduler.hpp>
#include <pipewright/sandbox.hpp>
#include <pipewright/util/edit_distance.hpp>
#include <pipewright/util/text.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>

namespace pw {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view default_cloudflare_base = "https://api.cloudflare.com/client/v4";

// Everything printed before the run starts goes to stderr, masked.
struct ErrorPrinter {
  const Redactor& redactor;
  OutputFormat output;
  void operator()(const std::string& message) const { print_message(message, output, &redactor); }
  void operator()(const Diagnostic& diagnostic) const { print_diagnostic(diagnostic, output, &redactor); }
};

// "k=v" → name and value; the value is JSON when the input's declared type
// is not a string, else the text as is.
bool parse_inputs(const std::vector<std::string>& given, const Pipeline& pipeline,
                  std::map<std::string, json::value>& out, const ErrorPrinter& error) {
  bool ok = true;
  for (const auto& kv : given) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      error("pipewright: --input \"" + kv + "\" is not NAME=VALUE; write it as --input name=value");
      ok = false;
      continue;
    }
    std::string name = kv.substr(0, eq), text = kv.substr(eq + 1);
    auto spec = pipeline.inputs.find(name);
    if (spec == pipeline.inputs.end()) {
      std::string known;
      std::vector<std::string> names;
      for (const auto& [n, s] : pipeline.inputs) {
        known += (known.empty() ? "" : ", ") + n;
        names.push_back(n);
      }
      const std::string guess = util::closest_match(name, names);
      error("pipewright: --input " + name + ": " + pipeline.file.string() + " declares no input \"" + name +
            "\"; its inputs are: " + (known.empty() ? "(none)" : known) +
            (guess.empty() ? "" : "\n  hint: did you mean --input " + guess + "=" + text + "?"));
      ok = false;
      continue;
    }
    const std::string& type = spec->second.type;
    if (type.empty() || type == "string") {
      out[name] = json::string(text);
      continue;
    }
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
      error("pipewright: --input " + name + ": expected a " + type + " (JSON), got \"" + text +
            "\"");
      ok = false;
      continue;
    }
    out[name] = std::move(v);
  }
  return ok;
}

// The plugins the pipeline names that were refused at load time: exit 3.
bool report_refused_plugins(const Pipeline& pipeline, const PluginRegistry& registry,
                            const ErrorPrinter& error) {
  std::vector<std::string> names;
  for (const auto& s : pipeline.steps)
    if (!uses_is_pipeline(s.uses)) names.push_back(s.uses);
  for (const auto& [n, a] : pipeline.auths) names.push_back(a.uses);
  bool refused_any = false;
  for (const auto& name : names) {
    if (registry.find(name)) continue;
    for (const auto& r : registry.refused()) {
      if (r.file.stem().string() != name) continue;
      Diagnostic refusal = r.problem;
      refusal.summary = "plugin " + name + " could not be loaded: " + refusal.summary;
      error(refusal);
      refused_any = true;
    }
  }
  return refused_any;
}

HttpClientOptions http_options(const RunOptions& options, const ErrorPrinter& error, bool& ok) {
  HttpClientOptions http;
  if (options.max_in_flight > 0) {
    http.in_flight.ceiling = static_cast<std::size_t>(options.max_in_flight);
    http.in_flight.floor = std::min(http.in_flight.floor, http.in_flight.ceiling);
    http.max_connections_per_origin = std::max(http.max_connections_per_origin, http.in_flight.ceiling);
  }
  if (options.rate_limit == "off") {
    http.rate.enabled = false;
  } else if (!options.rate_limit.empty()) {
    std::size_t requests = 0;
    int seconds = 0;
    if (!parse_rate_limit(options.rate_limit, requests, seconds)) {
      error("pipewright: --rate-limit \"" + options.rate_limit +
            "\" is not N/SECONDS or off; write it like 1200/300");
      ok = false;
    } else {
      http.rate.requests = requests;
      http.rate.window = std::chrono::seconds(seconds);
    }
  }
  return http;
}

std::string cloudflare_base(const Environment& env, const sandbox::Server* server) {
  if (server) return server->base_url();
  for (const char* name : {"CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_BASE_URL"})
    if (auto v = env.get(name); v && !v->empty()) return *v;
  return std::string(default_cloudflare_base);
}

// PIPEWRIGHT_CACHE_DIR ("off" disables), else $XDG_CACHE_HOME/pipewright,
// else ~/.cache/pipewright; empty when none of them is set.
fs::path cache_directory(const Environment& env) {
  if (auto v = env.get("PIPEWRIGHT_CACHE_DIR"); v && !v->empty())
    return *v == "off" ? fs::path() : fs::path(*v);
  if (auto v = env.get("XDG_CACHE_HOME"); v && !v->empty()) return fs::path(*v) / "pipewright";
  if (auto v = env.get("HOME"); v && !v->empty()) return fs::path(*v) / ".cache" / "pipewright";
  return {};
}

// A --sandbox run keeps what is its own (the sandbox state, the .env its
// pipelines write, its caches) in one directory: ./.pipewright/sandbox
// unless --sandbox-state names another. Empty without --sandbox.
fs::path sandbox_directory(const RunOptions& options) {
  if (!options.sandbox) return {};
  if (options.sandbox_state.empty()) return fs::current_path() / ".pipewright" / "sandbox";
  return fs::absolute(options.sandbox_state).lexically_normal();
}

bool inside(const fs::path& file, const fs::path& dir) {
  auto rel = fs::absolute(file).lexically_normal().lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

// In a --sandbox run the sandbox answers for every Cloudflare setting it
// has: what the shell or a .env holds for the real API is never sent to it.
// An API token counts only when it comes from a .env a sandbox run wrote;
// returns what was set aside, for the run to say.
std::vector<std::string> use_sandbox_settings(EnvironmentLoad& env, const sandbox::Server& server,
                                              const fs::path& state) {
  std::vector<std::string> notes;
  std::string replaced;
  for (const auto& s : sandbox::client_settings(server)) {
    if (s.env.empty()) continue;
    if (auto mine = env.environment.get(s.env); mine && *mine != s.value)
      replaced += (replaced.empty() ? "" : ", ") + s.env;
    env.environment.set(s.env, s.value);
  }
  if (!replaced.empty())
    notes.push_back("the sandbox's own settings replace " + replaced + " from your environment");
  Environment own;
  for (const auto& f : env.files)
    if (inside(f, state) || written_by_sandbox(f)) own.load_file(f);
  for (const char* name : {"CLOUDFLARE_API_TOKEN"}) {
    auto issued = own.get(name);
    if (auto given = env.environment.get(name); given && given != issued)
      notes.push_back(std::string(name) + " from your environment or a .env no sandbox run wrote is not used: "
                      "the sandbox did not issue it");
    if (issued)
      env.environment.set(name, *issued);
    else
      env.environment.erase(name);
  }
  return notes;
}

}  // namespace

int command_run(const RunOptions& options) {
  CancelScope root;
  // First, before any other thread exists (see SignalWatcher).
  SignalWatcher signals([&root] { root.cancel(); });
  Redactor redactor;
  ErrorPrinter error{redactor, options.output};

  const fs::path sandbox_dir = sandbox_directory(options);
  EnvironmentLoad env =
      load_environment(options.env_files, options.sandbox ? sandbox_dir / ".env" : fs::path(".env"));
  for (const auto& e : env.errors) error("pipewright: " + e);
  if (!env.errors.empty()) return exit_code::usage;

  // The embedded sandbox starts (SQLite, schema, identity) on a helper
  // thread while this one loads the plugins: neither needs the other.
  std::future<std::unique_ptr<sandbox::Server>> starting;
  if (options.sandbox) {
    sandbox::Options so;
    so.state_dir = sandbox_dir;
    so.faults = options.sandbox_faults;
    // The deployed Workers are served too when workerd is here (the
    // served-site check reaches them through CLOUDFLARE_EDGE_URL).
    if (sandbox::workerd_available()) so.edge_listen = "127.0.0.1:0";
    starting = std::async(std::launch::async, [so] {
      auto started = std::make_unique<sandbox::Server>(so);
      started->start();
      return started;
    });
  }
  PluginRegistry registry(host_services());
  registry.scan(PluginRegistry::search_path(options.plugin_paths));

  std::unique_ptr<sandbox::Server> server;
  std::vector<std::string> sandbox_notes;
  if (options.sandbox) {
    try {
      server = starting.get();
    } catch (const std::exception& e) {
      error(std::string("pipewright: the embedded sandbox did not start: ") + e.what() +
            "\n  hint: check --sandbox-state and --sandbox-faults");
      return exit_code::usage;
    }
    sandbox_notes = use_sandbox_settings(env, *server, sandbox_dir);
  }
  if (auto key = env.environment.get("CLOUDFLARE_GLOBAL_KEY")) redactor.add(*key);

  auto file = find_pipeline_file(options.target);
  if (!file) {
    error(pipeline_not_found(options.target));
    return exit_code::usage;
  }
  LoadResult loaded = load_pipeline(*file);
  for (const auto& e : loaded.errors) error(e);
  if (!loaded.pipeline || !loaded.errors.empty()) return exit_code::usage;
  const Pipeline& pipeline = *loaded.pipeline;

  std::map<std::string, json::value> given;
  if (!parse_inputs(options.inputs, pipeline, given, error)) return exit_code::usage;
  if (report_refused_plugins(pipeline, registry, error)) return exit_code::plugin_refused;

  PluginCatalog catalog(registry);
  ValidationContext vctx = make_validation_context(catalog);
  vctx.given_inputs = given;
  vctx.check_required_inputs = true;
  const Environment& environment = env.environment;
  vctx.has_env = [&environment](std::string_view n) { return environment.has(n); };
  vctx.has_secret = vctx.has_env;
  // Nested pipelines are loaded and validated once, and each is kept for
  // the rest of the run: validation reads every one the run can reach and
  // hands it over here (a step loads any other when it first needs it).
  std::mutex children_mutex;
  std::map<fs::path, std::shared_ptr<const Pipeline>> children;
  vctx.validated_child = [&](const fs::path& file, std::shared_ptr<const Pipeline> child) {
    std::lock_guard lock(children_mutex);
    children.emplace(file, std::move(child));
  };
  auto problems = validate_pipeline(pipeline, vctx);
  for (const auto& e : problems) error(e);
  if (!problems.empty()) {
    error("pipewright: " + util::count_of(problems.size(), "problem") + " in " + pipeline.file.string() +
          "; nothing was run");
    return exit_code::usage;
  }
  std::vector<std::string> missing;
  auto inputs = resolve_inputs(pipeline, given, missing);
  for (const auto& m : missing)
    error("pipewright: input " + m + " is required by " + pipeline.file.string() +
          "; pass it with --input " + m + "=VALUE");
  if (!missing.empty()) return exit_code::usage;

  bool ok = true;
  HttpClientOptions http_opts = http_options(options, error, ok);
  if (!ok) return exit_code::usage;
  fs::path cache_dir = cache_directory(environment);
  // A sandbox run's caches describe the sandbox's objects: they stay with its
  // state, unless PIPEWRIGHT_CACHE_DIR names a place for every run.
  if (options.sandbox && !cache_dir.empty() && !environment.get("PIPEWRIGHT_CACHE_DIR"))
    cache_dir = sandbox_dir / "cache";
  // Every pipewright process of this user on the machine draws on one
  // budget per API and credential; the embedded sandbox, on a port of its
  // own that no other process can reach, needs no file for it.
  if (!cache_dir.empty() && !options.sandbox) http_opts.shared_budget_dir = cache_dir / "rate-budget";
  HttpClient http(http_opts);
  EventStream events(redactor, options.output, options.verbosity);
  ParallelismBudget budget(options.max_parallel);
  RunContext run{redactor,           events,
                 http,               environment,
                 registry,           root,
                 budget,             fs::current_path(),
                 cloudflare_base(environment, server.get()), options.isolation,
                 cache_dir,          options.isolation_strict};

  run.sandbox_dir = sandbox_dir;

  ChildPipelineLoader load_child = [&](std::string_view uses, const fs::path& from,
                                       std::string& why) -> std::shared_ptr<const Pipeline> {
    fs::path path = resolve_pipeline_uses(uses, from);
    if (path.empty()) {
      why = "pipeline " + std::string(uses) + " was not found (relative to " + from.string() + ")";
      return nullptr;
    }
    std::lock_guard lock(children_mutex);
    if (auto it = children.find(path); it != children.end()) return it->second;
    LoadResult child = load_pipeline(path);
    if (child.pipeline && child.errors.empty()) {
      ValidationContext cctx = make_validation_context(catalog);
      cctx.check_required_inputs = false;
      child.errors = validate_pipeline(*child.pipeline, cctx);
    }
    if (!child.pipeline || !child.errors.empty()) {
      why = "pipeline " + path.string() + " is invalid: " +
            (child.errors.empty() ? std::string("unreadable") : render_text(child.errors.front()));
      return nullptr;
    }
    auto shared = std::make_shared<const Pipeline>(std::move(*child.pipeline));
    children.emplace(path, shared);
    return shared;
  };

  std::string name = pipeline.name.empty() ? pipeline.file.stem().string() : pipeline.name;
  events.emit(event::run_started, {{"pipeline", name},
                                   {"file", pipeline.file.string()},
                                   {"steps", static_cast<std::int64_t>(pipeline.steps.size())},
                                   {"auths", static_cast<std::int64_t>(pipeline.auths.size())},
                                   {"sandbox", options.sandbox}});
  for (const auto& note : sandbox_notes)
    events.emit(event::log, {{"step", "sandbox"}, {"level", "info"}, {"message", note}});
  auto started = std::chrono::steady_clock::now();
  PipelineInvocation invocation{pipeline, std::move(inputs), root, "", load_child};
  PipelineResult result = run_pipeline(run, invocation);
  bool interrupted = signals.signalled() || result.interrupted;
  std::string status = interrupted ? "interrupted" : result.ok() ? "ok" : "failed";
  json::object summary{
      {"pipeline", name},
      {"status", status},
      {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count()},
      {"ok", result.count(StepStatus::ok)},
      {"failed", result.count(StepStatus::failed)},
      {"skipped", result.count(StepStatus::skipped)},
      {"cancelled", result.count(StepStatus::cancelled)}};
  if (!result.error.empty()) summary["error"] = result.error;
  if (status != "ok") summary["account"] = events.unfinished_account();
  if (!result.outputs.empty()) summary["outputs"] = result.outputs;
  events.emit(event::run_finished, std::move(summary));
  if (interrupted) return exit_code::interrupted;
  return result.ok() ? exit_code::ok : exit_code::step_failed;
}

}  // namespace pw
