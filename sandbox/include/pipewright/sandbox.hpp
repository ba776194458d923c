// The local Cloudflare API emulator. Owned by the sandbox room
// (sandbox/src/*.cpp); used by the CLI (`pipewright sandbox`,
// `pipewright run --sandbox`) and by tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

struct Options {
  std::string listen_address = "127.0.0.1";  // loopback unless told otherwise
  std::uint16_t port = 0;                     // 0 picks a free port
  std::optional<std::filesystem::path> state_dir;  // SQLite + object files; in-memory when empty
  std::optional<std::filesystem::path> seed_file;  // JSON describing the demo identity/extra data
  // Fault injection, e.g. "429=0.1,5xx=0.05,drop_before=0.02,drop_after=0.02,
  // latency=20ms,path=/client/v4/user/tokens*,seed=42" (see docs/sandbox.md).
  std::string faults;
  bool rate_limit_enabled = true;
  std::size_t rate_limit_requests = 1200;
  std::chrono::seconds rate_limit_window{300};
  // Custom hostnames turn active this long after creation (0 = only by hook).
  std::chrono::milliseconds hostname_activation_delay{2000};
  // I/O threads. One is the fastest on every load measured (verify, 200
  // concurrent PUTs; docs/benchmarks.md): the state is serialised on one
  // strand anyway, and a second thread only adds hand-offs between cores.
  std::size_t threads = 1;
  // Receives one line per request: method, path, status, credential id.
  // Never a secret.
  std::function<void(std::string_view)> request_log;
};

// The seeded demo identity. Demo values, not secrets.
struct Identity {
  std::string user_id;
  std::string email;
  std::string global_key;
  std::string account_id;
  std::string account_name;
  std::string zone_id;
  std::string zone_name;
};

class Server {
 public:
  explicit Server(Options options);
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on background threads. Throws std::runtime_error with a
  // clear message when the address cannot be bound or the state is unreadable.
  void start();
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT/client/v4"
  const Identity& identity() const;

  // Test hooks (also reachable over HTTP under /__sandbox/, see docs/sandbox.md).
  void set_faults(std::string_view spec);
  void activate_custom_hostnames();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `pipewright sandbox`: starts a server, prints the base URL and the demo
// identity (text, or one JSON object with json_output), serves until
// SIGINT/SIGTERM. Returns the process exit code.
int serve_until_signalled(const Options& options, bool json_output);

}  // namespace pw::sandbox
