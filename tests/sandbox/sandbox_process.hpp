// `pipewright sandbox` as a child process, for the tests that drive the real
// binary (tests/sandbox's CLI tests and soak). Needs tests/runtime on the
// include path.
#pragma once

#include <sys/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"  // tests/runtime: ChildProcess, pipewright_bin()
#include "test_support.hpp"   // tests/runtime: read_file()

namespace pw::sandbox::test {

// `pipewright sandbox --listen 127.0.0.1:0 ARGS` as a child process. Its
// stdout/stderr go to files under `dir` (never a pipe that could fill up).
// The destructor sends SIGTERM and reaps it (SIGKILL after 5 s), so a
// failed assertion never leaves a process behind.
class SandboxProcess {
 public:
  SandboxProcess(const std::filesystem::path& dir, const std::string& name, std::vector<std::string> args)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")), child_(spawn_options(out_, err_, std::move(args))) {}

  // Waits (at most 10 s) until stdout contains `needle`; throws with stderr
  // when the child exits first or the time runs out.
  std::string wait_for_output(const std::string& needle) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      std::string out = pw::test::read_file(out_);
      if (out.find(needle) != std::string::npos) return out;
      if (child_.try_reap())
        throw std::runtime_error("pipewright sandbox exited early (" + std::to_string(child_.exit_code()) + "): " + err());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("pipewright sandbox did not print \"" + needle + "\" within 10 s; stderr: " + err());
  }

  // The one JSON line `--output json` prints.
  boost::json::object json_identity() {
    std::string out = wait_for_output("}\n");
    return boost::json::parse(out.substr(0, out.find('\n'))).as_object();
  }

  // SIGTERM, then the exit code (128+N when killed by signal N).
  int stop() { return child_.stop(); }

  std::string err() const { return pw::test::read_file(err_); }
  pid_t pid() const { return child_.pid(); }

 private:
  static pw::test::SpawnOptions spawn_options(const std::filesystem::path& out, const std::filesystem::path& err,
                                              std::vector<std::string> args) {
    pw::test::SpawnOptions o;
    o.argv = {pw::test::pipewright_bin(), "sandbox", "--listen", "127.0.0.1:0"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.stdout_file = out;
    o.stderr_file = err;
    return o;
  }

  std::filesystem::path out_, err_;
  pw::test::ChildProcess child_;  // stopped on destruction
};

// One GET to a local edge (`--edge`) for the virtual host `host`.
struct EdgeAnswer {
  unsigned status = 0;
  std::string body, content_type;
  boost::beast::http::fields headers;
};
inline EdgeAnswer edge_get(std::uint16_t port, const std::string& host, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  namespace http = boost::beast::http;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(false);
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64ull << 20);
  http::read(socket, buffer, parser);
  auto res = parser.release();
  EdgeAnswer out{res.result_int(), res.body(), std::string(res[http::field::content_type]), {}};
  for (const auto& f : res) out.headers.insert(f.name_string(), f.value());
  return out;
}

// The port of "http://127.0.0.1:PORT".
inline std::uint16_t url_port(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// The URL path of a site file: each segment percent-encoded, '/' literal.
inline std::string url_path(const std::filesystem::path& relative) {
  std::string out;
  for (const auto& segment : relative) {
    out += '/';
    for (unsigned char c : segment.string()) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        static const char* hex = "0123456789ABCDEF";
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  return out;
}

// A "Vm…:" line of /proc/PID/status in KiB (VmRSS now, VmHWM its peak); -1
// when absent.
inline long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  return -1;
}

}  // namespace pw::sandbox::test
