// Two pipewright processes on one credential, and pipewright beside another
// client of the same user, against a sandbox whose budget is small: the
// shared budget file and the server's Ratelimit header keep every request
// inside it, so the server never answers 429.
#define BOOST_TEST_MODULE cloudflare_shared_budget
#include "deploy_fixture.hpp"

#include <future>

using namespace pw::deploy_test;

namespace {

pw::sandbox::Options small_budget(std::size_t requests, int seconds) {
  pw::sandbox::Options options;
  options.rate_limit_requests = requests;
  options.rate_limit_window = std::chrono::seconds(seconds);
  return options;
}

// r= of a `Ratelimit: "default";r=N;t=S` header, or -1.
long remaining(const std::string& header) {
  auto at = header.find(";r=");
  return at == std::string::npos ? -1 : std::stol(header.substr(at + 3));
}

std::size_t throttled(DeployFixture& f) {
  auto log = f.sandbox.client.get("/__sandbox/requests");
  std::size_t n = 0;
  for (const auto& entry : log.result().as_array())
    if (entry.at("status").to_number<int>() == 429) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_processes_on_one_token_stay_inside_the_servers_budget) {
  DeployFixture f(small_budget(12, 3));
  auto token = f.run(conf_pipeline("create-token.json"));
  BOOST_REQUIRE_MESSAGE(token.exit_code() == 0, token.log());
  auto infra = f.run(conf_pipeline("deploy-infrastructure.json"));
  BOOST_REQUIRE_MESSAGE(infra.exit_code() == 0, infra.log());
  fs::copy(f.site, f.work.path() / "site2", fs::copy_options::recursive);
  f.sandbox.client.del("/__sandbox/requests");

  // Two tenants at once, as two CI jobs would deploy them: more than twice
  // the window's budget in all.
  auto deploy = [&](std::string tenant, std::string site) {
    return f.run(conf_pipeline("deploy-tenant.json"),
                 {{"site", site}, {"tenant", tenant}, {"domain", "shop." + tenant + "-bakery.net"}});
  };
  auto first = std::async(std::launch::async, deploy, "northwind", "site");
  auto second = std::async(std::launch::async, deploy, "southwind", "site2");
  auto a = first.get();
  auto b = second.get();
  BOOST_TEST(a.exit_code() == 0, a.log());
  BOOST_TEST(b.exit_code() == 0, b.log());
  auto log = f.sandbox.client.get("/__sandbox/requests");
  BOOST_TEST(throttled(f) == 0u, log.body);
  BOOST_TEST(log.result().as_array().size() > 24u);  // more than two windows' budget was needed
}

BOOST_AUTO_TEST_CASE(a_budget_another_client_spent_is_waited_for_not_hit) {
  DeployFixture f(small_budget(30, 10));
  auto token = f.run(conf_pipeline("create-token.json"));
  BOOST_REQUIRE_MESSAGE(token.exit_code() == 0, token.log());
  const std::string value = token_in(f.work.path() / ".env");
  // Another client of the same token (wrangler, a script) leaves 3 requests
  // of the window: fewer than the deployment needs.
  pw::sandbox::test::TestClient other("127.0.0.1", f.sandbox.server.port());
  bool left_three = false;
  for (int i = 0; i < 70 && !left_three; ++i) {
    auto r = other.get("/user/tokens/verify", pw::sandbox::test::bearer(value));
    left_three = remaining(r.header("Ratelimit")) == 3;
  }
  BOOST_REQUIRE(left_three);
  f.sandbox.client.del("/__sandbox/requests");
  auto infra = f.run(conf_pipeline("deploy-infrastructure.json"));
  BOOST_TEST(infra.exit_code() == 0, infra.log());
  BOOST_TEST(throttled(f) == 0u);
  bool waited = false;
  for (const auto& e : infra.events)
    if (e.at("type") == "waiting") waited = true;
  BOOST_TEST(waited, infra.log());
}
