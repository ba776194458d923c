// The whole create -> test -> deploy flow on the embedded sandbox while the
// API pushes back (429s, 5xx, connections dropped after the change was
// committed), twice per seed on one sandbox state. Every run must succeed;
// afterwards the state holds exactly one of everything, and the token's
// value is nowhere but .env.
#define BOOST_TEST_MODULE cloudflare_chaos
#include "deploy_fixture.hpp"

#include <set>

using namespace pw::deploy_test;
namespace sbt = pw::sandbox::test;

namespace {

// The mix, and the same with connections dropped before handling.
struct Mix {
  const char* faults;
  int seed;
};
const Mix mixes[] = {{"429=0.2,5xx=0.05,drop_after=0.02", 101},
                     {"429=0.2,5xx=0.05,drop_after=0.02", 202},
                     {"429=0.2,5xx=0.05,drop_after=0.02", 303},
                     {"429=0.15,5xx=0.05,drop_before=0.03,drop_after=0.03", 404}};

struct ChaosRun {
  pw::test::ProcessResult process;
  std::size_t throttled = 0;  // http events answered 429
  std::size_t retried = 0;    // http events followed by another attempt
};

ChaosRun run_flow(const fs::path& work, const fs::path& state, const std::string& faults) {
  pw::test::ProcessOptions options;
  options.args = {"run",           conf_pipeline("create-test-deploy.json").string(),
                  "--sandbox",     "--sandbox-state",
                  state.string(),  "--sandbox-faults",
                  faults,          "--output",
                  "json",          "--input",
                  "site=site"};
  options.cwd = work;
  options.env = {{"PIPEWRIGHT_CACHE_DIR", (work / "cache").string()}};
  options.timeout = std::chrono::seconds(240);
  ChaosRun run;
  run.process = pw::test::run_pipewright(options);
  std::istringstream lines(run.process.out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto& e = v.as_object();
    if (e.at("type") == "http" && e.at("status").to_number<int>() == 429) ++run.throttled;
    if (e.at("type") == "http" && e.contains("retry_in_ms")) ++run.retried;
  }
  return run;
}

// Whether `needle` is anywhere in the files below `dir` but `except`.
std::vector<fs::path> files_holding(const fs::path& dir, const std::string& needle, const fs::path& except) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path() == except) continue;
    if (read_file(e.path()).find(needle) != std::string::npos) found.push_back(e.path());
  }
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_flow_finishes_under_faults_and_makes_everything_once) {
  for (const auto& mix : mixes) {
    const std::string faults = std::string(mix.faults) + ",seed=" + std::to_string(mix.seed);
    BOOST_TEST_CONTEXT("faults " << faults) {
      sbt::TempDir work;
      fs::copy(source_dir() / "examples" / "site", work.path() / "site", fs::copy_options::recursive);
      const fs::path state = work.path() / "sandbox-state";
      fs::create_directories(state);

      std::string all_output;
      std::size_t throttled = 0, retried = 0;
      for (int round = 1; round <= 2; ++round) {
        // The second run's faults differ from the first's: same seed, later draws.
        auto run = run_flow(work.path(), state, faults);
        all_output += run.process.out + run.process.err;
        throttled += run.throttled;
        retried += run.retried;
        BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0,
                              "round " << round << " exited " << run.process.exit_code << "\n"
                                       << run.process.out << "\n--- stderr ---\n" << run.process.err);
      }
      // The faults were real: some requests were throttled and retried.
      BOOST_TEST(throttled > 0u);
      BOOST_TEST(retried >= throttled);

      const std::string token = token_in(state / ".env");
      BOOST_REQUIRE(token.size() > 20u);
      BOOST_TEST(all_output.find(token) == std::string::npos, "the token is in the run's output");
      BOOST_TEST(files_holding(work.path(), token, state / ".env").empty(),
                 "the token is in a file other than .env");

      pw::sandbox::Options options;
      options.state_dir = state;
      sbt::SandboxFixture sandbox(options);
      const auto global = sandbox.global();
      const std::string account = "/accounts/" + sandbox.id().account_id;
      const std::string zone = "/zones/" + sandbox.id().zone_id;

      auto tokens = sandbox.client.get("/user/tokens?per_page=50", global);
      BOOST_REQUIRE_MESSAGE(tokens.status == 200, tokens.body);
      BOOST_TEST(tokens.result().as_array().size() == 1u, tokens.body);
      BOOST_TEST(sandbox.client.get("/user/tokens/verify", sbt::bearer(token)).status == 200u);

      auto buckets = sandbox.client.get(account + "/r2/buckets", global);
      BOOST_REQUIRE_MESSAGE(buckets.status == 200, buckets.body);
      BOOST_TEST(buckets.result().at("buckets").as_array().size() == 1u, buckets.body);

      auto scripts = sandbox.client.get(account + "/workers/scripts", global);
      BOOST_TEST(scripts.result().as_array().size() == 1u, scripts.body);

      auto routes = sandbox.client.get(zone + "/workers/routes", global);
      std::set<std::string> patterns;
      for (const auto& r : routes.result().as_array()) patterns.insert(std::string(r.at("pattern").as_string()));
      BOOST_TEST(routes.result().as_array().size() == 1u, routes.body);
      BOOST_TEST(patterns.size() == routes.result().as_array().size());

      auto hostnames = sandbox.client.get(zone + "/custom_hostnames?per_page=50", global);
      BOOST_TEST(hostnames.result().as_array().size() == 1u, hostnames.body);

      auto objects = sandbox.client.get(account + "/r2/buckets/pipewright-sites/objects?per_page=1000", global);
      std::size_t site_files = 0;
      for (const auto& e : fs::recursive_directory_iterator(work.path() / "site"))
        if (e.is_regular_file()) ++site_files;
      BOOST_TEST(objects.result().as_array().size() == site_files + 1, objects.body);  // + the hostname mapping
    }
  }
}
