// Malformed JSON bodies on the product endpoints, whatever the Content-Type
// (docs/cloudflare-api.md 1 and 2.3; docs/sandbox.md: 6007 unless the product has
// its own code). wrangler sends some JSON as text/plain or with no
// Content-Type, so the code must not depend on the header.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

const std::string truncated = "{\"name\": ";

// Sends the truncated body once per Content-Type variant (application/json,
// text/plain, none) and checks each answer is 400 with `code`.
void expect_malformed_json_code(SandboxFixture& f, const std::string& method, const std::string& path, std::int64_t code) {
  for (const std::string type : {"application/json", "text/plain;charset=UTF-8", ""}) {
    BOOST_TEST_CONTEXT(method << " " << path << " with Content-Type \"" << type << "\"") {
      Headers h = f.global();
      if (!type.empty()) h.emplace_back("Content-Type", type);
      auto r = f.client.request(method, path, h, truncated);
      BOOST_TEST(r.status == 400u, r.body);
      BOOST_TEST(r.error_code() == code, r.body);
      BOOST_TEST(!r.success());
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(malformed_json)

BOOST_AUTO_TEST_CASE(bucket_create_with_malformed_json_is_6007_and_creates_nothing) {
  SandboxFixture f;
  expect_malformed_json_code(f, "POST", r2(f.id()), 6007);
  BOOST_TEST(f.client.get(r2(f.id()), f.global()).result().at("buckets").as_array().empty());
}

BOOST_AUTO_TEST_CASE(route_create_with_malformed_json_is_6007_and_creates_nothing) {
  SandboxFixture f;
  expect_malformed_json_code(f, "POST", zone_path(f.id(), "/workers/routes"), 6007);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/workers/routes"), f.global()).result().as_array().empty());
}

// DNS has its own body code (docs/cloudflare-api.md 2.3, docs/sandbox.md: "9207
// for invalid bodies").
BOOST_AUTO_TEST_CASE(dns_record_create_with_malformed_json_is_9207_and_creates_nothing) {
  SandboxFixture f;
  expect_malformed_json_code(f, "POST", zone_path(f.id(), "/dns_records"), 9207);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/dns_records"), f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(custom_hostname_patch_with_malformed_json_is_1400_and_changes_nothing) {
  Options o;
  o.hostname_activation_delay = std::chrono::milliseconds{0};
  SandboxFixture f(o);
  auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"),
                         json::object{{"hostname", "shop.customer-site.net"},
                                      {"ssl", json::object{{"method", "http"}, {"type", "dv"}}},
                                      {"custom_metadata", json::object{{"tenant", "t-42"}}}},
                         f.global());
  BOOST_TEST_REQUIRE(c.status == 201u, c.body);
  const std::string path = zone_path(f.id(), "/custom_hostnames/" + std::string(c.result().at("id").as_string()));
  expect_malformed_json_code(f, "PATCH", path, 1400);
  BOOST_TEST(f.client.get(path, f.global()).result().at("custom_metadata") == (json::object{{"tenant", "t-42"}}));
}

BOOST_AUTO_TEST_SUITE_END()
