// A new user's first hour (issue: "nothing surprising, nothing dangerous,
// every mistake answered"), through the real binary: the sandbox never
// touches real credentials, typos get a suggestion, machine consumers get
// JSON, and the terminal output has manners.
#define BOOST_TEST_MODULE first_hour
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>

#include <sstream>

using pw::test::ProcessOptions;
using pw::test::ProcessResult;
using pw::test::TempDir;

namespace {

const std::string real_token = "my-real-production-token-0123456789abcdef";

ProcessResult run(const TempDir& dir, std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  ProcessOptions o;
  o.args = std::move(args);
  o.cwd = dir.path;
  o.env = std::move(env);
  o.timeout = std::chrono::seconds(60);
  return pw::test::run_pipewright(o);
}

std::string log_of(const ProcessResult& r) { return r.out + "\n--- stderr ---\n" + r.err; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_credentials)

BOOST_AUTO_TEST_CASE(create_token_in_the_sandbox_leaves_a_real_env_alone_and_test_token_finds_its_own) {
  TempDir dir;
  const std::string real_env = "# production\nCLOUDFLARE_API_TOKEN=" + real_token + "\n";
  dir.write(".env", real_env);

  auto created = run(dir, {"run", "create-token", "--sandbox"});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, log_of(created));
  BOOST_TEST(dir.read(".env") == real_env);
  const std::string sandbox_env = dir.read(".pipewright/sandbox/.env");
  BOOST_TEST(sandbox_env.find("CLOUDFLARE_API_TOKEN=") != std::string::npos, sandbox_env);
  BOOST_TEST(sandbox_env.rfind("# written by a pipewright --sandbox run", 0) == 0u, sandbox_env);

  // The sandbox persists between runs in the directory: its token still works.
  auto tested = run(dir, {"run", "test-token", "--sandbox"});
  BOOST_TEST(tested.exit_code == 0, log_of(tested));
  BOOST_TEST(tested.out.find("8/8 tests passed") != std::string::npos, log_of(tested));
  BOOST_TEST(dir.read(".env") == real_env);
  BOOST_TEST(created.out.find(real_token) == std::string::npos);
  BOOST_TEST(tested.out.find(real_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_env_file_holding_a_real_token_is_never_rewritten_by_a_sandbox_run) {
  TempDir dir;
  const std::string real_env = "CLOUDFLARE_API_TOKEN=" + real_token + "\n";
  dir.write(".env", real_env);
  const std::string named = (dir.path / ".env").string();
  auto r = run(dir, {"run", "create-token", "--sandbox", "--input", "path=" + named});
  BOOST_TEST(r.exit_code == 1, log_of(r));
  BOOST_TEST(r.out.find("refusing to replace CLOUDFLARE_API_TOKEN in " + named) != std::string::npos, log_of(r));
  BOOST_TEST(dir.read(".env") == real_env);

  // A relative path may not leave the sandbox state; an absolute path to a
  // new file is written, and marked as the sandbox's.
  auto escape = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=../x.env"});
  BOOST_TEST(escape.exit_code == 1, log_of(escape));
  BOOST_TEST(escape.out.find("leaves it") != std::string::npos, log_of(escape));
  BOOST_TEST(!std::filesystem::exists(dir.path / ".pipewright" / "x.env"));
  const std::string elsewhere = (dir.path / "sandbox.env").string();
  auto own = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=" + elsewhere});
  BOOST_TEST(own.exit_code == 0, log_of(own));
  BOOST_TEST(dir.read("sandbox.env").rfind("# written by a pipewright --sandbox run", 0) == 0u);
  // ... and a later sandbox run may replace what a sandbox run wrote.
  auto again = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=" + elsewhere});
  BOOST_TEST(again.exit_code == 0, log_of(again));
}

BOOST_AUTO_TEST_CASE(a_real_token_from_the_shell_is_not_the_sandbox_credential) {
  TempDir dir;
  auto r = run(dir, {"run", "test-token", "--sandbox"}, {{"CLOUDFLARE_API_TOKEN", real_token}});
  // Nothing the sandbox issued: the token is missing, not sent to it.
  BOOST_TEST(r.exit_code == 2, log_of(r));
  BOOST_TEST(r.err.find("CLOUDFLARE_API_TOKEN") != std::string::npos, log_of(r));
  BOOST_TEST(log_of(r).find(real_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_sandbox_state_is_fresh_and_separate) {
  TempDir dir;
  auto first = run(dir, {"run", "create-token", "--sandbox", "--sandbox-state", "one"});
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, log_of(first));
  BOOST_TEST(std::filesystem::exists(dir.path / "one" / ".env"));
  BOOST_TEST(!std::filesystem::exists(dir.path / ".pipewright"));
  // Another state knows nothing of the first one's token.
  auto other = run(dir, {"run", "test-token", "--sandbox", "--sandbox-state", "two"});
  BOOST_TEST(other.exit_code == 2, log_of(other));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(did_you_mean)

BOOST_AUTO_TEST_CASE(every_typo_gets_the_closest_name) {
  TempDir dir;
  auto plugin = dir.write("typo.json", R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.ecko"}]})");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"validate", plugin.string()}, "did you mean \"core.echo\"?"},
      {{"run", "deploy-tennant"}, "did you mean \"deploy-tenant\"?"},
      {{"plugins", "show", "cloudflare.r2.uplod"}, "did you mean \"cloudflare.r2.upload\"?"},
      {{"run", "deploy-tenant", "--input", "domian=shop.acme-bakery.net"}, "did you mean --input domain=shop.acme-bakery.net?"},
      {{"frobnicate"}, "the commands are run, validate, pipelines, plugins, sandbox"},
      {{"rnu", "create-token"}, "did you mean `pipewright run`?"},
      {{"run", "create-token", "--sandbx"}, "did you mean --sandbox?"},
      {{"validate", "./missing/dir/x.jsonc"}, "no such file: ./missing/dir/x.jsonc (the directory ./missing/dir does not exist)"},
      {{"run", "create-token", "--output", "jsn"}, "must be text or json, not \"jsn\""},
  };
  for (const auto& [args, expected] : cases) {
    auto r = run(dir, args);
    BOOST_TEST_CONTEXT(args.front() << " " << (args.size() > 1 ? args[1] : "")) {
      BOOST_TEST(r.exit_code == 2, log_of(r));
      BOOST_TEST(r.err.find(expected) != std::string::npos, log_of(r));
      // No hint names a command that does not exist.
      BOOST_TEST(r.err.find("A subcommand is required") == std::string::npos, r.err);
    }
  }
}

BOOST_AUTO_TEST_CASE(pipelines_list_and_show_say_what_each_ready_pipeline_takes) {
  TempDir dir;
  auto list = run(dir, {"pipelines", "list"});
  BOOST_TEST(list.exit_code == 0, log_of(list));
  for (const char* name : {"create-token", "test-token", "deploy-infrastructure", "deploy-tenant", "create-test-deploy"})
    BOOST_TEST(list.out.find(name) != std::string::npos, name);
  auto show = run(dir, {"pipelines", "show", "deploy-tenant"});
  BOOST_TEST(show.exit_code == 0, log_of(show));
  BOOST_TEST(show.out.find("domain (string), required") != std::string::npos, show.out);
  BOOST_TEST(show.out.find("conf/deploy-tenant.json") != std::string::npos, show.out);
  auto json = run(dir, {"pipelines", "show", "test-token", "--output", "json"});
  BOOST_REQUIRE_MESSAGE(json.exit_code == 0, log_of(json));
  const auto o = boost::json::parse(json.out).as_object();
  BOOST_TEST(o.at("name").as_string() == "test-token");
  BOOST_TEST(!o.at("inputs").as_array().empty());
  // The hint of a step's unknown `pipeline:` names a command that exists.
  auto missing = run(dir, {"pipelines", "show", "deploy-tennant"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("did you mean \"deploy-tenant\"?") != std::string::npos, log_of(missing));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_all_the_way)

// Every line of stdout is a JSON object with a "type"; stderr is empty.
void expect_only_json_events(const ProcessResult& r) {
  BOOST_TEST(r.err.empty(), r.err);
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    BOOST_TEST((!ec && v.is_object() && v.as_object().contains("type")), line);
  }
}

BOOST_AUTO_TEST_CASE(problems_before_a_run_are_json_events_on_stdout) {
  TempDir dir;
  auto bad = dir.write("bad.jsonc", "{\"pipewright\": 1, \"steps\": [{\"id\": \"a\", \"uses\": \"core.ecko\"}]}");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"run", bad.string(), "--output", "json"},
           {"validate", bad.string(), "--output", "json"},
           {"run", "create-token", "--output", "json", "--inptu", "x=1"},
           {"run", "deploy-tenant", "--output", "json", "--input", "domian=x"},
           {"validate", "./missing/x.jsonc", "--output", "json"}}) {
    auto r = run(dir, args);
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      BOOST_TEST(r.exit_code == 2);
      BOOST_TEST(r.out.find("\"type\":\"diagnostic\"") != std::string::npos, log_of(r));
      expect_only_json_events(r);
    }
  }
  auto r = run(dir, {"run", bad.string(), "--output", "json"});
  const auto first = boost::json::parse(r.out.substr(0, r.out.find('\n'))).as_object();
  BOOST_TEST(first.at("file").as_string() == bad.string());
  BOOST_TEST(first.at("line").as_int64() == 1);
  BOOST_TEST(first.at("column").as_int64() > 1);
  BOOST_TEST(first.at("severity").as_string() == "error");
  BOOST_TEST(first.at("hint").as_string() == "did you mean \"core.echo\"?");
}

BOOST_AUTO_TEST_CASE(output_events_carry_values_unless_secret) {
  TempDir dir;
  auto r = run(dir, {"run", "create-token", "--sandbox", "--output", "json"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, log_of(r));
  expect_only_json_events(r);
  bool saw_id = false, saw_value = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const auto e = boost::json::parse(line).as_object();
    if (e.at("type").as_string() != "output") continue;
    if (e.at("name").as_string() == "id") {
      saw_id = true;
      BOOST_TEST(e.at("value").as_string().size() == 32u, line);
    }
    if (e.at("name").as_string() == "value") {
      saw_value = true;
      BOOST_TEST(e.at("secret").as_bool());
      BOOST_TEST(!e.contains("value"), line);
    }
  }
  BOOST_TEST(saw_id);
  BOOST_TEST(saw_value);
}

BOOST_AUTO_TEST_SUITE_END()
