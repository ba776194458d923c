// R2 bucket CORS, lifecycle and lock rules over the REST API.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

json::object cors_rule() {
  return json::object{{"allowed", json::object{{"origins", json::array{"https://shop.example.com"}},
                                                {"methods", json::array{"GET", "PUT"}},
                                                {"headers", json::array{"content-type"}}}},
                      {"exposeHeaders", json::array{"etag"}},
                      {"maxAgeSeconds", 3600}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(r2_bucket_config)

BOOST_AUTO_TEST_CASE(cors_rules_are_stored_returned_and_deleted) {
  SandboxFixture f;
  BOOST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
  auto none = f.client.get(r2(f.id(), "/site-assets/cors"), f.global());
  BOOST_TEST(none.status == 200u);
  BOOST_TEST(none.result().at("rules").as_array().empty());

  auto put = f.client.put(r2(f.id(), "/site-assets/cors"), json::object{{"rules", json::array{cors_rule()}}}, f.global());
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  auto got = f.client.get(r2(f.id(), "/site-assets/cors"), f.global());
  BOOST_TEST_REQUIRE(got.status == 200u, got.body);
  BOOST_TEST(got.result().at("rules") == (json::array{cors_rule()}));

  auto bad_method = cors_rule();
  bad_method["allowed"].as_object()["methods"] = json::array{"PATCH"};
  auto refused = f.client.put(r2(f.id(), "/site-assets/cors"), json::object{{"rules", json::array{bad_method}}}, f.global());
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.error_code() == 10040);
  BOOST_TEST(refused.error_message().find("rules[0]") != std::string::npos, refused.body);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/cors"), f.global()).result().at("rules") == (json::array{cors_rule()}),
             "a refused PUT leaves the rules as they were");

  BOOST_TEST(f.client.del(r2(f.id(), "/site-assets/cors"), f.global()).status == 200u);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/cors"), f.global()).result().at("rules").as_array().empty());
  BOOST_TEST(f.client.get(r2(f.id(), "/no-such-bucket/cors"), f.global()).error_code() == 10006);
}

BOOST_AUTO_TEST_CASE(lifecycle_starts_with_the_multipart_abort_rule_and_takes_new_rules) {
  SandboxFixture f;
  BOOST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
  auto first = f.client.get(r2(f.id(), "/site-assets/lifecycle"), f.global());
  BOOST_TEST_REQUIRE(first.status == 200u, first.body);
  BOOST_TEST(first.result().at("rules").as_array().size() == 1u);
  BOOST_TEST(first.result().at("rules").at(0).at("id").as_string() == "Default Multipart Abort Rule");

  json::array rules{json::object{{"id", "expire-logs"},
                                 {"enabled", true},
                                 {"conditions", json::object{{"prefix", "logs/"}}},
                                 {"deleteObjectsTransition",
                                  json::object{{"condition", json::object{{"type", "Age"}, {"maxAge", 2592000}}}}}}};
  BOOST_TEST(f.client.put(r2(f.id(), "/site-assets/lifecycle"), json::object{{"rules", rules}}, f.global()).status == 200u);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/lifecycle"), f.global()).result().at("rules") == rules);
  auto no_id = f.client.put(r2(f.id(), "/site-assets/lifecycle"),
                            json::object{{"rules", json::array{json::object{{"enabled", true}}}}}, f.global());
  BOOST_TEST(no_id.status == 400u);
  BOOST_TEST(no_id.error_code() == 10040);

  // Deleting the bucket drops its rules: a new bucket of that name starts afresh.
  BOOST_TEST(f.client.del(r2(f.id(), "/site-assets"), f.global()).status == 200u);
  BOOST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/lifecycle"), f.global()).result().at("rules").at(0).at("id").as_string() ==
             "Default Multipart Abort Rule");
}

BOOST_AUTO_TEST_CASE(rules_need_r2_write_to_change) {
  SandboxFixture f;
  BOOST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
  auto reader = f.make_token({policy({"Workers R2 Storage Read"}, account_key(f.id().account_id))});
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/lifecycle"), bearer(reader.value)).status == 200u);
  auto w = f.client.put(r2(f.id(), "/site-assets/cors"), json::object{{"rules", json::array{cors_rule()}}}, bearer(reader.value));
  BOOST_TEST(w.status == 403u);
  BOOST_TEST(w.error_code() == 10000);
}

BOOST_AUTO_TEST_SUITE_END()
