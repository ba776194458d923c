// DNS records, minimal (docs/cloudflare-api.md 5.7).
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(dns_records)

BOOST_AUTO_TEST_CASE(creates_and_lists_records_with_duplicate_rules) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  auto c = f.client.post(zone_path(f.id(), "/dns_records"),
                         json::object{{"type", "CNAME"}, {"name", "shop"}, {"content", "site-worker.example.org"}, {"ttl", 1}, {"proxied", true}, {"comment", ""}},
                         f.global());
  BOOST_TEST_REQUIRE(c.status == 200u, c.body);
  BOOST_TEST(c.result().at("name").as_string() == "shop." + zone);
  BOOST_TEST(c.result().at("id").as_string().size() == 32u);
  BOOST_TEST(c.result().at("proxied").as_bool());
  BOOST_TEST(c.result().at("ttl").as_int64() == 1);

  auto same = f.client.post(zone_path(f.id(), "/dns_records"),
                            json::object{{"type", "CNAME"}, {"name", "shop." + zone}, {"content", "site-worker.example.org"}}, f.global());
  BOOST_TEST(same.status == 400u);
  BOOST_TEST(same.error_code() == 81057);
  auto clash = f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "A"}, {"name", "shop"}, {"content", "192.0.2.1"}},
                             f.global());
  BOOST_TEST(clash.status == 400u);
  BOOST_TEST(clash.error_code() == 81054);
  auto invalid = f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "A"}}, f.global());
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST(invalid.error_code() == 9207);
  BOOST_TEST(f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "TXT"}, {"name", "@"}, {"content", "v=spf1 -all"}},
                           f.global()).status == 200u);

  auto l = f.client.get(zone_path(f.id(), "/dns_records"), f.global());
  BOOST_TEST(l.result().as_array().size() == 2u);
  BOOST_TEST(l.json.at("result_info").at("per_page").as_int64() == 100);
  auto filtered = f.client.get(zone_path(f.id(), "/dns_records?type=CNAME&name=shop." + zone), f.global());
  BOOST_TEST(filtered.result().as_array().size() == 1u);
  auto sdk_style = f.client.get(zone_path(f.id(), "/dns_records?name.exact=SHOP." + zone + "&type=CNAME"), f.global());
  BOOST_TEST(sdk_style.result().as_array().size() == 1u);
  auto starts = f.client.get(zone_path(f.id(), "/dns_records?name.startswith=sho"), f.global());
  BOOST_TEST(starts.result().as_array().size() == 1u);
  auto contains = f.client.get(zone_path(f.id(), "/dns_records?content.contains=spf1"), f.global());
  BOOST_TEST(contains.result().as_array().size() == 1u);
  BOOST_TEST(contains.result().at(0).at("type").as_string() == "TXT");
  auto either = f.client.get(zone_path(f.id(), "/dns_records?match=any&type=TXT&name.exact=shop"), f.global());
  BOOST_TEST(either.result().as_array().size() == 2u);
  auto past = f.client.get(zone_path(f.id(), "/dns_records?page=5"), f.global());
  BOOST_TEST(past.status == 200u);
  BOOST_TEST(past.result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(needs_dns_groups) {
  SandboxFixture f;
  auto reader = f.make_token({policy({"DNS Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get(zone_path(f.id(), "/dns_records"), bearer(reader.value)).status == 200u);
  auto w = f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "A"}}, bearer(reader.value));
  BOOST_TEST(w.status == 403u);
  BOOST_TEST(w.error_code() == 10000);
  auto zone_reader = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get(zone_path(f.id(), "/dns_records"), bearer(zone_reader.value)).error_code() == 10000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dns_single_record)

BOOST_AUTO_TEST_CASE(gets_changes_and_deletes_one_record_with_the_cname_rules) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  auto a = f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "A"}, {"name", "api"}, {"content", "192.0.2.1"}},
                         f.global());
  BOOST_TEST_REQUIRE(a.status == 200u, a.body);
  const std::string id(a.result().at("id").as_string());
  auto cname = f.client.post(zone_path(f.id(), "/dns_records"),
                             json::object{{"type", "CNAME"}, {"name", "www"}, {"content", "api." + zone}}, f.global());
  BOOST_TEST_REQUIRE(cname.status == 200u, cname.body);

  auto got = f.client.get(zone_path(f.id(), "/dns_records/" + id), f.global());
  BOOST_TEST(got.result().at("name").as_string() == "api." + zone);
  // Renaming the A record onto the CNAME's name is refused, and nothing changes.
  auto onto_cname = f.client.patch(zone_path(f.id(), "/dns_records/" + id), json::serialize(json::object{{"name", "www"}}), f.global());
  BOOST_TEST(onto_cname.status == 400u);
  BOOST_TEST(onto_cname.error_code() == 81054);
  auto txt_on_cname = f.client.post(zone_path(f.id(), "/dns_records"),
                                    json::object{{"type", "TXT"}, {"name", "www"}, {"content", "hello"}}, f.global());
  BOOST_TEST(txt_on_cname.error_code() == 81054, "a CNAME shares its name with no other record");
  BOOST_TEST(f.client.get(zone_path(f.id(), "/dns_records/" + id), f.global()).result().at("name").as_string() == "api." + zone);

  auto patched = f.client.patch(zone_path(f.id(), "/dns_records/" + id), json::serialize(json::object{{"ttl", 120}}), f.global());
  BOOST_TEST(patched.result().at("ttl").as_int64() == 120);
  BOOST_TEST(patched.result().at("content").as_string() == "192.0.2.1");
  auto put_partial = f.client.put(zone_path(f.id(), "/dns_records/" + id), json::object{{"content", "192.0.2.9"}}, f.global());
  BOOST_TEST(put_partial.status == 400u, "PUT needs the whole record");
  BOOST_TEST(put_partial.error_code() == 9207);

  auto del = f.client.del(zone_path(f.id(), "/dns_records/" + id), f.global());
  BOOST_TEST(del.result() == (json::object{{"id", id}}));
  auto missing = f.client.get(zone_path(f.id(), "/dns_records/" + id), f.global());
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 81044);
  BOOST_TEST(f.client.del(zone_path(f.id(), "/dns_records/" + id), f.global()).error_code() == 81044);
}

BOOST_AUTO_TEST_SUITE_END()
