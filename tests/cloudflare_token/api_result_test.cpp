#include <boost/test/unit_test.hpp>

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/token_verification.hpp>

namespace cf = pipewright::cloudflare;

namespace {
pipewright::Response response(int status, std::string body, std::string outcome = "ok") {
  pipewright::Response r;
  r.status = status;
  r.body = std::move(body);
  r.outcome = std::move(outcome);
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(api_results)

BOOST_AUTO_TEST_CASE(describes_a_permission_error_like_cloudflare_reports_it) {
  auto r = cf::decode(response(403, R"({"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null})"));
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.forbidden());
  BOOST_TEST(r.first_error_code() == 10000);
  BOOST_TEST(cf::describe(r) == "403 Forbidden: Authentication error (10000)");
}

BOOST_AUTO_TEST_CASE(flattens_error_chains_after_their_parent) {
  auto r = cf::decode(response(400, R"({"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
      "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"result":null})"));
  BOOST_REQUIRE_EQUAL(r.errors.size(), 2u);
  BOOST_TEST(r.errors[1].code == 6111);
  BOOST_TEST(r.has_error(6111));
  BOOST_TEST(!r.forbidden());
  BOOST_TEST(cf::describe(r) ==
             "400 Bad Request: Invalid request headers (6003); Invalid format for Authorization header (6111)");
}

BOOST_AUTO_TEST_CASE(decodes_success_result_and_result_info) {
  auto r = cf::decode(response(200, R"({"success":true,"errors":[],"messages":[],"result":[{"id":"a"}],
      "result_info":{"page":1,"per_page":20,"count":1,"total_count":1,"total_pages":1}})"));
  BOOST_TEST(r.ok());
  BOOST_TEST(r.result.is_array());
  BOOST_TEST(r.result_info.at("total_pages").as_int64() == 1);
  BOOST_TEST(cf::describe(r) == "200 OK");
}

BOOST_AUTO_TEST_CASE(a_2xx_that_says_success_false_is_not_ok) {
  auto r = cf::decode(response(200, R"({"success":false,"errors":[{"code":1,"message":"odd"}],"result":null})"));
  BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_CASE(a_lost_connection_is_reported_as_unknown_outcome) {
  pipewright::Response lost;
  lost.status = 0;
  lost.error = "connection reset by peer";
  lost.outcome = "unknown";
  auto r = cf::decode(lost);
  BOOST_TEST(r.unknown_outcome());
  BOOST_TEST(!r.ok());
  BOOST_TEST(cf::describe(r).find("may or may not have taken effect") != std::string::npos);
  BOOST_TEST(cf::describe(r).find("connection reset by peer") != std::string::npos);
  lost.outcome = "failed";
  BOOST_TEST(cf::describe(cf::decode(lost)) == "no response: connection reset by peer");
}

BOOST_AUTO_TEST_CASE(non_json_bodies_keep_the_status) {
  auto r = cf::decode(response(502, "<html>bad gateway</html>"));
  BOOST_TEST(!r.ok());
  BOOST_TEST(cf::describe(r) == "502 Bad Gateway");
}

BOOST_AUTO_TEST_CASE(encodes_path_segments_and_queries) {
  BOOST_TEST(cf::encode_segment("a/b c?d") == "a%2Fb%20c%3Fd");
  BOOST_TEST(cf::encode_segment("Az09-._~") == "Az09-._~");
  BOOST_TEST(cf::api_path({"accounts", "a b", "r2", "buckets"}) == "/accounts/a%20b/r2/buckets");
  BOOST_TEST(cf::with_query("/user/tokens", {{"page", "2"}, {"per_page", "50"}}) == "/user/tokens?page=2&per_page=50");
  BOOST_TEST(cf::with_query("/x?a=1", {{"b", "c&d"}}) == "/x?a=1&b=c%26d");
  BOOST_TEST(cf::encode_key_path("t1/index page.html") == "t1/index%20page.html");
}

BOOST_AUTO_TEST_CASE(base_url_comes_from_the_context) {
  BOOST_TEST(cf::base_url_from_context(R"({"base_urls":{"cloudflare":"http://127.0.0.1:9/client/v4/"}})") ==
             "http://127.0.0.1:9/client/v4");
  BOOST_TEST(cf::base_url_from_context("{}") == "https://api.cloudflare.com/client/v4");
  BOOST_TEST(cf::base_url_from_context("not json") == "https://api.cloudflare.com/client/v4");
}

namespace {
// The summary of the Failure a verification answer is judged with.
std::string judged(int status, std::string body, bool step_auth) {
  cf::VerificationContext context;
  context.step_auth = step_auth;
  try {
    cf::judge_token_verification(cf::decode(response(status, std::move(body))), context);
  } catch (const pipewright::Failure& f) {
    return f.what();
  }
  return "accepted";
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_malformed_token_is_named_as_such_wherever_it_is_verified) {
  const std::string body = R"({"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
    "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"messages":[],"result":null})";
  BOOST_TEST(judged(400, body, true) == "Cloudflare rejected the format of the API token");
  BOOST_TEST(judged(400, body, false) == "Cloudflare rejected the format of the API token");
  // Missing credentials at a step are still its auth's fault.
  BOOST_TEST(judged(400, R"({"success":false,"errors":[{"code":9106,"message":"Missing X-Auth-Key, X-Auth-Email or Authorization headers"}],"messages":[],"result":null})", true) ==
             "the step's auth is not a User API token");
}

BOOST_AUTO_TEST_CASE(a_verification_that_names_no_token_is_refused) {
  BOOST_TEST(judged(200, R"({"success":true,"errors":[],"messages":[],"result":null})", false) ==
             "verifying the API token failed: the answer names no token");
  BOOST_TEST(judged(200, R"({"success":true,"errors":[],"messages":[],"result":{"id":"c72fb7347b92eb8e0ee7a32d0fc30d1d","status":"active"}})", false) ==
             "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
