// User and account API tokens, docs/cloudflare-api.md section 3.
#include <boost/test/unit_test.hpp>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

constexpr const char* zone_read_id = "c8fed203ed3043cba015a93ad1616f1f";
constexpr const char* dns_write_id = "4755a26eedb94da69e1066d98aa820be";
constexpr const char* tokens_write_id = "686d18d5ac6c441c867cbf6771e58a0a";

json::object create_body(const SandboxFixture& f, const std::string& name = "site-deploy") {
  return json::object{
      {"name", name},
      {"policies", json::array{json::object{
                       {"effect", "allow"},
                       {"resources", json::object{{zone_key(f.id().zone_id), "*"}}},
                       {"permission_groups", json::array{json::object{{"id", zone_read_id}},
                                                         json::object{{"id", dns_write_id}}}}}}},
      {"condition", json::object{{"request.ip", json::object{{"in", json::array{"127.0.0.0/8"}}}}}},
      {"expires_on", "2999-01-01T00:00:00Z"}};
}

bool listed(const HttpResponse& list, const std::string& id) {
  for (const auto& t : list.result().as_array())
    if (t.at("id").as_string() == id) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tokens)

BOOST_AUTO_TEST_CASE(permission_groups_are_served_with_filters) {
  SandboxFixture f;
  auto all = f.client.get("/user/tokens/permission_groups", f.global());
  BOOST_TEST(all.status == 200u);
  BOOST_TEST(all.result().as_array().size() == 23u);
  BOOST_TEST(!all.json.as_object().contains("result_info"));

  auto one = f.client.get("/user/tokens/permission_groups?name=Workers%20R2%20Storage%20Write",
                          f.global());
  BOOST_REQUIRE(one.result().as_array().size() == 1u);
  BOOST_TEST(one.result().at(0).at("id").as_string() == "bf7481a1826f439697cb59a20b22293e");
  BOOST_TEST(one.result().at(0).at("scopes").at(0).as_string() == "com.cloudflare.api.account");

  auto zone = f.client.get("/user/tokens/permission_groups?scope=com.cloudflare.api.account.zone",
                           f.global());
  BOOST_TEST(zone.result().as_array().size() == 8u);
  auto bucket = f.client.get("/user/tokens/permission_groups?scope=com.cloudflare.edge.r2.bucket",
                             f.global());
  BOOST_TEST(bucket.result().as_array().size() == 2u);

  auto reader = f.make_token({policy({"API Tokens Read"}, user_key(f.id().user_id))});
  BOOST_TEST(f.client.get("/user/tokens/permission_groups", bearer(reader.value)).status == 200u);
  auto other = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  auto denied = f.client.get("/user/tokens/permission_groups", bearer(other.value));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 9109);
  BOOST_TEST(
      f.client.get("/accounts/" + f.id().account_id + "/tokens/permission_groups", f.global())
          .status == 200u);
}

BOOST_AUTO_TEST_CASE(create_returns_value_once_and_echoes_policies) {
  SandboxFixture f;
  auto r = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  BOOST_TEST(r.status == 200u);
  const auto& t = r.result().as_object();
  std::string id(t.at("id").as_string()), value(t.at("value").as_string());
  BOOST_TEST(id.size() == 32u);
  BOOST_TEST(value.rfind("cfut_", 0) == 0u);
  BOOST_TEST(value.size() == 53u);
  BOOST_TEST(t.at("status").as_string() == "active");
  BOOST_TEST(t.at("expires_on").as_string() == "2999-01-01T00:00:00Z");
  const auto& p = t.at("policies").at(0);
  BOOST_TEST(p.at("id").as_string().size() == 32u);
  BOOST_TEST(p.at("permission_groups").at(0).at("name").as_string() == "Zone Read");
  BOOST_TEST(t.at("condition").at("request_ip").at("in").at(0).as_string() == "127.0.0.0/8");

  auto got = f.client.get("/user/tokens/" + id, f.global());
  BOOST_TEST(got.status == 200u);
  BOOST_TEST(!got.result().as_object().contains("value"));
  BOOST_TEST(got.body.find(value) == std::string::npos);
  auto list = f.client.get("/user/tokens", f.global());
  BOOST_TEST(listed(list, id));
  BOOST_TEST(list.body.find(value) == std::string::npos);
  BOOST_TEST(list.result().at(0).as_object().contains("value") == false);

  // The new token works, with exactly its groups.
  BOOST_TEST(f.client.get("/zones/" + f.id().zone_id, bearer(value)).status == 200u);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(value)).result().at("id").as_string() ==
             id);
}

BOOST_AUTO_TEST_CASE(create_validates_the_body) {
  SandboxFixture f;
  auto bad = [&](json::object body, std::string_view needle) {
    auto r = f.client.post("/user/tokens", json::value(body), f.global());
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(!r.success());
    BOOST_TEST_CONTEXT(r.body) { BOOST_TEST(r.error_message().find(needle) != std::string::npos); }
  };
  auto body = create_body(f);
  body.erase("name");
  bad(body, "name");
  body = create_body(f, std::string(121, 'n'));
  bad(body, "name");
  body = create_body(f);
  body["policies"] = json::array();
  bad(body, "policies");
  body = create_body(f);
  body["policies"].at(0).as_object()["permission_groups"] =
      json::array{json::object{{"id", std::string(32, 'f')}}};
  bad(body, "permission group");
  body = create_body(f);
  body["policies"].at(0).as_object()["effect"] = "maybe";
  bad(body, "effect");
  body = create_body(f);
  body["policies"].at(0).as_object()["resources"] = json::object{{"com.cloudflare.api.bogus", "*"}};
  bad(body, "resource");
  body = create_body(f);
  body["condition"] =
      json::object{{"request_ip", json::object{{"in", json::array{"300.0.0.0/8"}}}}};
  bad(body, "CIDR");
  body = create_body(f);
  body["expires_on"] = "yesterday";
  bad(body, "expires_on");
  body = create_body(f);
  body["expires_on"] = "2001-01-01T00:00:00Z";
  bad(body, "expires_on");
}

BOOST_AUTO_TEST_CASE(malformed_json_with_a_non_json_content_type_is_6007) {
  SandboxFixture f;
  auto r =
      f.client.post("/user/tokens", std::string("{\"name\": "),
                    {{"Content-Type", "text/plain;charset=UTF-8"}, f.global()[0], f.global()[1]});
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_code() == 6007);
  BOOST_TEST(r.error_message() == "Malformed JSON in request body");
  // ...and well-formed JSON is accepted whatever the Content-Type.
  auto ok =
      f.client.post("/user/tokens", json::serialize(create_body(f)),
                    {{"Content-Type", "text/plain;charset=UTF-8"}, f.global()[0], f.global()[1]});
  BOOST_TEST(ok.status == 200u);
}

BOOST_AUTO_TEST_CASE(update_with_malformed_json_is_6007_whatever_the_content_type) {
  SandboxFixture f;
  auto c = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  BOOST_TEST_REQUIRE(c.status == 200u);
  const std::string id(c.result().at("id").as_string());
  for (const std::string type : {"text/plain;charset=UTF-8", ""}) {
    BOOST_TEST_CONTEXT("Content-Type \"" << type << "\"") {
      Headers h = f.global();
      if (!type.empty()) h.emplace_back("Content-Type", type);
      auto r = f.client.request("PUT", "/user/tokens/" + id, h, std::string("{\"name\": "));
      BOOST_TEST(r.status == 400u, r.body);
      BOOST_TEST(r.error_code() == 6007, r.body);
      BOOST_TEST(r.error_message() == "Malformed JSON in request body");
    }
  }
  BOOST_TEST(f.client.get("/user/tokens/" + id, f.global()).result().at("name").as_string() == "site-deploy");
}

BOOST_AUTO_TEST_CASE(update_replaces_and_may_disable) {
  SandboxFixture f;
  auto c = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  std::string id(c.result().at("id").as_string()), value(c.result().at("value").as_string());
  auto body = create_body(f, "renamed");
  body.erase("condition");
  body["status"] = "disabled";
  auto u = f.client.put("/user/tokens/" + id, json::value(body), f.global());
  BOOST_TEST(u.status == 200u);
  BOOST_TEST(u.result().at("name").as_string() == "renamed");
  BOOST_TEST(u.result().at("status").as_string() == "disabled");
  BOOST_TEST(u.result().at("condition").as_object().empty());
  BOOST_TEST(!u.result().as_object().contains("value"));
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(value)).status == 401u);
  body["status"] = "active";
  BOOST_TEST(f.client.put("/user/tokens/" + id, json::value(body), f.global()).status == 200u);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_policy_change_applies_to_the_very_next_request) {
  SandboxFixture f;
  auto c = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  std::string id(c.result().at("id").as_string()), value(c.result().at("value").as_string());
  const std::string records = "/zones/" + f.id().zone_id + "/dns_records";
  BOOST_TEST(f.client.get(records, bearer(value)).status == 200u);  // DNS Write allows it
  auto body = create_body(f);
  body["policies"].as_array()[0].as_object()["permission_groups"] =
      json::array{json::object{{"id", zone_read_id}}};
  BOOST_TEST_REQUIRE(f.client.put("/user/tokens/" + id, json::value(body), f.global()).status == 200u);
  auto refused = f.client.get(records, bearer(value));
  BOOST_TEST(refused.status == 403u);
  BOOST_TEST(refused.error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(delete_and_unknown_ids) {
  SandboxFixture f;
  auto c = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  std::string id(c.result().at("id").as_string());
  auto d = f.client.del("/user/tokens/" + id, f.global());
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.result().at("id").as_string() == id);
  BOOST_TEST(f.client.get("/user/tokens/" + id, f.global()).status == 404u);
  BOOST_TEST(f.client.del("/user/tokens/" + id, f.global()).status == 404u);
  auto bad = f.client.get("/user/tokens/xyz", f.global());
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(bad.error_code() == 7003);
}

BOOST_AUTO_TEST_CASE(roll_replaces_the_secret) {
  SandboxFixture f;
  auto c = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  std::string id(c.result().at("id").as_string()), old_value(c.result().at("value").as_string());
  // Used once before the roll, so the server has looked it up (and remembered it).
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(old_value)).status == 200u);
  auto r = f.client.put("/user/tokens/" + id + "/value", std::string("{}"), f.global());
  BOOST_TEST(r.status == 200u);
  BOOST_REQUIRE(r.result().is_string());
  std::string new_value(r.result().as_string());
  BOOST_TEST(new_value != old_value);
  BOOST_TEST(new_value.rfind("cfut_", 0) == 0u);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(old_value)).status == 401u);
  BOOST_TEST(f.client.get("/zones/" + f.id().zone_id, bearer(old_value)).error_code() == 9109);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(new_value)).result().at("id").as_string() ==
             id);
}

BOOST_AUTO_TEST_CASE(token_with_api_tokens_write_can_mint_tokens) {
  SandboxFixture f;
  auto writer = f.make_token({policy({"API Tokens Write"}, user_key(f.id().user_id))});
  auto r = f.client.post("/user/tokens", json::value(create_body(f)), bearer(writer.value));
  BOOST_TEST(r.status == 200u);
  auto reader = f.make_token({policy({"API Tokens Read"}, user_key(f.id().user_id))});
  BOOST_TEST(f.client.get("/user/tokens", bearer(reader.value)).status == 200u);
  auto denied = f.client.post("/user/tokens", json::value(create_body(f)), bearer(reader.value));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 9109);
  BOOST_TEST(denied.error_message() == "Unauthorized to access requested resource");
}

BOOST_AUTO_TEST_CASE(list_pages_and_past_the_end_is_empty) {
  SandboxFixture f;
  for (int i = 0; i < 7; ++i)
    BOOST_REQUIRE(
        f.client
            .post("/user/tokens", json::value(create_body(f, "t" + std::to_string(i))), f.global())
            .status == 200u);
  auto p1 = f.client.get("/user/tokens?per_page=5&page=1", f.global());
  BOOST_TEST(p1.result().as_array().size() == 5u);
  BOOST_TEST(p1.json.at("result_info").at("total_count").as_int64() == 7);
  BOOST_TEST(p1.json.at("result_info").at("total_pages").as_int64() == 2);
  auto p2 = f.client.get("/user/tokens?per_page=5&page=2", f.global());
  BOOST_TEST(p2.result().as_array().size() == 2u);
  BOOST_TEST(p2.json.at("result_info").at("count").as_int64() == 2);
  auto p9 = f.client.get("/user/tokens?per_page=5&page=9", f.global());
  BOOST_TEST(p9.status == 200u);
  BOOST_TEST(p9.result().as_array().empty());
  BOOST_TEST(!p9.json.at("result_info").as_object().contains("cursor"));
}

BOOST_AUTO_TEST_CASE(quota_is_50_user_tokens) {
  SandboxFixture f;
  for (int i = 0; i < 50; ++i) f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  auto r = f.client.post("/user/tokens", json::value(create_body(f)), f.global());
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_message().find("quota") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(account_tokens_live_under_the_account) {
  SandboxFixture f;
  std::string base = "/accounts/" + f.id().account_id + "/tokens";
  json::object body{
      {"name", "ci"},
      {"policies", json::array{json::object{
                       {"effect", "allow"},
                       {"resources", json::object{{zone_key(f.id().zone_id), "*"}}},
                       {"permission_groups", json::array{json::object{{"id", zone_read_id}}}}}}}};
  auto c = f.client.post(base, json::value(body), f.global());
  BOOST_TEST_REQUIRE(c.status == 200u);
  std::string id(c.result().at("id").as_string()), value(c.result().at("value").as_string());
  BOOST_TEST(value.rfind("cfat_", 0) == 0u);

  // Verified under the account, refused by the user verify endpoint and by user-level routes.
  auto v = f.client.get(base + "/verify", bearer(value));
  BOOST_TEST(v.status == 200u);
  BOOST_TEST(v.result().at("id").as_string() == id);
  auto uv = f.client.get("/user/tokens/verify", bearer(value));
  BOOST_TEST(uv.status == 401u);
  BOOST_TEST(uv.error_code() == 1000);
  BOOST_TEST(f.client.get("/user", bearer(value)).error_code() == 9106);
  BOOST_TEST(f.client.get("/memberships", bearer(value)).error_code() == 9106);
  BOOST_TEST(f.client.get("/zones/" + f.id().zone_id, bearer(value)).status == 200u);

  BOOST_TEST(listed(f.client.get(base, f.global()), id));
  BOOST_TEST(!listed(f.client.get("/user/tokens", f.global()), id));
  auto r = f.client.put(base + "/" + id + "/value", std::string("{}"), f.global());
  BOOST_TEST(r.result().as_string().starts_with("cfat_"));
  BOOST_TEST(f.client.get(base + "/verify", bearer(value)).status == 401u);
  BOOST_TEST(f.client.del(base + "/" + id, f.global()).status == 200u);

  // Account API Tokens groups guard the routes.
  auto manager =
      f.make_token({policy({"Account API Tokens Write"}, account_key(f.id().account_id))});
  BOOST_TEST(f.client.post(base, json::value(body), bearer(manager.value)).status == 200u);
  auto nobody = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  auto denied = f.client.get(base, bearer(nobody.value));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(account_token_is_read_and_replaced_under_its_account) {
  SandboxFixture f;
  const std::string base = "/accounts/" + f.id().account_id + "/tokens";
  auto zone_policy = [&](const char* group_id) {
    return json::array{json::object{{"effect", "allow"},
                                    {"resources", json::object{{zone_key(f.id().zone_id), "*"}}},
                                    {"permission_groups", json::array{json::object{{"id", group_id}}}}}};
  };
  auto c = f.client.post(base, json::object{{"name", "ci"}, {"policies", zone_policy(zone_read_id)}}, f.global());
  BOOST_TEST_REQUIRE(c.status == 200u, c.body);
  const std::string id(c.result().at("id").as_string()), value(c.result().at("value").as_string());

  auto g = f.client.get(base + "/" + id, f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.result().at("id").as_string() == id);
  BOOST_TEST(g.result().at("name").as_string() == "ci");
  BOOST_TEST(g.result().at("status").as_string() == "active");
  BOOST_TEST(g.result().at("policies").at(0).at("permission_groups").at(0).at("id").as_string() == zone_read_id);
  BOOST_TEST(g.result().at("policies").at(0).at("permission_groups").at(0).at("name").as_string() == "Zone Read");
  BOOST_TEST(!g.result().as_object().contains("value"));
  // An account-owned token is not a user token.
  BOOST_TEST(f.client.get("/user/tokens/" + id, f.global()).error_code() == 1001);

  // PUT is a full replacement: new name, new groups; the secret stays valid.
  auto u = f.client.put(base + "/" + id, json::object{{"name", "ci-dns"}, {"policies", zone_policy(dns_write_id)}}, f.global());
  BOOST_TEST_REQUIRE(u.status == 200u, u.body);
  BOOST_TEST(u.result().at("name").as_string() == "ci-dns");
  BOOST_TEST(u.result().at("policies").at(0).at("permission_groups").at(0).at("name").as_string() == "DNS Write");
  BOOST_TEST(!u.result().as_object().contains("value"));
  BOOST_TEST(f.client.get(base + "/" + id, f.global()).result().at("name").as_string() == "ci-dns");
  BOOST_TEST(f.client.get(base + "/verify", bearer(value)).status == 200u);
  BOOST_TEST(f.client.get("/zones/" + f.id().zone_id + "/dns_records", bearer(value)).status == 200u);

  auto unknown = f.client.get(base + "/" + std::string(32, 'a'), f.global());
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(unknown.error_code() == 1001);
  BOOST_TEST(f.client.put(base + "/" + std::string(32, 'a'), json::object{{"name", "x"}, {"policies", zone_policy(zone_read_id)}},
                          f.global())
                 .error_code() == 1001);

  // Account API Tokens Read may read but not replace.
  auto reader = f.make_token({policy({"Account API Tokens Read"}, account_key(f.id().account_id))});
  BOOST_TEST(f.client.get(base + "/" + id, bearer(reader.value)).status == 200u);
  auto denied = f.client.put(base + "/" + id, json::object{{"name", "hijack"}, {"policies", zone_policy(zone_read_id)}},
                             bearer(reader.value));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 10000);
  BOOST_TEST(f.client.get(base + "/" + id, f.global()).result().at("name").as_string() == "ci-dns");
}

BOOST_AUTO_TEST_SUITE_END()
