#include <boost/test/unit_test.hpp>

#include "permission_probe.hpp"

#include <pipewright/cloudflare/policies.hpp>

#include <stdexcept>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;

namespace {
std::vector<cf::ResolvedGroup> required_resolved() {
  std::vector<cf::ResolvedGroup> out;
  for (const auto* g : cf::required_groups()) out.push_back({std::string(g->name), std::string(g->id), g->scope});
  return out;
}
cf::ApiResult answer(int status, const char* body) {
  pipewright::Response r;
  r.status = status;
  r.body = body;
  r.outcome = status ? "ok" : "unknown";
  return cf::decode(r);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(token_policies)

BOOST_AUTO_TEST_CASE(builds_one_account_and_one_zone_policy_for_the_eight_groups) {
  const auto policies = cf::build_policies(required_resolved(), {"acc1", "zone1", ""});
  BOOST_REQUIRE_EQUAL(policies.size(), 2u);
  const auto& account = policies[0].as_object();
  BOOST_TEST(account.at("effect").as_string() == "allow");
  BOOST_TEST(account.at("resources").as_object().at("com.cloudflare.api.account.acc1").as_string() == "*");
  BOOST_TEST(account.at("permission_groups").as_array().size() == 4u);
  const auto& zone = policies[1].as_object();
  BOOST_TEST(zone.at("resources").as_object().at("com.cloudflare.api.account.zone.zone1").as_string() == "*");
  BOOST_TEST(zone.at("permission_groups").as_array().size() == 4u);
  BOOST_TEST(zone.at("permission_groups").as_array()[0].as_object().at("id").as_string() ==
             "28f4b596e7d643029c524985477ae49a");
}

BOOST_AUTO_TEST_CASE(user_and_bucket_groups_get_their_own_resources) {
  const auto* tokens = cf::find_group("API Tokens Read");
  const auto* items = cf::find_group("Workers R2 Storage Bucket Item Write");
  const auto policies = cf::build_policies({{std::string(tokens->name), std::string(tokens->id), tokens->scope},
                                            {std::string(items->name), std::string(items->id), items->scope}},
                                           {"acc1", "", "user7"});
  BOOST_REQUIRE_EQUAL(policies.size(), 2u);
  BOOST_TEST(policies[0].as_object().at("resources").as_object().contains("com.cloudflare.api.user.user7"));
  const auto& nested = policies[1].as_object().at("resources").as_object().at("com.cloudflare.api.account.acc1");
  BOOST_TEST(nested.as_object().at("com.cloudflare.edge.r2.bucket.*").as_string() == "*");
}

BOOST_AUTO_TEST_CASE(a_missing_scope_id_is_an_error) {
  BOOST_CHECK_THROW(cf::build_policies(required_resolved(), {"acc1", "", ""}), std::invalid_argument);
  const auto* tokens = cf::find_group("API Tokens Write");
  BOOST_CHECK_THROW(cf::build_policies({{std::string(tokens->name), std::string(tokens->id), tokens->scope}}, {"a", "z", ""}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(reads_granted_groups_back_with_wildcards_and_deny) {
  auto policies = cf::build_policies(required_resolved(), {"acc1", "zone1", ""});
  auto granted = cf::granted_group_ids(policies, {"acc1", "zone1", ""});
  BOOST_TEST(granted.size() == 8u);
  BOOST_TEST(cf::granted_group_ids(policies, {"acc2", "zone2", ""}).empty());

  auto wildcard = json::parse(R"([
    {"effect":"allow","resources":{"com.cloudflare.api.account.acc1":{"com.cloudflare.api.account.zone.*":"*"}},
     "permission_groups":[{"id":"c8fed203ed3043cba015a93ad1616f1f","name":"Zone Read"}]},
    {"effect":"allow","resources":{"com.cloudflare.api.account.*":"*"},
     "permission_groups":[{"id":"c1fde68c7bcc44588cbb6ddbc16d6480"},{"id":"1a71c399035b4950a1bd1466bbe4f420"}]},
    {"effect":"deny","resources":{"com.cloudflare.api.account.acc1":"*"},
     "permission_groups":[{"id":"1a71c399035b4950a1bd1466bbe4f420"}]}])").as_array();
  granted = cf::granted_group_ids(wildcard, {"acc1", "zone1", ""});
  BOOST_TEST(granted.contains("c8fed203ed3043cba015a93ad1616f1f"));
  BOOST_TEST(granted.contains("c1fde68c7bcc44588cbb6ddbc16d6480"));
  BOOST_TEST(!granted.contains("1a71c399035b4950a1bd1466bbe4f420"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(probe_readings)

BOOST_AUTO_TEST_CASE(validation_error_to_an_invalid_write_proves_the_permission) {
  auto reading = cf::read_probe(answer(400, R"({"success":false,"errors":[{"code":10005,"message":"bad name"}]})"),
                                cf::ProbeKind::invalid_write, "POST /accounts/a/r2/buckets");
  BOOST_TEST((reading.verdict == cf::Verdict::passed));
  BOOST_TEST(reading.detail.find("POST /accounts/a/r2/buckets answered 400 Bad Request") == 0u);
}

BOOST_AUTO_TEST_CASE(authentication_errors_mean_missing) {
  for (const char* body : {R"({"success":false,"errors":[{"code":10000,"message":"Authentication error"}]})",
                           R"({"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}]})"}) {
    for (auto kind : {cf::ProbeKind::read, cf::ProbeKind::invalid_write, cf::ProbeKind::create})
      BOOST_TEST((cf::read_probe(answer(403, body), kind, "X /y").verdict == cf::Verdict::missing));
  }
}

BOOST_AUTO_TEST_CASE(server_errors_and_lost_answers_are_inconclusive) {
  BOOST_TEST((cf::read_probe(answer(500, "{}"), cf::ProbeKind::read, "GET /x").verdict == cf::Verdict::inconclusive));
  BOOST_TEST((cf::read_probe(answer(0, ""), cf::ProbeKind::invalid_write, "POST /x").verdict == cf::Verdict::inconclusive));
  BOOST_TEST((cf::read_probe(answer(404, "{}"), cf::ProbeKind::read, "GET /x").verdict == cf::Verdict::inconclusive));
}

BOOST_AUTO_TEST_CASE(other_refusals_after_the_permission_check_still_prove_a_create) {
  auto quota = answer(403, R"({"success":false,"errors":[{"code":1404,"message":"No quota"}]})");
  BOOST_TEST((cf::read_probe(quota, cf::ProbeKind::create, "POST /z").verdict == cf::Verdict::passed));
  BOOST_TEST((cf::read_probe(answer(200, R"({"success":true,"result":[]})"), cf::ProbeKind::read, "GET /x").verdict ==
              cf::Verdict::passed));
}

BOOST_AUTO_TEST_SUITE_END()
