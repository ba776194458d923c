// /user, /accounts, /memberships, /zones and the permission rules of 3.3 / 5.1.
#include <boost/test/unit_test.hpp>
#include <fstream>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {
const std::string other_account = TwoTenants::other_account;
const std::string other_zone = TwoTenants::other_zone;
}  // namespace

BOOST_AUTO_TEST_SUITE(identity)

BOOST_AUTO_TEST_CASE(global_key_sees_user_accounts_memberships_zones) {
  SandboxFixture f;
  auto u = f.client.get("/user", f.global());
  BOOST_TEST(u.status == 200u);
  BOOST_TEST(u.result().at("email").as_string() == f.id().email);
  BOOST_TEST(u.result().at("id").as_string() == f.id().user_id);

  auto a = f.client.get("/accounts", f.global());
  BOOST_REQUIRE(a.result().as_array().size() == 1u);
  BOOST_TEST(a.result().at(0).at("id").as_string() == f.id().account_id);
  BOOST_TEST(a.result().at(0).at("type").as_string() == "standard");
  BOOST_TEST(a.json.at("result_info").at("per_page").as_int64() == 20);
  BOOST_TEST(
      f.client.get("/accounts/" + f.id().account_id, f.global()).result().at("name").as_string() ==
      f.id().account_name);

  auto m = f.client.get("/memberships", f.global());
  BOOST_TEST(m.result().at(0).at("account").at("id").as_string() == f.id().account_id);
  BOOST_TEST(m.result().at(0).at("status").as_string() == "accepted");

  auto z = f.client.get("/zones?name=" + f.id().zone_name + "&account.id=" + f.id().account_id,
                        f.global());
  BOOST_REQUIRE(z.result().as_array().size() == 1u);
  BOOST_TEST(z.result().at(0).at("id").as_string() == f.id().zone_id);
  BOOST_TEST(z.result().at(0).at("account").at("id").as_string() == f.id().account_id);
  BOOST_TEST(f.client.get("/zones?name=nope.net", f.global()).result().as_array().empty());
  BOOST_TEST(f.client.get("/zones?status=pending", f.global()).result().as_array().empty());
  BOOST_TEST(f.client.get("/zones?page=2", f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(zone_read_token_can_get_its_zone_only) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  auto z = f.client.get("/zones/" + f.id().zone_id, bearer(t.value));
  BOOST_TEST(z.status == 200u);
  BOOST_TEST(z.result().at("name").as_string() == f.id().zone_name);
  BOOST_TEST(f.client.get("/zones", bearer(t.value)).result().as_array().size() == 1u);
  // No account group: /accounts is filtered to nothing, /accounts/{id} refused.
  auto a = f.client.get("/accounts", bearer(t.value));
  BOOST_TEST(a.status == 200u);
  BOOST_TEST(a.result().as_array().empty());
  auto ga = f.client.get("/accounts/" + f.id().account_id, bearer(t.value));
  BOOST_TEST(ga.status == 403u);
  BOOST_TEST(ga.error_code() == 10000);
  BOOST_TEST(ga.error_message() == "Authentication error");
}

BOOST_AUTO_TEST_CASE(missing_permission_is_10000_and_user_level_is_9109) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  auto z = f.client.get("/zones/" + f.id().zone_id, bearer(t.value));
  BOOST_TEST(z.status == 403u);
  BOOST_TEST(z.error_code() == 10000);
  auto u = f.client.get("/user", bearer(t.value));
  BOOST_TEST(u.status == 403u);
  BOOST_TEST(u.error_code() == 9109);
  BOOST_TEST(u.error_message() == "Unauthorized to access requested resource");
  BOOST_TEST(f.client.get("/memberships", bearer(t.value)).error_code() == 9109);
  BOOST_TEST(f.client.get("/accounts/" + f.id().account_id, bearer(t.value)).status == 200u);
  BOOST_TEST(f.client.get("/accounts", bearer(t.value)).result().as_array().size() == 1u);

  auto details =
      f.make_token({policy({"User Details Read", "Memberships Read"}, user_key(f.id().user_id))});
  BOOST_TEST(f.client.get("/user", bearer(details.value)).status == 200u);
  BOOST_TEST(f.client.get("/memberships", bearer(details.value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(foreign_or_unknown_account_and_zone_are_10000) {
  TwoTenants t;
  auto& f = *t.f;
  for (const auto& path :
       {"/accounts/" + other_account, "/zones/" + other_zone, "/accounts/" + std::string(32, 'a'),
        "/zones/" + std::string(32, 'b'), "/accounts/" + other_account + "/tokens"}) {
    BOOST_TEST_CONTEXT(path) {
      auto r = f.client.get(path, f.global());
      BOOST_TEST(r.status == 403u);
      BOOST_TEST(r.error_code() == 10000);
    }
  }
  BOOST_TEST(f.client.get("/accounts", f.global()).result().as_array().size() == 1u);
  BOOST_TEST(f.client.get("/zones", f.global()).result().as_array().size() == 1u);
  // A wildcard token does not reach another user's zone either.
  auto all = f.make_token({policy({"Zone Read"}, "com.cloudflare.api.account.zone.*")});
  BOOST_TEST(f.client.get("/zones/" + other_zone, bearer(all.value)).error_code() == 10000);
  BOOST_TEST(f.client.get("/zones/" + f.id().zone_id, bearer(all.value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(policy_evaluation_rules) {
  SandboxFixture f;
  const auto& id = f.id();
  auto zone_path = "/zones/" + id.zone_id;
  // A bare account key does not grant zone groups.
  auto bare = f.make_token({policy({"Zone Read"}, account_key(id.account_id))});
  BOOST_TEST(f.client.get(zone_path, bearer(bare.value)).error_code() == 10000);
  // "All zones of one account" does.
  auto nested = f.make_token({policy(
      {"Zone Read"}, json::object{{account_key(id.account_id),
                                   json::object{{"com.cloudflare.api.account.zone.*", "*"}}}})});
  BOOST_TEST(f.client.get(zone_path, bearer(nested.value)).status == 200u);
  // Explicit deny wins over allow.
  auto denied = f.make_token({policy({"Zone Read"}, "com.cloudflare.api.account.zone.*"),
                              policy({"Zone Read"}, zone_key(id.zone_id), "deny")});
  BOOST_TEST(f.client.get(zone_path, bearer(denied.value)).error_code() == 10000);
  // Account wildcard key grants account groups on the user's accounts.
  auto wildcard = f.make_token({policy({"Account Settings Read"}, "com.cloudflare.api.account.*")});
  BOOST_TEST(f.client.get("/accounts/" + id.account_id, bearer(wildcard.value)).status == 200u);
  // A zone group under a zone key grants nothing on the account.
  auto zone_only = f.make_token({policy({"DNS Read"}, zone_key(id.zone_id))});
  BOOST_TEST(f.client.get("/accounts/" + id.account_id, bearer(zone_only.value)).error_code() ==
             10000);
  BOOST_TEST(f.client.get(zone_path, bearer(zone_only.value)).status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
