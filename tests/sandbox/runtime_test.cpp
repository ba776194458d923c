// Rate limiting, fault injection and persistence across restarts.
#include <boost/test/unit_test.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

std::size_t count_named(TestClient& c, const Headers& auth, const std::string& name) {
  std::size_t n = 0;
  for (int page = 1;; ++page) {
    auto r = c.get("/user/tokens?per_page=50&page=" + std::to_string(page), auth);
    if (r.result().as_array().empty()) return n;
    for (const auto& t : r.result().as_array())
      if (t.at("name").as_string() == name) ++n;
  }
}

json::object zone_read_body(const Identity& id, const std::string& name) {
  return json::object{
      {"name", name},
      {"policies", json::array{json::object{
                       {"effect", "allow"},
                       {"resources", json::object{{zone_key(id.zone_id), "*"}}},
                       {"permission_groups",
                        json::array{json::object{{"id", "c8fed203ed3043cba015a93ad1616f1f"}}}}}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime)

BOOST_AUTO_TEST_CASE(rate_limit_answers_429_971_with_retry_after) {
  Options o;
  o.rate_limit_requests = 3;
  o.rate_limit_window = std::chrono::seconds(60);
  SandboxFixture f(o);
  for (int i = 0; i < 3; ++i) {
    auto r = f.client.get("/zones", f.global());
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("Ratelimit").starts_with("\"default\";r=" + std::to_string(2 - i) + ";t="));
    BOOST_TEST(r.header("Ratelimit-Policy") == "\"burst\";q=3;w=60");
  }
  auto limited = f.client.get("/zones", f.global());
  BOOST_TEST(limited.status == 429u);
  BOOST_TEST(limited.error_code() == 971);
  BOOST_TEST(limited.error_message() == "Please wait and consider throttling your request speed");
  int retry_after = std::stoi(limited.header("Retry-After"));
  BOOST_TEST(retry_after >= 1);
  BOOST_TEST(retry_after <= 60);
  // The budget is per credential: a token has its own.
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get("/zones", bearer(t.value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(rate_limit_can_be_disabled) {
  Options o;
  o.rate_limit_enabled = false;
  o.rate_limit_requests = 1;
  SandboxFixture f(o);
  for (int i = 0; i < 3; ++i) BOOST_TEST(f.client.get("/zones", f.global()).status == 200u);
  BOOST_TEST(f.client.get("/zones", f.global()).header("Ratelimit").empty());
}

BOOST_AUTO_TEST_CASE(fault_share_of_503_on_one_path) {
  SandboxFixture f;
  auto set =
      f.client.post("/__sandbox/faults", std::string("503=1.0,path=/client/v4/zones*,seed=7"));
  BOOST_TEST(set.status == 200u);
  for (int i = 0; i < 3; ++i) {
    auto r = f.client.get("/zones", f.global());
    BOOST_TEST(r.status == 503u);
    BOOST_TEST(!r.success());
  }
  BOOST_TEST(f.client.get("/accounts", f.global()).status == 200u);
  f.server.set_faults("");
  BOOST_TEST(f.client.get("/zones", f.global()).status == 200u);
}

BOOST_AUTO_TEST_CASE(fault_429_carries_retry_after_and_methods_filter) {
  SandboxFixture f;
  f.server.set_faults("429=1,methods=POST");
  BOOST_TEST(f.client.get("/zones", f.global()).status == 200u);
  auto r = f.client.post("/user/tokens", json::value(zone_read_body(f.id(), "x")), f.global());
  BOOST_TEST(r.status == 429u);
  BOOST_TEST(r.error_code() == 971);
  BOOST_TEST(!r.header("Retry-After").empty());
  BOOST_CHECK_THROW(f.server.set_faults("bogus=1"), std::invalid_argument);
  BOOST_TEST(f.client.post("/__sandbox/faults", std::string("{\"503\": 2}")).status == 400u);
}

BOOST_AUTO_TEST_CASE(a_seeded_fractional_fault_spec_repeats_its_status_sequence) {
  // The statuses 40 identical requests get from a fresh server with `spec`.
  auto statuses = [](const std::string& spec) {
    Options o;
    o.faults = spec;
    SandboxFixture f(o);
    std::vector<unsigned> out;
    for (int i = 0; i < 40; ++i) out.push_back(f.client.get("/zones", f.global()).status);
    return out;
  };
  const auto first = statuses("500=0.3,502=0.3,seed=7");
  const auto again = statuses("500=0.3,502=0.3,seed=7");
  const auto other_seed = statuses("500=0.3,502=0.3,seed=8");
  BOOST_TEST(first == again, boost::test_tools::per_element());
  BOOST_TEST((first != other_seed));
  for (unsigned status : {200u, 500u, 502u}) {
    BOOST_TEST_CONTEXT("status " << status) {
      BOOST_TEST(std::count(first.begin(), first.end(), status) > 0);
    }
  }
  BOOST_TEST(std::count_if(first.begin(), first.end(), [](unsigned s) { return s != 200u && s != 500u && s != 502u; }) == 0);

  // Setting the same spec again over the hook restarts the same sequence.
  SandboxFixture f;
  BOOST_TEST_REQUIRE(f.client.post("/__sandbox/faults", std::string("500=0.3,502=0.3,seed=7")).status == 200u);
  std::vector<unsigned> via_hook;
  for (int i = 0; i < 40; ++i) via_hook.push_back(f.client.get("/zones", f.global()).status);
  BOOST_TEST(via_hook == first, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(drop_after_commits_the_change) {
  SandboxFixture f;
  f.server.set_faults("drop_after=1.0,path=/client/v4/user/tokens,methods=POST");
  BOOST_CHECK_THROW(
      f.client.post("/user/tokens", json::value(zone_read_body(f.id(), "dropped")), f.global()),
      boost::system::system_error);
  f.server.set_faults("");
  BOOST_TEST(count_named(f.client, f.global(), "dropped") == 1u);
}

BOOST_AUTO_TEST_CASE(drop_before_changes_nothing) {
  SandboxFixture f;
  f.client.post("/__sandbox/faults",
                std::string("{\"drop_before\": 1, \"path\": \"/client/v4/user/tokens\"}"));
  BOOST_CHECK_THROW(
      f.client.post("/user/tokens", json::value(zone_read_body(f.id(), "never")), f.global()),
      boost::system::system_error);
  f.client.post("/__sandbox/faults", std::string(""));
  BOOST_TEST(count_named(f.client, f.global(), "never") == 0u);
}

BOOST_AUTO_TEST_CASE(latency_fault_delays_the_answer) {
  SandboxFixture f;
  f.server.set_faults("latency=150ms");
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(f.client.get("/zones", f.global()).status == 200u);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  BOOST_TEST(elapsed.count() >= 150);
}

BOOST_AUTO_TEST_CASE(state_dir_keeps_identity_and_tokens_across_restarts) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path();
  std::string value, token_id;
  Identity first;
  {
    SandboxFixture f(o);
    first = f.id();
    auto r = f.client.post("/user/tokens", json::value(zone_read_body(f.id(), "persistent")),
                           f.global());
    BOOST_REQUIRE(r.status == 200u);
    token_id = std::string(r.result().at("id").as_string());
    value = std::string(r.result().at("value").as_string());
  }
  BOOST_TEST(std::filesystem::exists(dir.path() / "sandbox.db"));
  SandboxFixture g(o);
  BOOST_TEST(g.id().user_id == first.user_id);
  BOOST_TEST(g.id().global_key == first.global_key);
  BOOST_TEST(g.id().zone_id == first.zone_id);
  BOOST_TEST(count_named(g.client, g.global(), "persistent") == 1u);
  BOOST_TEST(g.client.get("/user/tokens/verify", bearer(value)).result().at("id").as_string() ==
             token_id);
}

BOOST_AUTO_TEST_CASE(seed_file_overrides_the_demo_identity) {
  TempDir dir;
  auto seed = dir.path() / "seed.json";
  std::ofstream(seed)
      << R"({"email":"ops@pipewright.dev","account_name":"Ops","zone_name":"ops-demo.net",
                             "account_id":"abcdefabcdefabcdefabcdefabcdefab"})";
  Options o;
  o.seed_file = seed;
  SandboxFixture f(o);
  BOOST_TEST(f.id().email == "ops@pipewright.dev");
  BOOST_TEST(f.id().account_id == "abcdefabcdefabcdefabcdefabcdefab");
  BOOST_TEST(f.client.get("/zones?name=ops-demo.net", f.global()).result().as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bind_failure_is_a_clear_error) {
  SandboxFixture f;
  Options o;
  o.port = f.server.port();
  Server second(o);
  BOOST_CHECK_THROW(second.start(), std::runtime_error);
  BOOST_TEST(serve_until_signalled(o, false) == 2);  // message on stderr, no serving
}

BOOST_AUTO_TEST_CASE(serve_until_signalled_stops_cleanly_on_sigterm) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path();
  int code = -1;
  std::thread serving([&] { code = serve_until_signalled(o, true); });
  // The signal set is installed before the server starts, and the server
  // creates sandbox.db when it starts: wait for that file, not for a fixed
  // time, so a loaded machine cannot deliver SIGTERM too early.
  for (int i = 0; i < 200 && !std::filesystem::exists(dir.path() / "sandbox.db"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_REQUIRE(std::filesystem::exists(dir.path() / "sandbox.db"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(::getpid(), SIGTERM);
  serving.join();
  BOOST_TEST(code == 0);
  BOOST_TEST(std::filesystem::exists(dir.path() / "sandbox.db"));
}

BOOST_AUTO_TEST_CASE(bad_fault_spec_fails_start) {
  Options o;
  o.faults = "503=lots";
  Server s(o);
  BOOST_CHECK_THROW(s.start(), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
