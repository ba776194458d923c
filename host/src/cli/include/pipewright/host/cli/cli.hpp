// The pipewright command line: one function per subcommand, each returning
// the process exit code. main.cpp only calls run_cli.
#pragma once

#include <pipewright/host/run/events.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pw {

// Exit codes (docs/architecture.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int step_failed = 1;
inline constexpr int usage = 2;
inline constexpr int plugin_refused = 3;
inline constexpr int interrupted = 130;
}  // namespace exit_code

struct RunOptions {
  std::string target;  // FILE or NAME
  std::vector<std::string> inputs;  // k=v
  std::vector<std::filesystem::path> env_files;
  OutputFormat output = OutputFormat::text;
  int verbosity = 0;
  std::vector<std::filesystem::path> plugin_paths;
  int max_parallel = 8;
  std::string rate_limit;  // "N/SECONDS"; empty = Cloudflare's default
  int max_in_flight = 0;   // requests in flight per API at most; 0 = follow the latency (16..256)
  bool sandbox = false;
  std::string sandbox_state;
  std::string sandbox_faults;
  std::string isolation;  // "" | "in-process" | "process": default for every step and auth
  bool isolation_strict = false;  // an isolation layer the kernel lacks is an error
};

struct ValidateOptions {
  std::string target;
  std::vector<std::filesystem::path> plugin_paths;
  OutputFormat output = OutputFormat::text;
};

struct PluginsOptions {
  std::string action = "list";  // list | show | doctor
  std::string name;             // for show
  std::vector<std::filesystem::path> plugin_paths;
  OutputFormat output = OutputFormat::text;
};

struct PipelinesOptions {
  std::string action = "list";  // list | show
  std::string name;             // for show
  OutputFormat output = OutputFormat::text;
};

struct SandboxOptions {
  std::string listen = "127.0.0.1:8787";
  // R2's S3 API listens on this port of the same address; unset: the
  // --listen port + 1 (8788), or any free port when that one is 0.
  std::optional<unsigned> s3_port;
  std::string state;
  std::string seed;
  std::string faults;
  std::string rate_limit;
  std::string edge;  // ADDRESS:PORT for the local edge; empty: none
  OutputFormat output = OutputFormat::text;
};

int command_run(const RunOptions& options);
int command_validate(const ValidateOptions& options);
int command_plugins(const PluginsOptions& options);
int command_pipelines(const PipelinesOptions& options);
struct SandboxEnvOptions {
  std::string state;  // a sandbox state directory
};

int command_sandbox(const SandboxOptions& options);
// `pipewright sandbox env --state DIR`: the export lines of the sandbox that
// serves (or last served) DIR.
int command_sandbox_env(const SandboxEnvOptions& options);
int run_cli(int argc, char** argv);

// "N/SECONDS" (e.g. "1200/300"); false when malformed.
bool parse_rate_limit(std::string_view text, std::size_t& requests, int& seconds);

}  // namespace pw
