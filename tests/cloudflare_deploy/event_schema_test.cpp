// Every event of `--output json` matches conf/schema/events.schema.json:
// a demo-like full run, the same run under faults (retries, waits), a
// failing step, and validation problems. The schema is compiled with the
// config room's valijson wrapper, as pipewright compiles the pipeline schema.
#define BOOST_TEST_MODULE event_schema
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>

#include "../runtime/child_process.hpp"
#include "../runtime/test_support.hpp"
#include "json_schema.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using pw::test::ProcessResult;
using pw::test::TempDir;

namespace {

const fs::path source = PW_TEST_SOURCE_DIR;

ProcessResult run(const TempDir& dir, std::vector<std::string> args) {
  pw::test::ProcessOptions o;
  o.args = std::move(args);
  o.cwd = dir.path;
  o.env = {{"PIPEWRIGHT_CACHE_DIR", "off"}};
  o.timeout = std::chrono::seconds(120);
  return pw::test::run_pipewright(o);
}

struct Checked {
  std::set<std::string> types;
  std::size_t events = 0;
};

// Each stdout line is one event that the schema accepts; stderr is empty.
void check_stream(const pw::config_detail::JsonSchema& schema, const ProcessResult& r, Checked& seen) {
  BOOST_TEST(r.err.empty(), r.err);
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    json::value event = json::parse(line, ec);
    BOOST_TEST_REQUIRE(!ec, "not JSON: " << line);
    std::string why;
    for (const auto& v : schema.violations(event)) {
      std::string at;
      for (const auto& p : v.path) at += "/" + p;
      why += "\n  " + at + ": " + v.description;
    }
    BOOST_TEST(why.empty(), line << why);
    seen.types.insert(std::string(event.as_object().at("type").as_string()));
    ++seen.events;
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_event_of_a_full_run_and_of_validation_matches_the_shipped_schema) {
  const pw::config_detail::JsonSchema schema(json::parse(pw::test::read_file(source / "conf/schema/events.schema.json")));
  TempDir dir;
  fs::copy(source / "examples" / "site", dir.path / "site", fs::copy_options::recursive);
  Checked seen;

  auto flow = run(dir, {"run", "create-test-deploy", "--sandbox", "--output", "json", "--input", "site=site"});
  BOOST_REQUIRE_MESSAGE(flow.exit_code == 0, flow.out << flow.err);
  check_stream(schema, flow, seen);

  // Faults: HTTP retries and waits, on the same state (the token is kept).
  auto faulty = run(dir, {"run", "create-test-deploy", "--sandbox", "--output", "json", "--input", "site=site",
                          "--sandbox-faults", "429=0.3,503=0.1,seed=11"});
  BOOST_REQUIRE_MESSAGE(faulty.exit_code == 0, faulty.out << faulty.err);
  check_stream(schema, faulty, seen);

  auto failing = run(dir, {"run", "deploy-tenant", "--sandbox", "--output", "json", "--input", "site=no-such-dir",
                           "--input", "tenant=acme", "--input", "domain=shop.acme-bakery.net"});
  BOOST_TEST(failing.exit_code == 1, failing.out << failing.err);
  check_stream(schema, failing, seen);

  dir.write("bad.jsonc", "{\"pipewright\": 1, \"steps\": [{\"id\": \"a\", \"uses\": \"core.ecko\", \"neds\": []}]}");
  for (const auto& args : std::vector<std::vector<std::string>>{{"validate", "bad.jsonc", "--output", "json"},
                                                                {"validate", "create-token", "--output", "json"},
                                                                {"run", "bad.jsonc", "--output", "json"},
                                                                {"run", "nope", "--output", "json", "--bogus"}}) {
    auto r = run(dir, args);
    check_stream(schema, r, seen);
  }

  for (const char* type : {"run_started", "run_finished", "step_started", "step_finished", "log", "http", "output",
                           "diagnostic", "validated"})
    BOOST_TEST(seen.types.count(type) == 1u, "no " << type << " event was seen");
  BOOST_TEST(seen.events > 100u);
}

BOOST_AUTO_TEST_CASE(the_schema_refuses_what_the_stream_must_never_hold) {
  const pw::config_detail::JsonSchema schema(json::parse(pw::test::read_file(source / "conf/schema/events.schema.json")));
  for (const char* bad : {R"({"type": "output", "ts": 1, "step": "a", "name": "token", "secret": true, "value": "x"})",
                          R"({"type": "no_such_event", "ts": 1})",
                          R"({"type": "step_finished", "ts": 1, "step": "a", "status": "maybe", "duration_ms": 1})"})
    BOOST_TEST(!schema.violations(json::parse(bad)).empty(), bad);
}
