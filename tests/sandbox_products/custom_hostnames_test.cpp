// Custom hostnames, Cloudflare for SaaS (docs/cloudflare-api.md 5.6).
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

Options hook_only() {
  Options o;
  o.hostname_activation_delay = std::chrono::milliseconds{0};
  return o;
}

json::object request(const std::string& hostname, const std::string& method = "http") {
  return json::object{{"hostname", hostname},
                      {"ssl", json::object{{"method", method}, {"type", "dv"}, {"settings", json::object{{"min_tls_version", "1.2"}}}}},
                      {"custom_metadata", json::object{{"tenant", "t-42"}}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(custom_hostnames)

BOOST_AUTO_TEST_CASE(creates_pending_hostnames_with_validation_records) {
  SandboxFixture f(hook_only());
  auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("shop.customer-site.net"), f.global());
  BOOST_TEST_REQUIRE(c.status == 201u, c.body);
  const auto& ch = c.result();
  BOOST_TEST(ch.at("hostname").as_string() == "shop.customer-site.net");
  BOOST_TEST(ch.at("status").as_string() == "pending");
  BOOST_TEST(ch.at("ssl").at("status").as_string() == "initializing");
  BOOST_TEST(ch.at("ssl").at("method").as_string() == "http");
  BOOST_TEST(ch.at("ssl").at("validation_records").at(0).at("http_url").as_string().rfind(
                 "http://shop.customer-site.net/.well-known/acme-challenge/", 0) == 0u);
  BOOST_TEST(ch.at("ownership_verification").at("name").as_string() == "_cf-custom-hostname.shop.customer-site.net");
  BOOST_TEST(!ch.at("ownership_verification").at("value").as_string().empty());
  BOOST_TEST(!ch.at("ownership_verification_http").at("http_body").as_string().empty());
  BOOST_TEST(!ch.at("verification_errors").as_array().empty());
  BOOST_TEST(ch.at("custom_metadata") == (json::object{{"tenant", "t-42"}}));
  BOOST_TEST(!ch.at("created_at").as_string().empty());

  auto txt = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("www.customer-site.net", "txt"), f.global());
  BOOST_TEST(txt.result().at("ssl").at("validation_records").at(0).at("txt_name").as_string() ==
             "_acme-challenge.www.customer-site.net");

  std::string id(ch.at("id").as_string());
  auto g = f.client.get(zone_path(f.id(), "/custom_hostnames/" + id), f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.result().at("ssl").at("status").as_string() == "pending_validation");
}

BOOST_AUTO_TEST_CASE(activates_through_the_hook_and_clears_verification) {
  SandboxFixture f(hook_only());
  auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("shop.customer-site.net"), f.global());
  std::string id(c.result().at("id").as_string());
  f.server.activate_custom_hostnames();
  auto g = f.client.get(zone_path(f.id(), "/custom_hostnames/" + id), f.global());
  BOOST_TEST(g.result().at("status").as_string() == "active");
  BOOST_TEST(g.result().at("ssl").at("status").as_string() == "active");
  BOOST_TEST(g.result().at("verification_errors").as_array().empty());
  BOOST_TEST(g.result().at("ownership_verification").at("value").as_string() == "");
  BOOST_TEST(g.result().at("ownership_verification_http").at("http_body").as_string() == "");

  auto c2 = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("www.customer-site.net"), f.global());
  BOOST_TEST(f.client.post("/__sandbox/custom_hostnames/activate", std::string("{}")).status == 200u);
  auto g2 = f.client.get(zone_path(f.id(), "/custom_hostnames/" + std::string(c2.result().at("id").as_string())), f.global());
  BOOST_TEST(g2.result().at("status").as_string() == "active");
}

BOOST_AUTO_TEST_CASE(activates_lazily_after_the_delay) {
  Options o;
  o.hostname_activation_delay = std::chrono::milliseconds{1500};
  SandboxFixture f(o);
  auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("shop.customer-site.net"), f.global());
  std::string id(c.result().at("id").as_string());
  BOOST_TEST(f.client.get(zone_path(f.id(), "/custom_hostnames/" + id), f.global()).result().at("status").as_string() == "pending");
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  auto l = f.client.get(zone_path(f.id(), "/custom_hostnames?hostname=shop.customer-site.net"), f.global());
  BOOST_TEST(l.result().at(0).at("status").as_string() == "active");
}

BOOST_AUTO_TEST_CASE(refuses_duplicates_reserved_and_invalid_names) {
  SandboxFixture f(hook_only());
  BOOST_TEST(f.client.post(zone_path(f.id(), "/custom_hostnames"), request("shop.customer-site.net"), f.global()).status == 201u);
  auto dup = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("SHOP.customer-site.net"), f.global());
  BOOST_TEST(dup.status == 409u);
  BOOST_TEST(dup.error_code() == 1406);
  BOOST_TEST(dup.error_message() == "Duplicate custom hostname found.");
  const std::vector<std::pair<std::string, std::int64_t>> cases{
      {"shop.site.test", 1409},     {"a.example", 1409},        {"x.invalid", 1409},       {"my.localhost", 1409},
      {"shop.example.com", 1411},   {"example.net", 1411},      {"a.b.example.org", 1411}, {"192.0.2.10", 1407},
      {"bad_host!.net", 1407},      {"nodots", 1407},           {"-lead.customer.net", 1407},
      {std::string(250, 'a') + ".net", 1407}, {"caf\xc3\xa9.customer-site.net", 1408}};
  for (const auto& [host, code] : cases) {
    auto r = f.client.post(zone_path(f.id(), "/custom_hostnames"), request(host), f.global());
    BOOST_TEST(r.status == 400u, host);
    BOOST_TEST(r.error_code() == code, host);
  }
  auto bad_method = request("a.customer-site.net");
  bad_method["ssl"].as_object()["method"] = "carrier-pigeon";
  BOOST_TEST(f.client.post(zone_path(f.id(), "/custom_hostnames"), bad_method, f.global()).error_code() == 1432);
  auto bad_type = request("a.customer-site.net");
  bad_type["ssl"].as_object()["type"] = "ev";
  BOOST_TEST(f.client.post(zone_path(f.id(), "/custom_hostnames"), bad_type, f.global()).error_code() == 1433);
  auto bad_json = f.client.post(zone_path(f.id(), "/custom_hostnames"), std::string("{oops"), f.global());
  BOOST_TEST(bad_json.status == 400u);
  BOOST_TEST(bad_json.error_code() == 1400);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/custom_hostnames"), f.global()).result().as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_hostname_probe_is_400_with_write_and_403_without) {
  SandboxFixture f(hook_only());
  auto writer = f.make_token({policy({"SSL and Certificates Write"}, zone_key(f.id().zone_id))});
  auto reader = f.make_token({policy({"SSL and Certificates Read"}, zone_key(f.id().zone_id))});
  auto w = f.client.post(zone_path(f.id(), "/custom_hostnames"), json::object{{"hostname", "not a hostname"}}, bearer(writer.value));
  BOOST_TEST(w.status == 400u);
  BOOST_TEST(w.error_code() == 1407);
  auto r = f.client.post(zone_path(f.id(), "/custom_hostnames"), json::object{{"hostname", "not a hostname"}}, bearer(reader.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 10000);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/custom_hostnames"), bearer(reader.value)).status == 200u);
}

BOOST_AUTO_TEST_CASE(lists_with_filters_and_page_pagination_patches_and_deletes) {
  SandboxFixture f(hook_only());
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"), request("t" + std::to_string(i) + ".customer-site.net"), f.global());
    BOOST_TEST_REQUIRE(c.status == 201u);
    ids.emplace_back(c.result().at("id").as_string());
  }
  auto p1 = f.client.get(zone_path(f.id(), "/custom_hostnames?per_page=5"), f.global());
  BOOST_TEST(p1.result().as_array().size() == 5u);
  BOOST_TEST(p1.json.at("result_info").at("total_count").as_int64() == 7);
  BOOST_TEST(p1.json.at("result_info").at("total_pages").as_int64() == 2);
  auto p2 = f.client.get(zone_path(f.id(), "/custom_hostnames?per_page=5&page=2"), f.global());
  BOOST_TEST(p2.result().as_array().size() == 2u);
  auto past = f.client.get(zone_path(f.id(), "/custom_hostnames?per_page=5&page=3"), f.global());
  BOOST_TEST(past.status == 200u);
  BOOST_TEST(past.result().as_array().empty());
  BOOST_TEST(!past.json.at("result_info").as_object().contains("cursor"));

  auto by_host = f.client.get(zone_path(f.id(), "/custom_hostnames?hostname=t3.customer-site.net"), f.global());
  BOOST_TEST_REQUIRE(by_host.result().as_array().size() == 1u);
  BOOST_TEST(by_host.result().at(0).at("id").as_string() == ids[3]);
  auto by_id = f.client.get(zone_path(f.id(), "/custom_hostnames?id=" + ids[5]), f.global());
  BOOST_TEST(by_id.result().at(0).at("hostname").as_string() == "t5.customer-site.net");

  auto p = f.client.patch(zone_path(f.id(), "/custom_hostnames/" + ids[0]),
                          json::serialize(json::object{{"custom_metadata", json::object{{"tenant", "t-99"}}},
                                                       {"ssl", json::object{{"method", "txt"}, {"type", "dv"}}}}),
                          f.global());
  BOOST_TEST_REQUIRE(p.status == 202u, p.body);
  BOOST_TEST(p.result().at("custom_metadata").at("tenant").as_string() == "t-99");
  BOOST_TEST(p.result().at("ssl").at("method").as_string() == "txt");

  auto d = f.client.del(zone_path(f.id(), "/custom_hostnames/" + ids[0]), f.global());
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.json.at("id").as_string() == ids[0]);
  BOOST_TEST(d.result().at("id").as_string() == ids[0]);
  auto gone = f.client.get(zone_path(f.id(), "/custom_hostnames/" + ids[0]), f.global());
  BOOST_TEST(gone.status == 404u);
  BOOST_TEST(gone.error_code() == 1436);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/custom_hostnames/not-an-id!"), f.global()).error_code() == 1435);
}

BOOST_AUTO_TEST_CASE(fallback_origin_is_set_read_and_deleted_with_its_status) {
  SandboxFixture f(hook_only());
  const std::string path = zone_path(f.id(), "/custom_hostnames/fallback_origin");
  const std::string origin = "service." + f.id().zone_name;
  auto none = f.client.get(path, f.global());
  BOOST_TEST(none.status == 404u);
  auto outside = f.client.put(path, json::serialize(json::object{{"origin", "service.elsewhere.net"}}), f.global());
  BOOST_TEST(outside.status == 400u);
  auto set = f.client.put(path, json::serialize(json::object{{"origin", origin}}), f.global());
  BOOST_TEST_REQUIRE(set.status == 200u, set.body);
  BOOST_TEST(set.result().at("origin").as_string() == origin);
  BOOST_TEST(set.result().at("status").as_string() == "initializing");
  // Without a proxied record the origin cannot deploy; the error says what to add.
  f.server.activate_custom_hostnames();
  auto pending = f.client.get(path, f.global());
  BOOST_TEST(pending.result().at("status").as_string() == "pending_deployment");
  BOOST_TEST(pending.result().at("errors").at(0).as_string().find("AAAA 100::") != std::string::npos);
  auto record = f.client.post(zone_path(f.id(), "/dns_records"),
                              json::object{{"type", "AAAA"}, {"name", origin}, {"content", "100::"}, {"proxied", true}},
                              f.global());
  BOOST_TEST_REQUIRE(record.status == 200u, record.body);
  f.server.activate_custom_hostnames();
  auto active = f.client.get(path, f.global());
  BOOST_TEST(active.result().at("status").as_string() == "active");
  BOOST_TEST(active.result().at("errors").as_array().empty());
  // The same origin again changes nothing.
  auto again = f.client.put(path, json::serialize(json::object{{"origin", origin}}), f.global());
  BOOST_TEST(again.result().at("status").as_string() == "active");
  auto reader = f.make_token({policy({"SSL and Certificates Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.put(path, json::serialize(json::object{{"origin", origin}}), bearer(reader.value)).status == 403u);
  BOOST_TEST(f.client.get(path, bearer(reader.value)).status == 200u);
  auto gone = f.client.del(path, f.global());
  BOOST_TEST(gone.status == 200u);
  BOOST_TEST(gone.result().at("status").as_string() == "pending_deletion");
  BOOST_TEST(f.client.get(path, f.global()).status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
