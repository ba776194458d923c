// The ready pipelines (conf/create-test-deploy.json and the files it
// composes) run by the real binary against a sandbox on port 0.
#define BOOST_TEST_MODULE cloudflare_deploy_pipelines
#include "deploy_fixture.hpp"

using namespace pw::deploy_test;

namespace {

const std::map<std::string, std::string> flow_inputs{{"site", "site"}, {"wait_active", "true"}};
const std::map<std::string, std::string> tenant_inputs{
    {"site", "site"}, {"tenant", "northwind"}, {"domain", "shop.northwind-bakery.net"}};

std::string token_in(const fs::path& env_file) {
  std::istringstream lines(read_file(env_file));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("CLOUDFLARE_API_TOKEN=", 0) == 0) return line.substr(std::string("CLOUDFLARE_API_TOKEN=").size());
  return {};
}

std::string all_messages(const Run& r) {
  std::string out;
  for (const auto& e : r.events)
    if (auto* m = e.if_contains("message"); m && m->is_string()) out += std::string(m->as_string()) + "\n";
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(create_test_deploy, DeployFixture)

BOOST_AUTO_TEST_CASE(runs_the_whole_flow_then_creates_and_uploads_nothing) {
  auto first = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto files = static_cast<std::int64_t>(site_files());
  BOOST_TEST(first.integer("permissions_passed") == 8);
  BOOST_TEST(first.integer("permissions_total") == 8);
  BOOST_TEST(all_messages(first).find("8/8") != std::string::npos, first.log());
  BOOST_TEST(first.flag("bucket_created"));
  BOOST_TEST(first.flag("worker_uploaded"));
  BOOST_TEST(first.flag("route_changed"));
  BOOST_TEST(first.flag("hostname_created"));
  BOOST_TEST(first.text("hostname_status") == "active");
  BOOST_TEST(first.integer("uploaded") == files);
  BOOST_TEST(first.integer("verified") == files);

  // The token is in .env and nowhere in the output.
  const auto token = token_in(work.path() / ".env");
  BOOST_REQUIRE(token.size() > 20u);
  BOOST_TEST(first.process.out.find(token) == std::string::npos);
  BOOST_TEST(first.process.err.find(token) == std::string::npos);

  // What the tenant's visitors will be served.
  auto stored = objects("pipewright-sites", "northwind/");
  BOOST_TEST(stored.size() == site_files());
  auto mapping = sandbox.client.get(objects_path("pipewright-sites") + "/_hostnames/shop.northwind-bakery.net", global());
  BOOST_TEST(json::parse(mapping.body).at("tenant") == "northwind");
  auto routes = sandbox.client.get("/zones/" + id().zone_id + "/workers/routes", global());
  BOOST_TEST(routes.result().as_array().size() == 1u);

  auto second = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.integer("permissions_passed") == 8);
  BOOST_TEST(!second.flag("bucket_created"));
  BOOST_TEST(!second.flag("worker_uploaded"));
  BOOST_TEST(!second.flag("route_changed"));
  BOOST_TEST(!second.flag("hostname_created"));
  BOOST_TEST(second.integer("uploaded") == 0);
  BOOST_TEST(second.integer("skipped") == files);
  BOOST_TEST(second.integer("verified") == files);
}

BOOST_AUTO_TEST_CASE(deploy_pipelines_alone_use_the_token_saved_in_env) {
  BOOST_REQUIRE(run(conf_pipeline("create-test-deploy.json"), flow_inputs).exit_code() == 0);

  auto infra = run(conf_pipeline("deploy-infrastructure.json"));
  BOOST_REQUIRE_MESSAGE(infra.exit_code() == 0, infra.log());
  BOOST_TEST(!infra.flag("bucket_created"));
  BOOST_TEST(!infra.flag("worker_uploaded"));
  BOOST_TEST(!infra.flag("route_changed"));

  write_file(site / "index.html", "<h1>new home page</h1>\n");
  auto tenant = run(conf_pipeline("deploy-tenant.json"), tenant_inputs);
  BOOST_REQUIRE_MESSAGE(tenant.exit_code() == 0, tenant.log());
  BOOST_TEST(tenant.integer("uploaded") == 1);
  BOOST_TEST(tenant.integer("skipped") == static_cast<std::int64_t>(site_files()) - 1);
  BOOST_TEST(tenant.integer("verified") == static_cast<std::int64_t>(site_files()));
  auto home = sandbox.client.get(objects_path("pipewright-sites") + "/northwind/index.html", global());
  BOOST_TEST(home.body == "<h1>new home page</h1>\n");
}

BOOST_AUTO_TEST_CASE(a_second_tenant_shares_the_bucket_under_its_own_prefix) {
  BOOST_REQUIRE(run(conf_pipeline("create-test-deploy.json"), flow_inputs).exit_code() == 0);
  auto other = run(conf_pipeline("deploy-tenant.json"),
                   {{"site", "site"}, {"tenant", "globex"}, {"domain", "www.globex-shop.net"}});
  BOOST_REQUIRE_MESSAGE(other.exit_code() == 0, other.log());
  BOOST_TEST(other.integer("uploaded") == static_cast<std::int64_t>(site_files()));
  BOOST_TEST(objects("pipewright-sites", "globex/").size() == site_files());
  BOOST_TEST(objects("pipewright-sites", "northwind/").size() == site_files());
}

BOOST_AUTO_TEST_CASE(a_run_failing_midway_leaves_env_untouched) {
  const std::string before = "# mine\nKEEP=1\nCLOUDFLARE_API_TOKEN=previous-value\n";
  write_file(work.path() / ".env", before);
  // The token gets created, then its SSL and Certificates test cannot get an
  // answer: the run fails between creating the token and saving it.
  sandbox.server.set_faults("500=1,methods=GET,path=/client/v4/zones/*/custom_hostnames*");
  auto r = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 1, r.log());
  BOOST_TEST(read_file(work.path() / ".env") == before);
  auto buckets = sandbox.client.get("/accounts/" + id().account_id + "/r2/buckets", global());
  BOOST_TEST(buckets.result().at("buckets").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
