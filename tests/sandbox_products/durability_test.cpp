// A restart with the same state_dir keeps every product's data.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(restart_with_the_same_state_dir_keeps_everything) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path();
  o.hostname_activation_delay = std::chrono::milliseconds{0};
  std::string route_id, hostname_id, dns_id;
  {
    SandboxFixture f(o);
    BOOST_TEST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
    auto h = f.global();
    h.emplace_back("Content-Type", "text/html");
    BOOST_TEST_REQUIRE(f.client.request("PUT", r2(f.id(), "/site-assets/objects/t1/index.html"), h, "<h1>kept</h1>").status == 200u);
    BOOST_TEST_REQUIRE(upload(f.client, scripts(f.id(), "/site-worker"),
                              module_worker(json::object{{"main_module", "index.js"},
                                                         {"bindings", json::array{json::object{{"type", "r2_bucket"}, {"name", "ASSETS"}, {"bucket_name", "site-assets"}}}}}),
                              f.global()).status == 200u);
    auto r = f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", f.id().zone_name + "/*"}, {"script", "site-worker"}}, f.global());
    route_id = std::string(r.result().at("id").as_string());
    auto c = f.client.post(zone_path(f.id(), "/custom_hostnames"), json::object{{"hostname", "shop.customer-site.net"}}, f.global());
    BOOST_TEST_REQUIRE(c.status == 201u);
    hostname_id = std::string(c.result().at("id").as_string());
    auto d = f.client.post(zone_path(f.id(), "/dns_records"), json::object{{"type", "A"}, {"name", "www"}, {"content", "192.0.2.1"}}, f.global());
    dns_id = std::string(d.result().at("id").as_string());
  }
  SandboxFixture f(o);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets"), f.global()).status == 200u);
  auto obj = f.client.get(r2(f.id(), "/site-assets/objects/t1/index.html"), f.global());
  BOOST_TEST(obj.status == 200u);
  BOOST_TEST(obj.body == "<h1>kept</h1>");
  BOOST_TEST(obj.header("Content-Type") == "text/html");
  auto script = f.client.get(scripts(f.id(), "/site-worker"), f.global());
  BOOST_TEST(script.status == 200u);
  BOOST_TEST(script.body.find("export default") == 0u);
  BOOST_TEST(f.client.get(zone_path(f.id(), "/workers/routes/" + route_id), f.global()).result().at("script").as_string() == "site-worker");
  auto ch = f.client.get(zone_path(f.id(), "/custom_hostnames/" + hostname_id), f.global());
  BOOST_TEST(ch.result().at("hostname").as_string() == "shop.customer-site.net");
  auto dns = f.client.get(zone_path(f.id(), "/dns_records"), f.global());
  BOOST_TEST_REQUIRE(dns.result().as_array().size() == 1u);
  BOOST_TEST(dns.result().at(0).at("id").as_string() == dns_id);
}

// The SQL a session prepared is kept next to the database and prepared
// again at the next start; the list is rewritten only when it changes, and
// text that no longer prepares (or a damaged list) is skipped, never fatal.
BOOST_AUTO_TEST_CASE(the_statements_a_session_used_are_prepared_again_at_the_next_start) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path();
  const auto list = dir.path() / "sandbox.db-statements";
  auto read_list = [&] {
    std::ifstream f(list, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  {
    SandboxFixture f(o);
    BOOST_TEST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global()).status == 200u);
    BOOST_TEST_REQUIRE(f.client.get(r2(f.id(), "/site-assets/objects"), f.global()).status == 200u);
  }
  BOOST_TEST_REQUIRE(std::filesystem::exists(list));
  const std::string first = read_list();
  BOOST_TEST(first.find("FROM r2_objects") != std::string::npos);
  BOOST_TEST(first.back() == '\0');
  const auto written_at = std::filesystem::last_write_time(list);
  {
    SandboxFixture f(o);  // the same requests again: nothing new to remember
    BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/objects"), f.global()).status == 200u);
  }
  BOOST_TEST(read_list() == first);
  BOOST_TEST((std::filesystem::last_write_time(list) == written_at));
  {
    std::ofstream damaged(list, std::ios::binary | std::ios::app);
    damaged << "SELECT nothing FROM no_such_table" << '\0' << "not SQL at all" << '\0' << "SELECT 1";
  }
  SandboxFixture f(o);
  auto listed = f.client.get(r2(f.id(), "/site-assets/objects"), f.global());
  BOOST_TEST(listed.status == 200u, listed.body);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets"), f.global()).status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
