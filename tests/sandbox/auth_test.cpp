// Authentication errors of docs/cloudflare-api.md 2.2, in their order.
#include <boost/test/unit_test.hpp>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

std::string zone_path(const SandboxFixture& f) { return "/zones/" + f.id().zone_id; }

void expect_header_error(const HttpResponse& r, std::int64_t chain_code) {
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_code() == 6003);
  BOOST_TEST(r.error_message() == "Invalid request headers");
  BOOST_TEST(r.errors()[0].at("error_chain").at(0).at("code").as_int64() == chain_code);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(no_credentials_is_9106) {
  SandboxFixture f;
  auto r = f.client.get(zone_path(f));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_code() == 9106);
  BOOST_TEST(r.error_message() == "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
  BOOST_TEST(r.json.at("success").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(malformed_bearer_is_6003_6111) {
  SandboxFixture f;
  for (std::string h :
       {"Bearer ", "Bearer two words", "Bearer \"quoted\"", "Basic abc", "Bearer tok=en"}) {
    BOOST_TEST_CONTEXT(h) {
      expect_header_error(f.client.get(zone_path(f), {{"Authorization", h}}), 6111);
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_auth_key_is_6003_6103) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  // A token put where the global key belongs.
  auto r = f.client.get(zone_path(f), {{"X-Auth-Email", f.id().email}, {"X-Auth-Key", t.value}});
  expect_header_error(r, 6103);
}

BOOST_AUTO_TEST_CASE(malformed_email_is_6003_6102) {
  SandboxFixture f;
  expect_header_error(f.client.get(zone_path(f), {{"X-Auth-Email", "not an email"},
                                                  {"X-Auth-Key", f.id().global_key}}),
                      6102);
}

BOOST_AUTO_TEST_CASE(one_of_email_and_key_is_6100_or_6101) {
  SandboxFixture f;
  expect_header_error(f.client.get(zone_path(f), {{"X-Auth-Key", f.id().global_key}}), 6100);
  expect_header_error(f.client.get(zone_path(f), {{"X-Auth-Email", f.id().email}}), 6101);
}

BOOST_AUTO_TEST_CASE(wrong_global_key_or_email_is_9103) {
  SandboxFixture f;
  std::string other_key(37, 'a');
  for (const auto& h : std::vector<Headers>{
           {{"X-Auth-Email", f.id().email}, {"X-Auth-Key", other_key}},
           {{"X-Auth-Email", "nobody@pipewright.dev"}, {"X-Auth-Key", f.id().global_key}}}) {
    auto r = f.client.get(zone_path(f), h);
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(r.error_code() == 9103);
    BOOST_TEST(r.error_message() == "Unknown X-Auth-Key or X-Auth-Email");
  }
}

BOOST_AUTO_TEST_CASE(global_key_works_with_any_email_case) {
  SandboxFixture f;
  std::string upper = f.id().email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(
      f.client.get(zone_path(f), {{"X-Auth-Email", upper}, {"X-Auth-Key", f.id().global_key}})
          .status == 200u);
}

BOOST_AUTO_TEST_CASE(unknown_token_is_9109_and_1000_on_verify) {
  SandboxFixture f;
  std::string fake = "cfut_" + std::string(40, 'x') + "0badc0de";
  auto r = f.client.get(zone_path(f), bearer(fake));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 9109);
  BOOST_TEST(r.error_message() == "Invalid access token");
  auto v = f.client.get("/user/tokens/verify", bearer(fake));
  BOOST_TEST(v.status == 401u);
  BOOST_TEST(v.error_code() == 1000);
  BOOST_TEST(v.error_message() == "Invalid API Token");
}

BOOST_AUTO_TEST_CASE(revoked_token_is_refused) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get(zone_path(f), bearer(t.value)).status == 200u);
  BOOST_TEST(f.client.del("/user/tokens/" + t.id, f.global()).status == 200u);
  auto r = f.client.get(zone_path(f), bearer(t.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 9109);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(t.value)).error_code() == 1000);
}

BOOST_AUTO_TEST_CASE(disabled_token_is_refused) {
  SandboxFixture f;
  auto t =
      f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))}, {{"status", "disabled"}});
  BOOST_TEST(f.client.get(zone_path(f), bearer(t.value)).error_code() == 9109);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(t.value)).status == 401u);
}

BOOST_AUTO_TEST_CASE(expired_token_is_refused) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))},
                        {{"expires_on", "2020-01-01T00:00:00Z"}});
  auto r = f.client.get(zone_path(f), bearer(t.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 9109);
  auto v = f.client.get("/user/tokens/verify", bearer(t.value));
  BOOST_TEST(v.status == 401u);
  BOOST_TEST(v.error_code() == 1000);
  auto listed = f.client.get("/user/tokens/" + t.id, f.global());
  BOOST_TEST(listed.result().at("status").as_string() == "expired");
}

BOOST_AUTO_TEST_CASE(not_yet_valid_token_is_refused) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))},
                        {{"not_before", "2999-01-01T00:00:00Z"}});
  BOOST_TEST(f.client.get(zone_path(f), bearer(t.value)).error_code() == 9109);
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(t.value)).error_code() == 1000);
}

BOOST_AUTO_TEST_CASE(ip_condition_is_enforced) {
  SandboxFixture f;
  auto p = json::array{policy({"Zone Read"}, zone_key(f.id().zone_id))};
  auto outside =
      f.make_token(p, {{"condition", {{"request_ip", {{"in", json::array{"192.0.2.0/24"}}}}}}});
  auto r = f.client.get(zone_path(f), bearer(outside.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 9109);
  BOOST_TEST(r.error_message() == "Cannot use the access token from location: 127.0.0.1");
  BOOST_TEST(f.client.get("/user/tokens/verify", bearer(outside.value)).error_code() == 1000);

  auto excluded = f.make_token(
      p, {{"condition",
           {{"request.ip",
             {{"in", json::array{"127.0.0.0/8"}}, {"not_in", json::array{"127.0.0.1/32"}}}}}}});
  BOOST_TEST(f.client.get(zone_path(f), bearer(excluded.value)).error_code() == 9109);

  auto inside = f.make_token(
      p, {{"condition", {{"request_ip", {{"in", json::array{"127.0.0.0/8", "::1/128"}}}}}}});
  BOOST_TEST(f.client.get(zone_path(f), bearer(inside.value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(bearer_wins_over_global_key) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  Headers both = f.global();
  both.emplace_back("Authorization", "Bearer " + t.value);
  auto r = f.client.get("/user/tokens", both);  // the global key could; this token cannot
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 9109);
}

BOOST_AUTO_TEST_CASE(verify_with_global_key_is_9106) {
  SandboxFixture f;
  auto r = f.client.get("/user/tokens/verify", f.global());
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_code() == 9106);
}

BOOST_AUTO_TEST_CASE(a_credential_sent_only_as_a_chunked_trailer_does_not_count) {
  SandboxFixture f;
  const auto res = raw_exchange(f.server.port(),
                                "GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Transfer-Encoding: chunked\r\nTrailer: X-Auth-Email, X-Auth-Key\r\n\r\n"
                                "0\r\nX-Auth-Email: " + f.id().email + "\r\nX-Auth-Key: " + f.id().global_key +
                                    "\r\n\r\n");
  BOOST_TEST(res.result_int() == 400u);
  BOOST_TEST(res.body().find("9106") != std::string::npos, res.body());
}

BOOST_AUTO_TEST_SUITE_END()
