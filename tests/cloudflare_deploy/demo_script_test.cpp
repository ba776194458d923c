// scripts/demo.sh run the way `./dev demo` runs it (TMPDIR pointed at a
// private directory that is removed afterwards), then its sandbox state
// reopened with the sandbox library to check that what it says it deployed
// exists.
#define BOOST_TEST_MODULE cloudflare_demo_script
#include "deploy_fixture.hpp"
#include "sandbox_process.hpp"

#include <pipewright/sandbox.hpp>

#include <set>

using namespace pw::deploy_test;

namespace {

struct ScriptResult {
  int exit_code = -1;  // -1 when it had to be killed
  std::string out, err;
};

// `bash script args...` in its own process group with `extra_env` (and
// without any CLOUDFLARE_* variable of ours, so the demo uses its embedded
// sandbox's identity); stdout and stderr go to files in `scratch`. Killed
// with its whole group after `timeout`, and always reaped.
ScriptResult run_script(const fs::path& script, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& extra_env, const fs::path& scratch,
                        std::chrono::seconds timeout) {
  const fs::path out = scratch / "demo.out", err = scratch / "demo.err";
  pw::test::SpawnOptions options;
  options.argv = {"bash", script.string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.search_path = true;
  options.env = extra_env;
  options.drop_env_prefixes = {"CLOUDFLARE_"};
  options.stdout_file = out;
  options.stderr_file = err;
  options.own_process_group = true;

  ScriptResult result;
  pw::test::ChildProcess child(options);
  if (!child.wait_for(timeout)) {
    child.send_signal(SIGKILL);  // the whole group
    child.wait();
  } else if (child.exited_normally()) {
    result.exit_code = child.exit_code();
  }
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

// The directory the demo says it works in ("pipewright demo in DIR").
fs::path announced_work_dir(const std::string& out) {
  const std::string prefix = "pipewright demo in ";
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return {};
}

// The files of examples/site as the keys the demo's tenant stores them under.
std::set<std::string> site_keys(const fs::path& site, const std::string& tenant) {
  std::set<std::string> keys;
  for (const auto& e : fs::recursive_directory_iterator(site))
    if (e.is_regular_file()) keys.insert(tenant + "/" + fs::relative(e.path(), site).generic_string());
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_demo_deploys_the_whole_flow_into_its_sandbox_state) {
  pw::sandbox::test::TempDir tmp;
  const auto demo = run_script(source_dir() / "scripts" / "demo.sh", {PW_TEST_BINARY_DIR},
                               {{"TMPDIR", tmp.path().string()}}, tmp.path(), std::chrono::seconds(240));
  const std::string log = demo.out + "\n--- stderr ---\n" + demo.err;
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, "demo.sh exited with " << demo.exit_code << "\n" << log);
  for (const char* expected : {"8/8 tests passed", "run succeeded", "Where things are:", "saved token"})
    BOOST_TEST(demo.out.find(expected) != std::string::npos, "the output lacks \"" << expected << "\"\n" << log);

  const fs::path work = announced_work_dir(demo.out);
  BOOST_REQUIRE_MESSAGE(!work.empty() && work.parent_path() == tmp.path(), log);
  std::size_t demo_dirs = 0;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    if (e.path().filename().string().rfind("pipewright-demo.", 0) == 0) ++demo_dirs;
  BOOST_TEST(demo_dirs == 1u);

  // The sandbox run keeps its .env with its state.
  const std::string token = token_in(work / "sandbox-state" / ".env");
  BOOST_REQUIRE(token.size() > 20u);
  BOOST_TEST(only_owner_reads_and_writes(work / "sandbox-state" / ".env"));
  BOOST_TEST(demo.out.find(token) == std::string::npos);
  BOOST_TEST(demo.err.find(token) == std::string::npos);

  // What ./dev demo promises: its state keeps being served by
  // `pipewright sandbox --state <it> --edge`, every site file byte for byte.
  if (pw::sandbox::workerd_available()) {
    BOOST_TEST(demo.out.find("through the local edge: \"Northwind Bakery\"") != std::string::npos, log);
    BOOST_TEST(demo.out.find("curl -H 'Host: shop.northwind-bakery.net' http://127.0.0.1:") != std::string::npos);
    pw::sandbox::test::SandboxProcess edge(tmp.path(), "edge",
                                           {"--state", (work / "sandbox-state").string(), "--edge", "127.0.0.1:0",
                                            "--output", "json"});
    const auto port = pw::sandbox::test::url_port(std::string(edge.json_identity().at("edge_url").as_string()));
    const fs::path site = source_dir() / "examples" / "site";
    for (const auto& e : fs::recursive_directory_iterator(site)) {
      if (!e.is_regular_file()) continue;
      const auto relative = fs::relative(e.path(), site);
      auto got = pw::sandbox::test::edge_get(port, "shop.northwind-bakery.net", pw::sandbox::test::url_path(relative));
      BOOST_TEST(got.status == 200u, relative);
      BOOST_TEST((got.body == read_file(e.path())), relative << " is not served byte for byte");
    }
    BOOST_TEST(pw::sandbox::test::edge_get(port, "unknown.customer-site.net", "/").status == 404u);
    BOOST_TEST(edge.stop() == 0);
  } else {
    BOOST_TEST_MESSAGE("workerd not found: the edge part of the demo is not checked");
  }

  pw::sandbox::Options options;
  options.state_dir = work / "sandbox-state";
  pw::sandbox::test::SandboxFixture state(options);
  const auto& id = state.id();
  const auto global = state.global();
  const std::string account = "/accounts/" + id.account_id;
  const std::string zone = "/zones/" + id.zone_id;

  BOOST_TEST(state.client.get("/user/tokens/verify", pw::sandbox::test::bearer(token)).status == 200u);

  BOOST_TEST(state.client.get(account + "/r2/buckets/pipewright-sites", global).status == 200u);

  auto scripts = state.client.get(account + "/workers/scripts", global);
  BOOST_REQUIRE_MESSAGE(scripts.status == 200u, scripts.body);
  std::set<std::string> script_names;
  for (const auto& s : scripts.result().as_array()) script_names.insert(std::string(s.at("id").as_string()));
  BOOST_TEST(script_names.count("pipewright-site-router") == 1u);
  auto router = state.client.get(account + "/workers/scripts/pipewright-site-router", global);
  BOOST_TEST(router.body.find("hostMetadata") != std::string::npos);

  auto routes = state.client.get(zone + "/workers/routes", global);
  BOOST_REQUIRE_MESSAGE(routes.status == 200u, routes.body);
  BOOST_REQUIRE(routes.result().as_array().size() == 1u);
  BOOST_TEST(routes.result().at(0).at("pattern").as_string() == "*/*");
  BOOST_TEST(routes.result().at(0).at("script").as_string() == "pipewright-site-router");

  const fs::path site = source_dir() / "examples" / "site";
  auto listing = state.client.get(account + "/r2/buckets/pipewright-sites/objects?per_page=1000&prefix=northwind/", global);
  BOOST_REQUIRE_MESSAGE(listing.status == 200u, listing.body);
  std::set<std::string> stored;
  for (const auto& item : listing.result().as_array()) stored.insert(std::string(item.at("key").as_string()));
  const auto expected = site_keys(site, "northwind");
  BOOST_TEST(expected.size() > 1u);
  BOOST_TEST(stored == expected, boost::test_tools::per_element());
  auto home = state.client.get(account + "/r2/buckets/pipewright-sites/objects/northwind/index.html", global);
  BOOST_TEST(home.body == read_file(site / "index.html"));

  auto hostnames = state.client.get(zone + "/custom_hostnames?hostname=shop.northwind-bakery.net", global);
  BOOST_REQUIRE_MESSAGE(hostnames.status == 200u, hostnames.body);
  BOOST_REQUIRE(hostnames.result().as_array().size() == 1u);
  const auto& hostname = hostnames.result().at(0);
  BOOST_TEST(hostname.at("status").as_string() == "active");
  BOOST_TEST(hostname.at("custom_metadata").at("tenant").as_string() == "northwind");
}
