// Permission and tenancy rules on the product endpoints (docs/cloudflare-api.md
// 2.2, docs/sandbox.md "Permission evaluation"): a missing group or a
// foreign account/zone is 403 10000, and nothing is written.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

const std::string other_account = TwoTenants::other_account;
const std::string other_zone = TwoTenants::other_zone;
const std::string other_zone_name = TwoTenants::other_zone_name;

json::object hostname_request(const std::string& hostname) {
  return json::object{{"hostname", hostname}, {"ssl", json::object{{"method", "http"}, {"type", "dv"}}}};
}

void expect_10000(const HttpResponse& r) {
  BOOST_TEST(r.status == 403u, r.body);
  BOOST_TEST(r.error_code() == 10000, r.body);
  BOOST_TEST(!r.success());
}


}  // namespace

BOOST_AUTO_TEST_SUITE(product_access)

BOOST_AUTO_TEST_CASE(zone_read_token_reads_its_zone_and_is_refused_on_product_writes) {
  SandboxFixture f;
  const auto& id = f.id();
  BOOST_TEST_REQUIRE(f.client.post(r2(id), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
  auto t = f.make_token({policy({"Zone Read"}, zone_key(id.zone_id))});
  auto auth = bearer(t.value);

  auto zone = f.client.get("/zones/" + id.zone_id, auth);
  BOOST_TEST(zone.status == 200u);
  BOOST_TEST(zone.result().at("id").as_string() == id.zone_id);

  BOOST_TEST_CONTEXT("R2 bucket create") {
    expect_10000(f.client.post(r2(id), json::object{{"name", "new-bucket"}}, auth));
  }
  BOOST_TEST_CONTEXT("R2 object PUT") {
    Headers h = auth;
    h.emplace_back("Content-Type", "text/plain");
    expect_10000(f.client.request("PUT", r2(id, "/site-assets/objects/hello.txt"), h, std::string("hello")));
  }
  BOOST_TEST_CONTEXT("Workers script PUT") {
    expect_10000(upload(f.client, scripts(id, "/site-worker"),
                        module_worker(json::object{{"main_module", "index.js"}, {"compatibility_date", "2026-01-15"}}), auth));
  }
  BOOST_TEST_CONTEXT("Workers route POST") {
    expect_10000(f.client.post(zone_path(id, "/workers/routes"),
                               json::object{{"pattern", id.zone_name + "/*"}, {"script", "site-worker"}}, auth));
  }
  BOOST_TEST_CONTEXT("custom hostname POST") {
    expect_10000(f.client.post(zone_path(id, "/custom_hostnames"), hostname_request("shop.customer-site.net"), auth));
  }
  BOOST_TEST_CONTEXT("custom hostname GET") { expect_10000(f.client.get(zone_path(id, "/custom_hostnames"), auth)); }

  // Nothing was written by the refused requests.
  BOOST_TEST(f.client.get(r2(id), f.global()).result().at("buckets").as_array().size() == 1u);
  BOOST_TEST(f.client.get(r2(id, "/site-assets/objects"), f.global()).result().as_array().empty());
  BOOST_TEST(f.client.get(scripts(id), f.global()).result().as_array().empty());
  BOOST_TEST(f.client.get(zone_path(id, "/workers/routes"), f.global()).result().as_array().empty());
  BOOST_TEST(f.client.get(zone_path(id, "/custom_hostnames"), f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(foreign_account_and_zone_products_are_10000_for_the_demo_key_and_account_token) {
  TwoTenants tenants;
  auto& f = *tenants.f;
  const auto& id = f.id();
  const std::string account = "/accounts/" + other_account;
  const std::string zone = "/zones/" + other_zone;
  const auto module = module_worker(json::object{{"main_module", "index.js"}, {"compatibility_date", "2026-01-15"}});

  // The other tenant's own data, made with its own key: the refusals below
  // are about tenancy, not about missing resources.
  BOOST_TEST_REQUIRE(f.client.post(account + "/r2/buckets", json::object{{"name", "foreign-assets"}}, tenants.other()).status == 200u);
  BOOST_TEST_REQUIRE(upload(f.client, account + "/workers/scripts/foreign-worker", module, tenants.other()).status == 200u);
  auto route = f.client.post(zone + "/workers/routes", json::object{{"pattern", other_zone_name + "/*"}, {"script", "foreign-worker"}},
                             tenants.other());
  BOOST_TEST_REQUIRE(route.status == 200u, route.body);
  const std::string route_id(route.result().at("id").as_string());
  auto hostname = f.client.post(zone + "/custom_hostnames", hostname_request("shop.customer-site.net"), tenants.other());
  BOOST_TEST_REQUIRE(hostname.status == 201u, hostname.body);
  const std::string hostname_id(hostname.result().at("id").as_string());

  // An account-owned token of the demo account with every product group on it.
  auto account_token = f.make_token(
      {policy({"Workers R2 Storage Write", "Workers Scripts Write"}, account_key(id.account_id)),
       policy({"Workers Routes Write", "SSL and Certificates Write"},
              json::object{{account_key(id.account_id), json::object{{"com.cloudflare.api.account.zone.*", "*"}}}})},
      json::object{{"account_id", id.account_id}});
  // It works on its own account and zone...
  BOOST_TEST_REQUIRE(f.client.get(r2(id), bearer(account_token.value)).status == 200u);
  BOOST_TEST_REQUIRE(f.client.get(scripts(id), bearer(account_token.value)).status == 200u);
  BOOST_TEST_REQUIRE(f.client.get(zone_path(id, "/workers/routes"), bearer(account_token.value)).status == 200u);
  BOOST_TEST_REQUIRE(f.client.get(zone_path(id, "/custom_hostnames"), bearer(account_token.value)).status == 200u);

  // ...and neither it nor the demo user's global key reaches the other tenant.
  for (const auto& [who, auth] : {std::pair<std::string, Headers>{"demo global key", f.global()},
                                  std::pair<std::string, Headers>{"demo account token", bearer(account_token.value)}}) {
    BOOST_TEST_CONTEXT(who) {
      BOOST_TEST_CONTEXT("R2 bucket list") { expect_10000(f.client.get(account + "/r2/buckets", auth)); }
      BOOST_TEST_CONTEXT("R2 bucket create") {
        expect_10000(f.client.post(account + "/r2/buckets", json::object{{"name", "intruder"}}, auth));
      }
      BOOST_TEST_CONTEXT("R2 bucket get") { expect_10000(f.client.get(account + "/r2/buckets/foreign-assets", auth)); }
      BOOST_TEST_CONTEXT("R2 object PUT") {
        expect_10000(f.client.request("PUT", account + "/r2/buckets/foreign-assets/objects/x.txt", auth, std::string("x")));
      }
      BOOST_TEST_CONTEXT("Workers script list") { expect_10000(f.client.get(account + "/workers/scripts", auth)); }
      BOOST_TEST_CONTEXT("Workers script download") {
        expect_10000(f.client.get(account + "/workers/scripts/foreign-worker", auth));
      }
      BOOST_TEST_CONTEXT("Workers script PUT") {
        expect_10000(upload(f.client, account + "/workers/scripts/foreign-worker", module, auth));
      }
      BOOST_TEST_CONTEXT("zone route list") { expect_10000(f.client.get(zone + "/workers/routes", auth)); }
      BOOST_TEST_CONTEXT("zone route get") { expect_10000(f.client.get(zone + "/workers/routes/" + route_id, auth)); }
      BOOST_TEST_CONTEXT("zone route create") {
        expect_10000(f.client.post(zone + "/workers/routes", json::object{{"pattern", "shop." + other_zone_name + "/*"}}, auth));
      }
      BOOST_TEST_CONTEXT("custom hostname list") { expect_10000(f.client.get(zone + "/custom_hostnames", auth)); }
      BOOST_TEST_CONTEXT("custom hostname get") {
        expect_10000(f.client.get(zone + "/custom_hostnames/" + hostname_id, auth));
      }
      BOOST_TEST_CONTEXT("custom hostname create") {
        expect_10000(f.client.post(zone + "/custom_hostnames", hostname_request("www.customer-site.net"), auth));
      }
    }
  }

  // The other tenant's data is unchanged.
  BOOST_TEST(f.client.get(account + "/r2/buckets", tenants.other()).result().at("buckets").as_array().size() == 1u);
  BOOST_TEST(f.client.get(account + "/r2/buckets/foreign-assets/objects", tenants.other()).result().as_array().empty());
  BOOST_TEST(f.client.get(account + "/workers/scripts/foreign-worker", tenants.other()).body == module[1].body);
  BOOST_TEST(f.client.get(zone + "/workers/routes", tenants.other()).result().as_array().size() == 1u);
  BOOST_TEST(f.client.get(zone + "/custom_hostnames", tenants.other()).result().as_array().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
