// Every write of the flow meets each kind of failure once, at its own
// point: refused before handling (429), failed after it was sent (500, or
// the connection dropped before handling), and lost after it was committed
// (the connection dropped after handling). The run must finish, and leave
// exactly one of what it creates.
#define BOOST_TEST_MODULE cloudflare_fault_points
#include "deploy_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>

using namespace pw::deploy_test;

namespace {

const char* const kinds[] = {"429", "500", "drop_before", "drop_after"};

// One fresh sandbox per case, with the token made beforehand when the
// case is not about the token.
struct FaultCase : DeployFixture {
  // Injects `kind` into the first request of `methods` on `path` (a glob
  // under `under`: /client/v4 for the REST API, "" for the S3 door), runs
  // `pipeline`, and checks the run succeeded after the fault was really met.
  Run run_with_fault(const std::string& kind, const std::string& methods, const std::string& path,
                     const fs::path& pipeline, const std::map<std::string, std::string>& inputs,
                     const std::string& under = "/client/v4") {
    sandbox.client.del("/__sandbox/requests");
    sandbox.server.set_faults(kind + "=1,count=1,methods=" + methods + ",path=" + under + path + ",seed=1");
    Run r = run(pipeline, inputs);
    sandbox.server.set_faults("");
    BOOST_TEST(r.exit_code() == 0, kind << " on " << methods << " " << path << ":\n" << r.log());
    auto log = sandbox.client.get("/__sandbox/requests");
    std::size_t met = 0;
    for (const auto& entry : log.result().as_array())
      if (entry.at("fault").as_string() == kind) ++met;
    BOOST_TEST(met == 1u, kind << " was injected " << met << " times on " << path);
    return r;
  }

  void make_token() {
    Run r = run(conf_pipeline("create-token.json"));
    BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  }

  void deploy_infrastructure() {
    Run r = run(conf_pipeline("deploy-infrastructure.json"));
    BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  }

  std::map<std::string, std::string> tenant_inputs() const {
    return {{"site", "site"}, {"tenant", "northwind"}, {"domain", "shop.northwind-bakery.net"}};
  }

  std::size_t count_in(const std::string& path, const std::string& field, const std::string& value) {
    auto r = sandbox.client.get(path, global());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    const auto& result = r.result();
    const auto& items = result.is_object() ? result.at("buckets").as_array() : result.as_array();
    std::size_t n = 0;
    for (const auto& item : items)
      if (item.at(field).as_string() == value) ++n;
    return n;
  }

  std::string account() const { return "/accounts/" + id().account_id; }
  std::string zone() const { return "/zones/" + id().zone_id; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(creating_the_token_meets_each_fault_and_makes_one_token) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.run_with_fault(kind, "POST", "/user/tokens", conf_pipeline("create-token.json"), {});
    BOOST_TEST(c.tokens_named("pipewright").size() == 1u, kind);
    BOOST_TEST(token_in(c.work.path() / ".env").size() > 20u, kind);
  }
}

BOOST_AUTO_TEST_CASE(the_permission_probes_meet_each_fault_and_still_pass) {
  for (const std::string kind : kinds) {
    FaultCase c;
    Run r = c.run_with_fault(kind, "POST", "/zones/*/workers/routes", conf_pipeline("create-token.json"), {});
    BOOST_TEST(r.integer("passed") == 8, kind << "\n" << r.log());
    // A probe never leaves anything behind.
    auto routes = c.sandbox.client.get(c.zone() + "/workers/routes", c.global());
    BOOST_TEST(routes.result().as_array().empty(), kind << ": " << routes.body);
  }
}

BOOST_AUTO_TEST_CASE(creating_the_bucket_meets_each_fault_and_makes_one_bucket) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.make_token();
    auto r = c.run_with_fault(kind, "POST", "/accounts/*/r2/buckets", conf_pipeline("deploy-infrastructure.json"), {});
    BOOST_TEST(c.count_in(c.account() + "/r2/buckets", "name", "pipewright-sites") == 1u, kind);
    // Made by this run even when the answer to its create was lost.
    BOOST_TEST(r.flag("bucket_created"), kind);
  }
}

BOOST_AUTO_TEST_CASE(uploading_the_worker_meets_each_fault_and_makes_one_script) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.make_token();
    c.run_with_fault(kind, "PUT", "/accounts/*/workers/scripts/pipewright-site-router",
                     conf_pipeline("deploy-infrastructure.json"), {});
    BOOST_TEST(c.count_in(c.account() + "/workers/scripts", "id", "pipewright-site-router") == 1u, kind);
  }
}

BOOST_AUTO_TEST_CASE(creating_the_route_meets_each_fault_and_makes_one_route) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.make_token();
    auto r = c.run_with_fault(kind, "POST", "/zones/*/workers/routes", conf_pipeline("deploy-infrastructure.json"), {});
    BOOST_TEST(c.count_in(c.zone() + "/workers/routes", "pattern", "*/*") == 1u, kind);
    // Made by this run even when the answer to its create was lost.
    BOOST_TEST(r.flag("route_changed"), kind);
  }
}

BOOST_AUTO_TEST_CASE(creating_the_custom_hostname_meets_each_fault_and_makes_one_hostname) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.make_token();
    c.deploy_infrastructure();
    c.run_with_fault(kind, "POST", "/zones/*/custom_hostnames", conf_pipeline("deploy-tenant.json"),
                     c.tenant_inputs());
    BOOST_TEST(c.count_in(c.zone() + "/custom_hostnames", "hostname", "shop.northwind-bakery.net") == 1u, kind);
  }
}

BOOST_AUTO_TEST_CASE(a_create_whose_resend_fails_too_is_still_made_once) {
  FaultCase c;
  c.make_token();
  c.deploy_infrastructure();
  c.sandbox.server.set_faults("500=1,count=2,methods=POST,path=/client/v4/zones/*/custom_hostnames,seed=1");
  Run r = c.run(conf_pipeline("deploy-tenant.json"), c.tenant_inputs());
  c.sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 0, r.log());
  BOOST_TEST(c.count_in(c.zone() + "/custom_hostnames", "hostname", "shop.northwind-bakery.net") == 1u);
}

BOOST_AUTO_TEST_CASE(uploading_the_site_and_its_mapping_meets_each_fault) {
  for (const std::string kind : kinds) {
    for (const std::string key : {"northwind/index.html", "_hostnames/shop.northwind-bakery.net"}) {
      FaultCase c;
      c.make_token();
      c.deploy_infrastructure();
      // The site goes through the REST API here; through S3 below.
      auto inputs = c.tenant_inputs();
      inputs["transport"] = "api";
      c.run_with_fault(kind, "PUT", "/accounts/*/r2/buckets/pipewright-sites/objects/" + key,
                       conf_pipeline("deploy-tenant.json"), inputs);
      auto stored = c.objects("pipewright-sites", "");
      BOOST_TEST(stored.count(key) == 1u, kind << " " << key);
      BOOST_TEST(stored.size() == c.site_files() + 1, kind << " " << key);
    }
  }
}

BOOST_AUTO_TEST_CASE(uploading_the_site_through_s3_meets_each_fault) {
  for (const std::string kind : kinds) {
    FaultCase c;
    c.make_token();
    c.deploy_infrastructure();
    Run r = c.run_with_fault(kind, "PUT", "/pipewright-sites/northwind/index.html", conf_pipeline("deploy-tenant.json"),
                             c.tenant_inputs(), "");
    BOOST_TEST(r.text("transport") == "s3");
    auto stored = c.objects("pipewright-sites", "");
    BOOST_TEST(stored.count("northwind/index.html") == 1u, kind);
    BOOST_TEST(stored.size() == c.site_files() + 1, kind);
  }
}

BOOST_AUTO_TEST_CASE(nothing_listening_at_the_api_base_is_said_within_a_second_or_two) {
  FaultCase c;
  auto env = c.environment();
  // A port nobody listens on: bind one, and close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  env["CLOUDFLARE_API_BASE_URL"] = "http://127.0.0.1:" + std::to_string(port) + "/client/v4";
  const auto start = std::chrono::steady_clock::now();
  auto r = c.run_process(conf_pipeline("create-token.json"), {}, {}, &env);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.exit_code == 1, r.out << r.err);
  BOOST_TEST((took < std::chrono::seconds(4)));  // the old backoff took 7.5 s
  const std::string all = r.out + r.err;
  BOOST_TEST(all.find("connection refused") != std::string::npos, all);
  BOOST_TEST(all.find("CLOUDFLARE_API_BASE_URL") != std::string::npos, all);
  BOOST_TEST(all.find(std::to_string(port)) != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(an_api_base_without_client_v4_gets_a_hint) {
  FaultCase c;
  auto env = c.environment();
  env["CLOUDFLARE_API_BASE_URL"] = c.sandbox.server.base_url().substr(
      0, c.sandbox.server.base_url().size() - std::string("/client/v4").size());
  auto r = c.run_process(conf_pipeline("create-token.json"), {}, {}, &env);
  BOOST_TEST(r.exit_code == 1, r.out << r.err);
  const std::string all = r.out + r.err;
  BOOST_TEST(all.find("does not end in /client/v4") != std::string::npos, all);
}
