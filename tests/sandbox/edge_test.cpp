// The local edge (`pipewright sandbox --edge`): what a deploy left in a
// sandbox state is served by Host header, the deployed Worker running in
// workerd, through the real binary and the real plugins.
#include "sandbox_process.hpp"
#include "test_client.hpp"

#include <boost/test/unit_test.hpp>
#include <pipewright/sandbox.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace pw::sandbox;

namespace {

struct DeployedState {
  fs::path dir = fs::temp_directory_path() / ("pw-edge-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  fs::path site = fs::path(PW_TEST_SOURCE_DIR) / "examples" / "site";
  DeployedState() {
    fs::create_directories(dir);
    fs::copy(site, dir / "site", fs::copy_options::recursive);
    pw::test::ProcessOptions run;
    run.args = {"run", "create-test-deploy", "--sandbox", "--sandbox-state", (dir / "state").string(),
                "--input", "site=site", "--input", "wait_active=true"};
    run.cwd = dir;
    run.env = {{"PIPEWRIGHT_CACHE_DIR", "off"}};
    auto r = pw::test::run_pipewright(run);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  }
  ~DeployedState() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

struct workerd_installed {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result r(workerd_available());
    r.message() << "workerd not found (PIPEWRIGHT_WORKERD, PATH, or ./dev build installs it with npm)";
    return r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(edge, *boost::unit_test::precondition(workerd_installed()))

BOOST_AUTO_TEST_CASE(serves_every_file_of_the_deployed_site_byte_for_byte_and_404_for_an_unknown_host) {
  DeployedState deployed;
  test::SandboxProcess sandbox(deployed.dir, "edge",
                               {"--state", (deployed.dir / "state").string(), "--edge", "127.0.0.1:0", "--output", "json"});
  auto identity = sandbox.json_identity();
  BOOST_REQUIRE(identity.contains("edge_url"));
  const auto port = test::url_port(std::string(identity.at("edge_url").as_string()));
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(deployed.site)) {
    if (!entry.is_regular_file()) continue;
    const auto relative = fs::relative(entry.path(), deployed.site);
    auto got = test::edge_get(port, "shop.northwind-bakery.net", test::url_path(relative));
    BOOST_TEST(got.status == 200u, relative << ": " << got.status << " " << got.body.substr(0, 200));
    BOOST_TEST((got.body == pw::test::read_file(entry.path())), relative << " differs");
    ++files;
  }
  BOOST_TEST(files >= 9u);
  auto home = test::edge_get(port, "shop.northwind-bakery.net", "/");
  BOOST_TEST(home.status == 200u);
  BOOST_TEST(home.body == pw::test::read_file(deployed.site / "index.html"));
  BOOST_TEST(home.content_type == "text/html; charset=utf-8");
  auto missing = test::edge_get(port, "shop.northwind-bakery.net", "/no/such/page.html");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.body == pw::test::read_file(deployed.site / "404.html"));
  BOOST_TEST(test::edge_get(port, "unknown.customer-site.net", "/").status == 404u);
  BOOST_TEST(sandbox.err().find(identity.at("global_key").as_string().c_str()) == std::string::npos);
}

// The site-router Worker itself (worker/site-router.js), as deployed and run
// by workerd: host -> tenant, paths, 404 page, caching headers.
BOOST_AUTO_TEST_CASE(the_site_router_in_workerd_maps_hosts_to_tenants_and_serves_paths_with_caching_headers) {
  DeployedState deployed;
  test::SandboxProcess sandbox(deployed.dir, "edge",
                               {"--state", (deployed.dir / "state").string(), "--edge", "127.0.0.1:0", "--output", "json"});
  auto identity = sandbox.json_identity();
  const auto port = test::url_port(std::string(identity.at("edge_url").as_string()));
  const std::string shop = "shop.northwind-bakery.net";
  const auto& site = deployed.site;

  auto about = test::edge_get(port, shop, "/about/");
  BOOST_TEST(about.status == 200u);
  BOOST_TEST(about.body == pw::test::read_file(site / "about" / "index.html"));
  auto redirect = test::edge_get(port, shop, "/about");
  BOOST_TEST(redirect.status == 301u);
  BOOST_TEST(std::string(redirect.headers["Location"]) == "http://" + shop + "/about/");
  auto nested = test::edge_get(port, shop, "/docs/guides/ordering.html");
  BOOST_TEST(nested.body == pw::test::read_file(site / "docs" / "guides" / "ordering.html"));
  BOOST_TEST(test::edge_get(port, shop, "/css/site.css").content_type == "text/css; charset=utf-8");
  BOOST_TEST(test::edge_get(port, shop, "/img/logo.png").content_type == "image/png");
  BOOST_TEST(test::edge_get(port, shop, "/docs%2Fguides%2Fordering.html").status == 400u);

  auto home = test::edge_get(port, shop, "/");
  const std::string etag(home.headers["ETag"]);
  BOOST_TEST(etag.size() == 34u);
  BOOST_TEST(std::string(home.headers["Cache-Control"]) == "public, max-age=0, must-revalidate");
  auto again = test::edge_get(port, shop, "/", {{"If-None-Match", etag}});
  BOOST_TEST(again.status == 304u);
  BOOST_TEST(again.body.empty());
  auto missing = test::edge_get(port, shop, "/gone.html");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(std::string(missing.headers["Cache-Control"]) == "no-store");

  // A zone hostname has no custom-hostname metadata: the router reads the
  // mapping object _hostnames/<host>; without one nothing is served.
  const std::string zone_host = "www." + std::string(identity.at("zone_name").as_string());
  auto unmapped = test::edge_get(port, zone_host, "/");
  BOOST_TEST(unmapped.status == 404u);
  BOOST_TEST(unmapped.body.find("No site is deployed for " + zone_host) != std::string::npos);
  test::TestClient api("127.0.0.1", static_cast<std::uint16_t>(identity.at("port").as_int64()));
  test::Headers global{{"X-Auth-Email", std::string(identity.at("email").as_string())},
                       {"X-Auth-Key", std::string(identity.at("global_key").as_string())},
                       {"Content-Type", "application/json"}};
  auto mapped = api.request("PUT", "/accounts/" + std::string(identity.at("account_id").as_string()) +
                                       "/r2/buckets/pipewright-sites/objects/_hostnames/" + zone_host,
                            global, R"({"tenant":"northwind"})");
  BOOST_REQUIRE_MESSAGE(mapped.status == 200u, mapped.body);
  BOOST_TEST(test::edge_get(port, zone_host, "/").body == pw::test::read_file(site / "index.html"));
}

BOOST_AUTO_TEST_CASE(a_redeployed_worker_and_a_route_without_a_script_are_picked_up_without_a_restart) {
  DeployedState deployed;
  test::SandboxProcess sandbox(deployed.dir, "edge",
                               {"--state", (deployed.dir / "state").string(), "--edge", "127.0.0.1:0", "--output", "json"});
  auto identity = sandbox.json_identity();
  const auto port = test::url_port(std::string(identity.at("edge_url").as_string()));
  BOOST_TEST(test::edge_get(port, "shop.northwind-bakery.net", "/").status == 200u);

  test::TestClient api("127.0.0.1", static_cast<std::uint16_t>(identity.at("port").as_int64()));
  test::Headers global{{"X-Auth-Email", std::string(identity.at("email").as_string())},
                       {"X-Auth-Key", std::string(identity.at("global_key").as_string())}};
  const std::string boundary = "pwedgeboundary";
  const std::string body = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n"
                           "{\"main_module\":\"v2.js\",\"compatibility_date\":\"2026-01-15\","
                           "\"bindings\":[{\"type\":\"plain_text\",\"name\":\"GREETING\",\"text\":\"second version\"}]}\r\n"
                           "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"v2.js\"; filename=\"v2.js\"\r\n"
                           "Content-Type: application/javascript+module\r\n\r\n"
                           "export default { fetch(req, env) { return new Response(env.GREETING + ' for ' + "
                           "new URL(req.url).hostname); } };\r\n--" + boundary + "--\r\n";
  auto headers = global;
  headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  auto put = api.request("PUT", "/accounts/" + std::string(identity.at("account_id").as_string()) +
                                    "/workers/scripts/pipewright-site-router", headers, body);
  BOOST_REQUIRE_MESSAGE(put.status == 200u, put.body);
  auto second = test::edge_get(port, "shop.northwind-bakery.net", "/");
  BOOST_TEST(second.status == 200u);
  BOOST_TEST(second.body == "second version for shop.northwind-bakery.net");

  // A more specific route without a script keeps the Worker off that host.
  const std::string zone = std::string(identity.at("zone_name").as_string());
  auto route = api.post("/zones/" + std::string(identity.at("zone_id").as_string()) + "/workers/routes",
                        json::object{{"pattern", "www." + zone + "/*"}}, global);
  BOOST_REQUIRE_MESSAGE(route.status == 200u, route.body);
  BOOST_TEST(test::edge_get(port, "www." + zone, "/").status == 404u);
  BOOST_TEST(test::edge_get(port, "blog." + zone, "/").body == "second version for blog." + zone);
}

BOOST_AUTO_TEST_CASE(the_served_site_check_fails_naming_the_path_when_the_worker_maps_hostnames_wrongly) {
  DeployedState deployed;
  // The site router, but every hostname mapped to a tenant that has no site.
  std::string router = pw::test::read_file(fs::path(PW_TEST_SOURCE_DIR) / "worker" / "site-router.js");
  const std::string from = "const fromMetadata = request.cf?.hostMetadata?.tenant;";
  BOOST_REQUIRE(router.find(from) != std::string::npos);
  router.replace(router.find(from), from.size(), "const fromMetadata = \"someone-else\";");
  std::ofstream(deployed.dir / "broken.js") << router;
  auto run = [&](std::vector<std::string> args) {
    pw::test::ProcessOptions o;
    o.args = std::move(args);
    o.cwd = deployed.dir;
    o.env = {{"PIPEWRIGHT_CACHE_DIR", "off"}};
    return pw::test::run_pipewright(o);
  };
  const std::string state = (deployed.dir / "state").string();
  auto infra = run({"run", "deploy-infrastructure", "--sandbox", "--sandbox-state", state, "--input",
                    "worker_module=broken.js"});
  BOOST_REQUIRE_MESSAGE(infra.exit_code == 0, infra.out + infra.err);
  auto tenant = run({"run", "deploy-tenant", "--sandbox", "--sandbox-state", state, "--input", "site=site", "--input",
                     "tenant=northwind", "--input", "domain=shop.northwind-bakery.net"});
  const std::string said = tenant.out + tenant.err;
  BOOST_TEST(tenant.exit_code != 0, said);
  BOOST_TEST(said.find("not served as uploaded") != std::string::npos, said);
  BOOST_TEST(said.find("/css/site.css: expected 200 with css/site.css, served 404") != std::string::npos, said);
  // Unchecked, the same deploy passes.
  auto unchecked = run({"run", "deploy-tenant", "--sandbox", "--sandbox-state", state, "--input", "site=site", "--input",
                        "tenant=northwind", "--input", "domain=shop.northwind-bakery.net", "--input", "check_site=false"});
  BOOST_TEST(unchecked.exit_code == 0, unchecked.out + unchecked.err);
}

BOOST_AUTO_TEST_CASE(without_workerd_the_edge_fails_with_one_line_saying_how_to_get_it) {
  pw::test::ProcessOptions o;
  o.args = {"sandbox", "--listen", "127.0.0.1:0", "--edge", "127.0.0.1:0"};
  o.env = {{"PIPEWRIGHT_WORKERD", "/nonexistent/workerd"}};
  o.timeout = std::chrono::seconds(10);
  auto r = pw::test::run_pipewright(o);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("workerd") != std::string::npos);
  BOOST_TEST(r.err.find("npm install workerd") != std::string::npos);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(served_site_check)

BOOST_AUTO_TEST_CASE(a_site_nobody_can_reach_fails_once_without_fetching_every_page) {
  pw::test::TempDir dir;
  fs::copy(fs::path(PW_TEST_SOURCE_DIR) / "examples" / "site", dir.path / "site", fs::copy_options::recursive);
  // A loopback port nobody listens on: bound, then released.
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  std::ofstream(dir.path / "check.json")
      << R"({"pipewright": 1, "steps": [{"id": "site", "uses": "cloudflare.site.check",
           "with": {"directory": "site", "hostname": "shop.northwind-bakery.net", "hostname_status": "active",
                    "edge_url": "http://127.0.0.1:)"
      << port << R"("}}]})";
  pw::test::ProcessOptions o;
  o.args = {"run", "check.json", "--output", "json"};
  o.cwd = dir.path;
  o.env = {{"PIPEWRIGHT_CACHE_DIR", "off"}};
  o.timeout = std::chrono::seconds(30);
  auto r = pw::test::run_pipewright(o);
  BOOST_TEST(r.exit_code == 1, r.out + r.err);
  BOOST_TEST(r.out.find("cannot reach http://127.0.0.1:" + std::to_string(port)) != std::string::npos, r.out);
  // Only the first page was asked for (with its retry), never the others.
  std::size_t asked = 0, others = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto event = json::parse(line).as_object();
    if (event.at("type") != "http") continue;
    ++asked;
    if (event.at("path") != "/") ++others;
  }
  BOOST_TEST(asked >= 1u);
  BOOST_TEST(others == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
