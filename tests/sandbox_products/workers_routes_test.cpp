// Zone Workers routes (docs/cloudflare-api.md 5.5).
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(zone_workers_routes)

BOOST_AUTO_TEST_CASE(creates_lists_gets_replaces_and_deletes_routes) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  auto c = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "*." + zone + "/*"}, {"script", "site-worker"}},
                         f.global());
  BOOST_TEST_REQUIRE(c.status == 200u, c.body);
  std::string id(c.result().at("id").as_string());
  BOOST_TEST(id.size() == 32u);
  BOOST_TEST(c.result().at("pattern").as_string() == "*." + zone + "/*");
  BOOST_TEST(c.result().at("script").as_string() == "site-worker");  // unknown scripts are accepted

  auto bare = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", zone + "/static/*"}}, f.global());
  BOOST_TEST_REQUIRE(bare.status == 200u);
  BOOST_TEST(bare.result().at("script").is_null());

  auto l = f.client.get(zone_path(f.id(), "/workers/routes"), f.global());
  BOOST_TEST(l.result().as_array().size() == 2u);
  BOOST_TEST(!l.json.as_object().contains("result_info"));

  auto g = f.client.get(zone_path(f.id(), "/workers/routes/" + id), f.global());
  BOOST_TEST(g.result().at("pattern").as_string() == "*." + zone + "/*");
  auto u = f.client.put(zone_path(f.id(), "/workers/routes/" + id), json::object{{"pattern", "shop." + zone + "/*"}, {"script", "other"}},
                        f.global());
  BOOST_TEST(u.status == 200u);
  BOOST_TEST(u.result().at("script").as_string() == "other");
  auto d = f.client.del(zone_path(f.id(), "/workers/routes/" + id), f.global());
  BOOST_TEST(d.result() == (json::object{{"id", id}}));
  auto missing = f.client.get(zone_path(f.id(), "/workers/routes/" + id), f.global());
  BOOST_TEST(missing.status == 404u);
}

BOOST_AUTO_TEST_CASE(refuses_duplicate_patterns_and_hosts_outside_the_zone) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  BOOST_TEST(f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", zone + "/*"}}, f.global()).status == 200u);
  auto dup = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", zone + "/*"}, {"script", "x"}}, f.global());
  BOOST_TEST(dup.status == 409u);
  BOOST_TEST(dup.error_code() == 10020);
  auto outside = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "shop.elsewhere.net/*"}}, f.global());
  BOOST_TEST(outside.status == 400u);
  BOOST_TEST(outside.error_code() == 10022);
  BOOST_TEST(outside.error_message().find("not in zone") != std::string::npos);
  auto suffix_trick = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "evil" + zone + "/*"}}, f.global());
  BOOST_TEST(suffix_trick.status == 400u);
  auto scheme = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "https://" + zone + "/*"}}, f.global());
  BOOST_TEST(scheme.error_code() == 10022);
}

BOOST_AUTO_TEST_CASE(accepts_every_documented_pattern_form) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  for (const std::string& pattern : {std::string("*/*"), "*" + zone + "/*", zone + "/blog*", "shop." + zone + "/about",
                                    zone + "/*"}) {
    auto c = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", pattern}, {"script", "w"}}, f.global());
    BOOST_TEST(c.status == 200u, pattern << ": " << c.body);
  }
  for (const std::string& pattern : {zone + "/a*b", zone + "/?q=1", "shop.*." + zone + "/*"}) {
    auto c = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", pattern}}, f.global());
    BOOST_TEST(c.error_code() == 10022, pattern << ": " << c.body);
  }
}

BOOST_AUTO_TEST_CASE(missing_pattern_probe_is_400_with_write_and_403_without) {
  SandboxFixture f;
  auto writer = f.make_token({policy({"Workers Routes Write"}, zone_key(f.id().zone_id))});
  auto reader = f.make_token({policy({"Workers Routes Read"}, zone_key(f.id().zone_id))});
  auto account_only = f.make_token({policy({"Workers Scripts Write"}, account_key(f.id().account_id))});
  auto w = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{}, bearer(writer.value));
  BOOST_TEST(w.status == 400u);
  BOOST_TEST(w.error_code() == 10022);
  auto r = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{}, bearer(reader.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 10000);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/workers/routes"), bearer(reader.value)).status == 200u);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/workers/routes"), bearer(account_only.value)).error_code() == 10000);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/workers/routes"), f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
