// The host's in-flight budget and rate budget seen from outside: the real
// binary runs deploy-tenants against a sandbox that answers late, and the
// requests every tenant has in flight together, read from the http events,
// never pass the one limit they share; under a small server budget the run
// waits for it and is never refused.
#define BOOST_TEST_MODULE cloudflare_in_flight
#include <algorithm>
#include <set>

#include "deploy_fixture.hpp"

using namespace pw::deploy_test;

namespace {

struct TenantsFixture : DeployFixture {
  explicit TenantsFixture(pw::sandbox::Options options = {}) : DeployFixture(std::move(options)) {}

  void prepare_account() {
    auto token = run(conf_pipeline("create-token.json"));
    BOOST_REQUIRE_MESSAGE(token.exit_code() == 0, token.log());
    auto infra = run(conf_pipeline("deploy-infrastructure.json"));
    BOOST_REQUIRE_MESSAGE(infra.exit_code() == 0, infra.log());
  }

  // `tenants` sites of `files` small pages each, and a tenants file naming them.
  void tenants(int tenants, int files) {
    std::string list = "[";
    for (int t = 0; t < tenants; ++t) {
      const std::string name = "t" + std::to_string(t);
      for (int i = 0; i < files; ++i)
        write_file(
            work.path() / "tenants" / "sites" / name / ("page" + std::to_string(i) + ".html"),
            "<p>" + name + " page " + std::to_string(i) + "</p>\n");
      list += std::string(t ? "," : "") + R"({"tenant": ")" + name + R"(", "domain": "www.)" +
              name + R"(-corp.net", "site": "sites/)" + name + R"("})";
    }
    write_file(work.path() / "tenants" / "tenants.json", list + "]");
  }

  Run deploy(std::vector<std::string> extra = {}) {
    return run(conf_pipeline("deploy-tenants.json"),
               {{"tenants", "tenants/tenants.json"}, {"transport", "api"}, {"check_site", "false"}},
               std::move(extra));
  }

  std::size_t throttled() {
    auto log = sandbox.client.get("/__sandbox/requests");
    std::size_t n = 0;
    for (const auto& entry : log.result().as_array())
      if (entry.at("status").to_number<int>() == 429) ++n;
    return n;
  }
};

std::vector<json::object> of_type(const Run& r, std::string_view type) {
  std::vector<json::object> out;
  for (const auto& e : r.events)
    if (e.at("type").as_string() == type) out.push_back(e);
  return out;
}

// The most requests in flight at once, from each http event's interval
// [ts - duration_ms, ts). An event is stamped when its caller hears of the
// answer, a little after it arrived: each interval loses its last 3 ms, so
// that such lag never counts a request that had ended as in flight.
std::size_t peak_in_flight(const std::vector<json::object>& http,
                           std::set<std::string>* steps_at_peak = nullptr) {
  std::vector<std::pair<std::int64_t, int>> edges;
  for (const auto& e : http) {
    const auto end = e.at("ts").to_number<std::int64_t>();
    const auto start = end - e.at("duration_ms").to_number<std::int64_t>();
    edges.emplace_back(start, 1);
    edges.emplace_back(std::max(start + 1, end - 3), -1);
  }
  std::sort(edges.begin(), edges.end());  // at one instant, ends (-1) before starts
  std::size_t now = 0, peak = 0;
  std::int64_t peak_at = 0;
  for (const auto& [at, delta] : edges) {
    now += delta;
    if (now > peak) peak = now, peak_at = at;
  }
  if (steps_at_peak)
    for (const auto& e : http) {
      const auto end = e.at("ts").to_number<std::int64_t>();
      if (end - e.at("duration_ms").to_number<std::int64_t>() <= peak_at && peak_at < end - 3)
        steps_at_peak->insert(std::string(e.at("step").as_string()));
    }
  return peak;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_tenant_draws_on_one_in_flight_limit_per_api) {
  TenantsFixture f;
  f.prepare_account();
  f.tenants(4, 12);
  f.sandbox.server.set_faults("latency=40ms");
  // Four tenants of 12 uploads, each batch free to send all at once: 60
  // requests could be in flight, the limit lets 6. One plugin call computes
  // at a time (--max-parallel 1), but calls waiting for answers hold no
  // such slot, so every tenant's requests are out together.
  auto r = f.deploy({"--max-in-flight", "6", "--max-parallel", "1"});
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.integer("ok") == 4);
  const auto http = of_type(r, "http");
  BOOST_TEST(http.size() >= 4u * 13u);
  std::set<std::string> steps;
  const std::size_t peak = peak_in_flight(http, &steps);
  BOOST_TEST(peak <= 6u, r.log());
  // Held at the limit, by several steps at once: a limit shared, not one
  // per step, and not one plugin call at a time.
  BOOST_TEST(peak >= 5u);
  BOOST_TEST(steps.size() >= 2u);
}

BOOST_AUTO_TEST_CASE(a_small_server_budget_is_waited_for_and_never_exceeded) {
  pw::sandbox::Options options;
  options.rate_limit_requests = 40;
  options.rate_limit_window = std::chrono::seconds(3);
  TenantsFixture f(options);
  f.prepare_account();
  f.tenants(3, 30);
  f.sandbox.server.set_faults("latency=20ms");
  f.sandbox.client.del("/__sandbox/requests");
  // About 110 requests through the REST API, nearly three windows of 40;
  // the client keeps its own default budget and learns the server's from
  // its answers.
  const auto started = std::chrono::steady_clock::now();
  auto r = f.deploy();
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.integer("ok") == 3);
  BOOST_TEST(f.throttled() == 0u, r.log());
  const auto http = of_type(r, "http");
  BOOST_TEST(http.size() > 80u);
  for (const auto& e : http) BOOST_TEST(e.at("status").to_number<int>() != 429);
  BOOST_TEST(!of_type(r, "waiting").empty(), r.log());
  // Two waits for a window at most, and the requests themselves.
  BOOST_TEST((took < std::chrono::seconds(12)));
}
