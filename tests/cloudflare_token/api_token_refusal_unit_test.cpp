// cloudflare.auth.api_token on the fake host with scripted answers to
// GET /user/tokens/verify: when the answer carries the token's status or
// validity window, the refusal says which (docs/cloudflare.md, "Credential
// checks before anything is sent"); a bare 401 1000 lists every cause.
#define BOOST_TEST_MODULE cloudflare_auth_api_token_refusals
#include "fake_host.hpp"

#include <pipewright/host/loader/plugin_registry.hpp>

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <string>

namespace json = boost::json;

namespace {

const std::string token = "cfut_" + std::string(40, 'T') + "0badc0de";

std::pair<std::string, std::string> verify_answer(int status, const json::value& body) {
  json::object meta{{"index", 0}, {"status", status}, {"headers", json::object()}, {"outcome", "ok"}};
  return {json::serialize(meta), json::serialize(body)};
}

json::value verified(const json::object& result) {
  return json::object{{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", result}};
}

struct Refusal {
  bool failed = false;
  std::string text;  // every diagnostic's summary and detail
};

// Runs the plugin with verify on, Cloudflare answering `answer`.
Refusal run_with(std::pair<std::string, std::string> answer) {
  pw::PluginRegistry registry(pw::test::fake_services());
  const auto* p = registry.load_file(std::string(PW_TEST_BINARY_DIR) + "/plugins/cloudflare.auth.api_token.so");
  BOOST_REQUIRE(p != nullptr);
  pw::test::FakeCall call;
  call.http = [answer](std::string_view) { return answer; };
  const std::string with = json::serialize(json::object{{"token", token}});
  const std::string context = "{}";
  Refusal out;
  out.failed = p->run(p->plugin_data, call.handle(), {with.data(), with.size()},
                      {context.data(), context.size()}) != PW_STATUS_OK;
  for (const auto& d : call.diagnostics) out.text += d.summary + "\n" + d.detail + "\n";
  BOOST_TEST(out.text.find(token) == std::string::npos);
  return out;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_verify_answer_with_status_disabled_is_refused_as_disabled) {
  auto r = run_with(verify_answer(200, verified({{"id", "t1"}, {"status", "disabled"}})));
  BOOST_TEST(r.failed);
  BOOST_TEST(contains(r.text, "reports the API token as disabled"), r.text);
}

BOOST_AUTO_TEST_CASE(a_verify_answer_with_status_expired_is_refused_as_expired) {
  auto r = run_with(verify_answer(
      200, verified({{"id", "t1"}, {"status", "expired"}, {"expires_on", "2020-01-01T00:00:00Z"}})));
  BOOST_TEST(r.failed);
  BOOST_TEST(contains(r.text, "reports the API token as expired"), r.text);
  BOOST_TEST(contains(r.text, "2020-01-01T00:00:00Z"), r.text);
}

BOOST_AUTO_TEST_CASE(a_verify_answer_with_expires_on_past_is_refused_as_expired) {
  auto r = run_with(verify_answer(
      200, verified({{"id", "t1"}, {"status", "active"}, {"expires_on", "2020-01-01T00:00:00Z"}})));
  BOOST_TEST(r.failed);
  BOOST_TEST(contains(r.text, "the API token has expired"), r.text);
}

BOOST_AUTO_TEST_CASE(a_verify_answer_with_not_before_future_is_refused_as_not_yet_valid) {
  auto r = run_with(verify_answer(
      200, verified({{"id", "t1"}, {"status", "active"}, {"not_before", "2099-01-01T00:00:00Z"}})));
  BOOST_TEST(r.failed);
  BOOST_TEST(contains(r.text, "the API token is not valid yet"), r.text);
  BOOST_TEST(contains(r.text, "2099-01-01T00:00:00Z"), r.text);
}

BOOST_AUTO_TEST_CASE(a_bare_invalid_api_token_answer_lists_every_cause) {
  json::value body = json::object{
      {"success", false},
      {"errors", json::array{json::object{{"code", 1000}, {"message", "Invalid API Token"}}}},
      {"messages", json::array()},
      {"result", nullptr}};
  auto r = run_with(verify_answer(401, body));
  BOOST_TEST(r.failed);
  for (const char* cause : {"unknown", "deleted", "disabled", "expired", "not yet valid"})
    BOOST_TEST(contains(r.text, cause), cause << " in: " << r.text);
}

BOOST_AUTO_TEST_CASE(a_verify_answer_with_an_active_token_in_its_window_is_accepted) {
  auto r = run_with(verify_answer(200, verified({{"id", "t1"},
                                                  {"status", "active"},
                                                  {"not_before", "2020-01-01T00:00:00Z"},
                                                  {"expires_on", "2099-01-01T00:00:00Z"}})));
  BOOST_TEST(!r.failed, r.text);
}
