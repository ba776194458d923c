// The local Cloudflare API emulator: the API of pw_sandbox, which assembles
// the sandbox's rooms (sandbox/src/); used by the CLI (`pipewright sandbox`,
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
#include <vector>

namespace pw::sandbox {

struct Options {
  std::string listen_address = "127.0.0.1";  // loopback unless told otherwise
  std::uint16_t port = 0;                     // 0 picks a free port
  // R2's S3 API, on a listener of its own at the same address (S3 clients
  // address buckets at the root, path-style); 0 picks a free port.
  std::uint16_t s3_port = 0;
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
  // Bad clients (docs/sandbox.md "Bad clients"). A connection's first
  // request head must arrive whole within header_timeout of the connect, so
  // a client that trickles it (slowloris) cannot hold a socket for long.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(20)};
  // The wait for the next request on a keep-alive connection; then its head
  // has header_timeout. Longer than clients' own pool timeouts (Go: 90 s),
  // so that it is the client that closes and no reused socket is cut.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // The longest pause between two reads of a body, and between two writes
  // of a response to a client that stopped reading (nginx: 60 s each).
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds send_timeout{std::chrono::seconds(60)};
  // Request line plus fields; larger heads get 431 (Cloudflare's limit).
  std::size_t max_header_bytes = 32 * 1024;
  // Open connections; more are answered 503 and closed. nginx's own default,
  // which stays well under a 1024-descriptor limit.
  std::size_t max_connections = 512;
  // "ADDRESS:PORT" to serve the deployed Workers on (the local edge,
  // docs/sandbox.md); empty: no edge. Needs workerd (find_workerd order).
  std::string edge_listen;
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
  std::uint16_t s3_port() const;
  // R2's S3 endpoint, "http://127.0.0.1:S3PORT": buckets of the demo
  // account path-style below it (what CLOUDFLARE_R2_ENDPOINT holds).
  std::string r2_s3_endpoint() const;
  std::string edge_url() const;  // "http://127.0.0.1:PORT", empty without an edge
  // Connections being served now (not those refused over the cap).
  std::size_t open_connections() const;
  const Identity& identity() const;

  // Test hooks (also reachable over HTTP under /__sandbox/, see docs/sandbox.md).
  void set_faults(std::string_view spec);
  void activate_custom_hostnames();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One value a client needs to use the sandbox. `key` names it in the JSON
// banner and in DIR/sandbox.json; `env` is the variable it is exported as
// (empty: JSON only). One key may be exported under several names.
struct ClientSetting {
  std::string key;
  std::string env;
  std::string value;
  bool secret = false;  // a (demo) credential: shown in the banner, masked in run logs
};

// The settings of a started server, in banner order: the one list the
// banner, `pipewright sandbox env` and `pipewright run --sandbox` read, so
// a value added here reaches all of them.
std::vector<ClientSetting> client_settings(const Server& server);

// What DIR/sandbox.json says (written when a server with a state starts):
// the settings it served with, and whether its process still runs.
struct StateSettings {
  std::vector<ClientSetting> settings;
  long pid = 0;
  bool running = false;
};
// nullopt when no server has started on that state yet; throws
// std::runtime_error when the file is there but unreadable.
std::optional<StateSettings> read_state_settings(const std::filesystem::path& state_dir);

// `value` as one shell word (single-quoted unless it is plainly safe).
std::string shell_quote(std::string_view value);
// Whether the edge can run here: workerd found through PIPEWRIGHT_WORKERD,
// PATH, or the copy ./dev installs into the build tree.
bool workerd_available();

// `pipewright sandbox`: starts a server, prints the base URL and the demo
// identity (text, or one JSON object with json_output), serves until
// SIGINT/SIGTERM. Returns the process exit code.
int serve_until_signalled(const Options& options, bool json_output);

}  // namespace pw::sandbox
