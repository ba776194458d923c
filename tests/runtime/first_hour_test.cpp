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

BOOST_AUTO_TEST_SUITE(terminal_manners)

// The run's stdout as a terminal shows it: pipewright runs under script(1),
// on a pseudo-terminal, bounded to 30 s.
std::string on_a_terminal(const TempDir& dir, const std::string& args, std::map<std::string, std::string> env) {
  pw::test::SpawnOptions o;
  o.argv = {"timeout", "30", "script", "-qec", pw::test::pipewright_bin() + " " + args, "/dev/null"};
  o.search_path = true;
  o.cwd = dir.path;
  o.env = std::move(env);
  o.stdout_file = dir.path / "terminal.out";
  o.stderr_file = dir.path / "terminal.err";
  pw::test::ChildProcess child(o);
  BOOST_TEST(child.wait() == 0, dir.read("terminal.out") << dir.read("terminal.err"));
  return dir.read("terminal.out");
}

BOOST_AUTO_TEST_CASE(colour_on_a_terminal_unless_no_color_and_never_into_a_pipe) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.echo"}]})");
  const std::map<std::string, std::string> utf8{{"LANG", "C.UTF-8"}, {"LC_ALL", ""}, {"TERM", "xterm"}, {"NO_COLOR", ""}};
  const std::string coloured = on_a_terminal(dir, "run " + file.string(), utf8);
  BOOST_TEST(coloured.find("\x1b[32m✓\x1b[0m a") != std::string::npos, coloured);
  BOOST_TEST(coloured.find("\x1b[32mrun succeeded\x1b[0m") != std::string::npos, coloured);
  auto no_color = utf8;
  no_color["NO_COLOR"] = "1";
  const std::string plain = on_a_terminal(dir, "run " + file.string(), no_color);
  BOOST_TEST(plain.find("\x1b[") == std::string::npos, plain);
  BOOST_TEST(plain.find("✓ a") != std::string::npos, plain);
  auto piped = run(dir, {"run", file.string()}, utf8);
  BOOST_TEST(piped.out.find("\x1b[") == std::string::npos, piped.out);
  BOOST_TEST(piped.out.find("✓ a") != std::string::npos, piped.out);
}

BOOST_AUTO_TEST_CASE(ascii_symbols_without_a_utf8_locale_or_on_a_dumb_terminal) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.echo"}]})");
  for (const auto& env : std::vector<std::map<std::string, std::string>>{
           {{"LANG", "C"}, {"LC_ALL", ""}, {"LC_CTYPE", ""}, {"TERM", "xterm"}},
           {{"LANG", "C.UTF-8"}, {"LC_ALL", ""}, {"TERM", "dumb"}}}) {
    auto r = run(dir, {"run", file.string()}, env);
    BOOST_TEST(r.exit_code == 0, log_of(r));
    for (const char* symbol : {"▶", "✓", "→", "—"}) BOOST_TEST(r.out.find(symbol) == std::string::npos, r.out);
    BOOST_TEST(r.out.find("> p (1 step)") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("ok a") != std::string::npos, r.out);
  }
}

BOOST_AUTO_TEST_CASE(counts_match_what_is_shown_and_plurals_are_right) {
  TempDir dir;
  auto one = dir.write("one.json", R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.echo"}]})");
  auto v = run(dir, {"validate", one.string()});
  BOOST_TEST(v.out.find("valid (1 step)") != std::string::npos, log_of(v));
  auto created = run(dir, {"run", "create-token", "--sandbox"}, {{"LANG", "C.UTF-8"}, {"LC_ALL", ""}});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, log_of(created));
  BOOST_TEST(created.out.find("▶ create-token (3 steps, 2 auths)") != std::string::npos, created.out);
  std::size_t shown = 0;
  std::istringstream lines(created.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("→ ", 0) == 0) ++shown;
  BOOST_TEST(shown == 5u, created.out);
}

BOOST_AUTO_TEST_CASE(identities_are_shown_and_secrets_masked) {
  TempDir dir;
  auto r = run(dir, {"run", "create-token", "--sandbox", "-v"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, log_of(r));
  BOOST_TEST(r.out.find("Global API Key accepted for demo@pipewright.dev") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("token: ***") != std::string::npos, r.out);
  const std::string saved = dir.read(".pipewright/sandbox/.env");
  const std::string token = saved.substr(saved.find("CLOUDFLARE_API_TOKEN=") + 21, 20);
  BOOST_TEST(r.out.find(token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(structured_outputs_are_text_not_json_in_text_mode) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1,
    "steps": [{"id": "a", "uses": "core.echo", "with": {"values": {
      "ownership": {"type": "txt", "name": "_cf-custom-hostname.shop.acme-bakery.net", "value": "abc-123"},
      "records": [{"http_url": "http://shop.acme-bakery.net/.well-known/x", "http_body": "body"}],
      "results": [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}]}}}],
    "outputs": {"ownership": "${{ steps.a.outputs.ownership }}", "records": "${{ steps.a.outputs.records }}",
                "results": "${{ steps.a.outputs.results }}"}})");
  auto r = run(dir, {"run", file.string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, log_of(r));
  BOOST_TEST(r.out.find("{\"") == std::string::npos, r.out);
  BOOST_TEST(r.out.find("  ownership:\n    type: txt\n    name: _cf-custom-hostname.shop.acme-bakery.net\n    value: abc-123") !=
                 std::string::npos,
             r.out);
  BOOST_TEST(r.out.find("    -\n      http_url: http://shop.acme-bakery.net/.well-known/x\n      http_body: body") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("results: 5 entries (--output json lists them)") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(help_names_choices_as_words_and_shows_an_example) {
  TempDir dir;
  for (const char* command : {"run", "validate", "pipelines", "plugins", "sandbox"}) {
    auto h = run(dir, {command, "--help"});
    BOOST_TEST(h.exit_code == 0);
    BOOST_TEST(h.out.find("ENUM") == std::string::npos, h.out);
    BOOST_TEST(h.out.find("->") == std::string::npos, h.out);
    BOOST_TEST(h.out.find("Example") != std::string::npos, command << ":\n" << h.out);
  }
  auto h = run(dir, {"run", "--help"});
  BOOST_TEST(h.out.find("--output text|json") != std::string::npos, h.out);
}

BOOST_AUTO_TEST_SUITE_END()
