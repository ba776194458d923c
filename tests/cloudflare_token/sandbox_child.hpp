// `pipewright sandbox --listen 127.0.0.1:0 --output json` as a child process
// for the token integration tests: started in the constructor (its identity
// read from the one JSON line it prints), stopped and reaped in the
// destructor. Its output goes to files in the test's temp dir, so it never
// blocks on a full pipe.
#pragma once

#include "child_process.hpp"  // tests/runtime: ChildProcess, pipewright_bin()
#include "test_client.hpp"    // tests/sandbox: TestClient, policy(), keys

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace pw::cftest {

struct SandboxIdentity {
  std::string base_url;
  std::uint16_t port = 0;
  std::string user_id, email, global_key, account_id, zone_id, zone_name;
};

class SandboxChild {
 public:
  // The child is a member: it is stopped even when reading its identity
  // throws.
  explicit SandboxChild(const std::filesystem::path& dir)
      : out_(dir / "sandbox.out"), err_(dir / "sandbox.err"), child_(spawn_options(out_, err_)) {
    read_identity();
  }
  SandboxChild(const SandboxChild&) = delete;
  SandboxChild& operator=(const SandboxChild&) = delete;

  const SandboxIdentity& id() const { return id_; }

  // A fresh client for the sandbox's hooks and API.
  sandbox::test::TestClient client() const { return sandbox::test::TestClient("127.0.0.1", id_.port); }
  sandbox::test::Headers global() const { return {{"X-Auth-Email", id_.email}, {"X-Auth-Key", id_.global_key}}; }

  // The environment a pipewright run needs to talk to this sandbox.
  std::map<std::string, std::string> env() const {
    return {{"CLOUDFLARE_API_BASE_URL", id_.base_url}, {"CLOUDFLARE_BASE_URL", id_.base_url},
            {"CLOUDFLARE_EMAIL", id_.email},           {"CLOUDFLARE_GLOBAL_KEY", id_.global_key},
            {"CLOUDFLARE_ACCOUNT_ID", id_.account_id}, {"CLOUDFLARE_ZONE_ID", id_.zone_id}};
  }

  // SIGTERM, SIGKILL after 5 s; reaped either way (also on destruction).
  void stop() { child_.stop(); }

 private:
  static pw::test::SpawnOptions spawn_options(const std::filesystem::path& out, const std::filesystem::path& err) {
    pw::test::SpawnOptions o;
    o.argv = {pw::test::pipewright_bin(), "sandbox", "--listen", "127.0.0.1:0", "--output", "json"};
    o.stdout_file = out;
    o.stderr_file = err;
    return o;
  }

  void read_identity() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      std::ifstream in(out_);
      std::string line;
      if (std::getline(in, line) && !in.eof()) {
        auto v = boost::json::parse(line).as_object();
        auto text = [&](const char* k) { return std::string(v.at(k).as_string()); };
        id_.base_url = text("base_url");
        id_.port = static_cast<std::uint16_t>(v.at("port").to_number<int>());
        id_.user_id = text("user_id");
        id_.email = text("email");
        id_.global_key = text("global_key");
        id_.account_id = text("account_id");
        id_.zone_id = text("zone_id");
        id_.zone_name = text("zone_name");
        return;
      }
      if (child_.try_reap()) {
        std::ifstream err(err_);
        std::stringstream text;
        text << err.rdbuf();
        throw std::runtime_error("pipewright sandbox exited early: " + text.str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error("pipewright sandbox printed no identity within 30 s");
  }

  std::filesystem::path out_, err_;
  pw::test::ChildProcess child_;
  SandboxIdentity id_;
};

}  // namespace pw::cftest
