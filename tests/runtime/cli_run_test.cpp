// Drives the real pipewright binary with the core plugins: scheduling,
// retries, timeouts, conditions, secrets, exit codes and interruption.
#define BOOST_TEST_MODULE runtime_cli
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"
#include "test_support.hpp"

#include <regex>
#include <thread>

using pw::test::Events;
using pw::test::ProcessOptions;
using pw::test::ProcessResult;
using pw::test::TempDir;

namespace {

ProcessResult run(const TempDir& dir, std::vector<std::string> args,
                  std::map<std::string, std::string> env = {}) {
  ProcessOptions o;
  o.args = std::move(args);
  o.cwd = dir.path;
  o.env = std::move(env);
  return pw::test::run_pipewright(o);
}

ProcessResult run_json(const TempDir& dir, const std::string& file,
                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", file, "--output", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(dir, args);
}

std::string fixture_dir(const std::string& name) {
  return std::string(PW_TEST_BINARY_DIR) + "/test-plugins/" + name;
}

}  // namespace

BOOST_AUTO_TEST_CASE(steps_run_in_dependency_order_and_pass_outputs) {
  TempDir dir;
  auto file = dir.write("p.json", R"({
    "pipewright": 1,
    "steps": [
      {"id": "c", "uses": "core.echo", "needs": ["b"], "with": {"values": {"z": 1}}},
      {"id": "b", "uses": "core.echo",
       "with": {"values": {"y": "${{ steps.a.outputs.x }}-two"}}},
      {"id": "a", "uses": "core.echo", "with": {"values": {"x": "one"}}}
    ],
    "outputs": {"result": "${{ steps.b.outputs.y }}"}
  })");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  BOOST_TEST(ev.all_valid);
  BOOST_TEST(ev.ts("step_finished", "a") <= ev.ts("step_started", "b"));
  BOOST_TEST(ev.ts("step_finished", "b") <= ev.ts("step_started", "c"));
  auto* done = ev.find("run_finished");
  BOOST_REQUIRE(done);
  BOOST_TEST(done->at("status").as_string() == "ok");
  BOOST_TEST(done->at("outputs").at("result").as_string() == "one-two");
}

BOOST_AUTO_TEST_CASE(a_step_reading_a_composed_pipelines_output_starts_once_that_output_exists) {
  TempDir dir;
  dir.write("lib/infra.json", R"({"pipewright": 1, "steps": [
      {"id": "bucket", "uses": "core.echo", "with": {"values": {"name": "sites"}}},
      {"id": "route", "uses": "core.echo", "needs": "bucket", "with": {"delay_ms": 1500, "values": {"pattern": "*/*"}}}],
    "outputs": {"bucket": "${{ steps.bucket.outputs.name }}", "route": "${{ steps.route.outputs.pattern }}"}})");
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "infra", "uses": "lib/infra.json"},
      {"id": "upload", "uses": "core.echo", "with": {"values": {"into": "${{ steps.infra.outputs.bucket }}"}}},
      {"id": "report", "uses": "core.echo", "needs": "infra", "with": {"values": {"route": "${{ steps.infra.outputs.route }}"}}}],
    "outputs": {"into": "${{ steps.upload.outputs.into }}", "route": "${{ steps.report.outputs.route }}"}})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  BOOST_TEST(ev.all_valid);
  // A reference waits for the value: upload ran while infra/route still waited.
  BOOST_TEST(ev.position("step_finished", "upload") < ev.position("step_finished", "infra/route"));
  // `needs` waits for the whole step.
  BOOST_TEST(ev.position("step_started", "report") > ev.position("step_finished", "infra"));
  auto* done = ev.find("run_finished");
  BOOST_REQUIRE(done);
  BOOST_TEST(done->at("outputs").at("into").as_string() == "sites");
  BOOST_TEST(done->at("outputs").at("route").as_string() == "*/*");
}

BOOST_AUTO_TEST_CASE(independent_steps_run_concurrently) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "left", "uses": "core.echo", "with": {"delay_ms": 1500}},
      {"id": "right", "uses": "core.echo", "with": {"delay_ms": 1500}}]})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  // Overlap: each one started before the other finished.
  BOOST_TEST(ev.ts("step_started", "left") < ev.ts("step_finished", "right"));
  BOOST_TEST(ev.ts("step_started", "right") < ev.ts("step_finished", "left"));
}

BOOST_AUTO_TEST_CASE(max_parallel_one_serialises_independent_steps) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "left", "uses": "core.echo", "with": {"delay_ms": 300}},
      {"id": "right", "uses": "core.echo", "with": {"delay_ms": 300}}]})");
  auto r = run_json(dir, file.string(), {"--max-parallel", "1"});
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  auto first_done = std::min(ev.ts("step_finished", "left"), ev.ts("step_finished", "right"));
  auto last_done = std::max(ev.ts("step_finished", "left"), ev.ts("step_finished", "right"));
  BOOST_TEST(last_done - first_done >= 250);
}

BOOST_AUTO_TEST_CASE(retry_succeeds_on_a_later_attempt) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "flaky", "uses": "core.echo", "retry": {"attempts": 3, "backoff": "50ms"},
       "with": {"fail_attempts": 2, "values": {"ok": true}}}]})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  BOOST_TEST(ev.all("step_retried", "flaky").size() == 2u);
  auto starts = ev.all("step_started", "flaky");
  BOOST_REQUIRE(starts.size() == 3u);
  BOOST_TEST(starts.back()->at("attempt").as_int64() == 3);
  BOOST_TEST(ev.status("flaky") == "ok");
}

BOOST_AUTO_TEST_CASE(retry_gives_up_after_the_last_attempt) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "flaky", "uses": "core.echo", "retry": {"attempts": 2, "backoff": "10ms"},
       "with": {"fail_attempts": 5}}]})");
  auto r = run_json(dir, file.string());
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(Events(r.out).status("flaky") == "failed");
}

BOOST_AUTO_TEST_CASE(timeout_fails_the_step) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "slow", "uses": "core.echo", "timeout": "500ms", "with": {"delay_ms": 20000}}]})");
  auto r = run(dir, {"run", file.string()});
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.find("timed out after 500ms") != std::string::npos);
  BOOST_TEST(r.elapsed.count() < 15000);
}

BOOST_AUTO_TEST_CASE(continue_on_error_lets_the_run_go_on) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "broken", "uses": "core.echo", "continue_on_error": true, "with": {"fail": "expected failure"}},
      {"id": "after", "uses": "core.echo", "needs": ["broken"], "with": {"values": {"a": 1}}}]})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  BOOST_TEST(ev.status("broken") == "failed");
  BOOST_TEST(ev.find("step_finished", "broken")->contains("continued"));
  BOOST_TEST(ev.status("after") == "ok");
}

BOOST_AUTO_TEST_CASE(if_skips_and_failure_runs_after_a_failed_need) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1,
    "inputs": {"flag": {"default": "no"}},
    "steps": [
      {"id": "gated", "uses": "core.echo", "if": "${{ inputs.flag == 'yes' }}"},
      {"id": "bad", "uses": "core.echo", "with": {"fail": "on purpose"}},
      {"id": "dependent", "uses": "core.echo", "needs": ["bad"]},
      {"id": "cleanup", "uses": "core.echo", "needs": ["bad"], "if": "${{ failure() }}"}]})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 1);
  Events ev(r.out);
  BOOST_TEST(ev.status("gated") == "skipped");
  BOOST_TEST(ev.status("bad") == "failed");
  BOOST_TEST(ev.status("dependent") == "skipped");
  BOOST_TEST(ev.status("cleanup") == "ok");
}

BOOST_AUTO_TEST_CASE(secrets_never_reach_any_output) {
  TempDir dir;
  const std::string env_secret = "env-secret-Zq7w\"x";
  const std::string output_secret = "generated-token-8Hj2Kp";
  dir.write("secrets.env", "PW_TEST_SECRET=\"env-secret-Zq7w\\\"x\"\n");
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "mint", "uses": "core.echo", "with": {"secret": true, "values": {"token": "generated-token-8Hj2Kp"}}},
      {"id": "show", "uses": "core.echo", "with": {"values": {
         "plain": "${{ secrets.PW_TEST_SECRET }}",
         "copied": "token=${{ steps.mint.outputs.token }}"}}},
      {"id": "quote", "uses": "core.echo", "needs": ["show"],
       "with": {"fail": "rejected ${{ secrets.PW_TEST_SECRET }} and ${{ steps.mint.outputs.token }}"}}]})");
  for (std::vector<std::string> format : {std::vector<std::string>{"--output", "json"},
                                          std::vector<std::string>{"-v"}}) {
    std::vector<std::string> args{"run", file.string(), "--env-file", "secrets.env"};
    args.insert(args.end(), format.begin(), format.end());
    auto r = run(dir, args);
    BOOST_TEST_INFO(r.out << r.err);
    BOOST_TEST(r.exit_code == 1);
    for (const std::string* text : {&r.out, &r.err}) {
      BOOST_TEST(text->find("env-secret-Zq7w") == std::string::npos);
      BOOST_TEST(text->find(output_secret) == std::string::npos);
    }
    BOOST_TEST(r.out.find("rejected *** and ***") != std::string::npos);
    if (format[0] == "--output") BOOST_TEST(Events(r.out).all_valid);
  }
  (void)env_secret;
}

BOOST_AUTO_TEST_CASE(invalid_output_json_fails_the_step_with_the_plugin_named) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "bad", "uses": "fixture.invalid.output"}]})");
  auto r = run(dir, {"run", file.string(), "--plugin-path", fixture_dir("invalid_output")});
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.find("plugin fixture.invalid.output set output broken to invalid JSON") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(exit_code_2_for_config_errors_and_missing_inputs) {
  TempDir dir;
  auto bad = dir.write("bad.json", R"({"pipewright": 1, "steps": [{"id": "x", "uses": "core.echo", "bogus": 1}]})");
  BOOST_TEST(run(dir, {"run", bad.string()}).exit_code == 2);
  BOOST_TEST(run(dir, {"run", "no-such-pipeline"}).exit_code == 2);
  auto needs = dir.write("needs.json", R"({"pipewright": 1, "inputs": {"tenant": {"required": true}},
    "steps": [{"id": "x", "uses": "core.echo", "with": {"values": {"t": "${{ inputs.tenant }}"}}}]})");
  auto r = run(dir, {"run", needs.string()});
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("tenant") != std::string::npos);
  BOOST_TEST(run(dir, {"run", needs.string(), "--input", "tenant=acme"}).exit_code == 0);
  BOOST_TEST(run(dir, {"frobnicate"}).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(exit_code_3_when_a_needed_plugin_was_refused) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "x", "uses": "fixture.wrong.major"}]})");
  auto r = run(dir, {"run", file.string(), "--plugin-path", fixture_dir("wrong_major")});
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find("fixture.wrong.major") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigint_during_a_step_exits_130_quickly) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "long", "uses": "core.echo", "with": {"delay_ms": 60000}},
      {"id": "later", "uses": "core.echo", "needs": ["long"]}]})");
  ProcessOptions o;
  o.args = {"run", file.string(), "--output", "json"};
  o.cwd = dir.path;
  o.signal_when = "\"step_started\"";
  o.timeout = std::chrono::milliseconds(30000);
  auto r = pw::test::run_pipewright(o);
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(r.exit_code == 130);
  BOOST_TEST(r.elapsed_after_signal.count() < 10000);
  Events ev(r.out);
  BOOST_TEST(ev.status("long") == "cancelled");
  BOOST_TEST(ev.find("run_finished")->at("status").as_string() == "interrupted");
}

// Into a file or a pipe, events are not flushed one by one, but none waits
// longer than the flush interval: a finished step shows while the next one
// is still running.
BOOST_AUTO_TEST_CASE(buffered_events_reach_a_file_while_the_run_goes_on) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "quick", "uses": "core.echo", "with": {"values": {"n": 1}}},
      {"id": "slow", "uses": "core.echo", "with": {"delay_ms": 20000}, "needs": ["quick"]}]})");
  pw::test::SpawnOptions o;
  o.argv = {pw::test::pipewright_bin(), "run", file.string(), "--output", "json"};
  o.cwd = dir.path;
  o.stdout_file = dir.path / "events.jsonl";
  o.stderr_file = dir.path / "stderr.txt";
  pw::test::ChildProcess child(o);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = dir.read("events.jsonl");
    if (seen.find(R"("step":"slow","plugin")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST(seen.find(R"("type":"run_started")") != std::string::npos, seen);
  BOOST_TEST(seen.find(R"("step":"quick","status":"ok")") != std::string::npos, seen);
  BOOST_TEST(seen.find(R"("step":"slow","plugin")") != std::string::npos, seen);  // its step_started
  BOOST_TEST(seen.find(R"("type":"run_finished")") == std::string::npos, seen);  // still running
  child.stop(std::chrono::seconds(10));
  const std::string all = dir.read("events.jsonl");
  BOOST_TEST(all.find(R"("type":"run_finished")") != std::string::npos, all);
  BOOST_TEST(all.back() == '\n');
}

// The embedded sandbox starts on a helper thread while the plugins load; a
// sandbox that cannot start still stops the run before anything runs, with
// the reason, and exit code 2.
BOOST_AUTO_TEST_CASE(an_embedded_sandbox_that_cannot_start_stops_the_run_with_the_reason) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "a", "uses": "core.echo", "with": {"values": {"ran": true}}}]})");
  dir.write("not-a-dir", "a file where the state directory should be");
  auto bad_state = run(dir, {"run", file.string(), "--sandbox", "--sandbox-state", (dir.path / "not-a-dir").string()});
  BOOST_TEST(bad_state.exit_code == 2, bad_state.out << bad_state.err);
  BOOST_TEST(bad_state.err.find("the embedded sandbox did not start") != std::string::npos, bad_state.err);
  BOOST_TEST(bad_state.err.find("not-a-dir") != std::string::npos, bad_state.err);
  BOOST_TEST(bad_state.out.find("ran") == std::string::npos, bad_state.out);
  auto bad_faults = run(dir, {"run", file.string(), "--sandbox", "--sandbox-faults", "bogus=1"});
  BOOST_TEST(bad_faults.exit_code == 2, bad_faults.out << bad_faults.err);
  BOOST_TEST(bad_faults.err.find("unknown key \"bogus\"") != std::string::npos, bad_faults.err);
}

BOOST_AUTO_TEST_CASE(validate_reports_every_error_with_its_location) {
  TempDir dir;
  auto file = dir.write("broken.json", R"({
  "pipewright": 1,
  "steps": [
    {"id": "a", "uses": "core.echo", "with": {"values": {"x": "${{ steps.nope.outputs.y }}"}}},
    {"id": "b", "uses": "core.no_such_plugin"},
    {"id": "c", "uses": "core.echo", "needs": ["missing"], "with": {"delay_ms": "soon"}}
  ]
})");
  auto r = run(dir, {"validate", file.string()});
  BOOST_TEST_INFO(r.err);
  BOOST_TEST(r.exit_code == 2);
  std::regex located("broken\\.json:[0-9]+:[0-9]+");
  auto n = std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), located),
                         std::sregex_iterator());
  BOOST_TEST(n >= 3);
  auto good = dir.write("good.json", R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.echo"}]})");
  BOOST_TEST(run(dir, {"validate", good.string()}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(validate_accepts_every_shipped_pipeline_and_a_schema_key) {
  TempDir dir;
  int checked = 0;
  for (const char* folder : {"conf", "conf/lib"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(PW_TEST_SOURCE_DIR) + "/" + folder)) {
      if (entry.path().extension() != ".json") continue;
      auto r = run(dir, {"validate", entry.path().string()});
      BOOST_TEST(r.exit_code == 0, entry.path().string() << ":\n" << r.err);
      ++checked;
    }
  }
  BOOST_TEST(checked >= 8);
  auto editor = dir.write("editor.json", R"({"$schema": "conf/schema/pipeline.schema.json", "pipewright": 1,
    "steps": [{"id": "a", "uses": "core.echo"}]})");
  auto r = run(dir, {"validate", editor.string()});
  BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_AUTO_TEST_CASE(validate_output_json_gives_each_problem_and_the_verdict_as_json) {
  TempDir dir;
  auto file = dir.write("broken.json",
                        R"({"pipewright": 1, "steps": [{"id": "a", "uses": "core.echo", "neds": []}]})");
  auto r = run(dir, {"validate", file.string(), "--output", "json"});
  BOOST_TEST(r.exit_code == 2, r.out << r.err);
  // Everything on stdout, one event per line: each problem, then the verdict.
  BOOST_TEST(r.err.empty(), r.err);
  const auto problem = boost::json::parse(r.out.substr(0, r.out.find('\n'))).as_object();
  BOOST_TEST(problem.at("type").as_string() == "diagnostic");
  BOOST_TEST(problem.at("severity").as_string() == "error");
  BOOST_TEST(problem.at("summary").as_string() == "unknown key \"neds\" in step");
  BOOST_TEST(problem.at("hint").as_string() == "did you mean \"needs\"?");
  BOOST_TEST(problem.at("file").as_string() == file.string());
  BOOST_TEST(problem.at("line").as_int64() == 1);
  BOOST_TEST(problem.at("column").as_int64() == 62);
  const auto verdict = boost::json::parse(r.out.substr(r.out.find('\n') + 1)).as_object();
  BOOST_TEST(verdict.at("type").as_string() == "validated");
  BOOST_TEST(verdict.at("valid").as_bool() == false);
  BOOST_TEST(verdict.at("problems").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(plugins_list_shows_core_plugins_and_refused_ones) {
  TempDir dir;
  auto r = run(dir, {"plugins", "list", "--plugin-path", fixture_dir("wrong_major")});
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("core.echo") != std::string::npos);
  BOOST_TEST(r.out.find("core.dotenv.write") != std::string::npos);
  BOOST_TEST(r.out.find("refused") != std::string::npos);
  BOOST_TEST(r.out.find("fixture.wrong.major") != std::string::npos);
  auto show = run(dir, {"plugins", "show", "core.echo"});
  BOOST_TEST(show.exit_code == 0);
  BOOST_TEST(show.out.find("delay_ms") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_and_version_exit_0) {
  TempDir dir;
  auto v = run(dir, {"--version"});
  BOOST_TEST(v.exit_code == 0);
  BOOST_TEST(v.out.find("pipewright") != std::string::npos);
  BOOST_TEST(run(dir, {"run", "--help"}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(a_step_with_process_isolation_runs_and_passes_outputs) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "a", "uses": "core.echo", "isolation": "process", "with": {"values": {"x": "one"}}},
      {"id": "b", "uses": "core.echo", "isolation": "process",
       "with": {"values": {"y": "${{ steps.a.outputs.x }}-two"}}}],
    "outputs": {"y": "${{ steps.b.outputs.y }}"}})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  Events ev(r.out);
  auto* done = ev.find("run_finished");
  BOOST_REQUIRE(done);
  BOOST_TEST(done->at("outputs").at("y").as_string() == "one-two");
}

BOOST_AUTO_TEST_CASE(a_secret_pipeline_output_is_masked_and_the_json_stays_valid) {
  TempDir dir;
  auto file = dir.write("p.json", R"({"pipewright": 1, "steps": [
      {"id": "mint", "uses": "core.echo", "with": {"secret": true, "values": {"token": "minted-Qx81-secret"}}}],
    "outputs": {"token": "${{ steps.mint.outputs.token }}"}})");
  auto r = run_json(dir, file.string());
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("minted-Qx81-secret") == std::string::npos);
  Events ev(r.out);
  BOOST_TEST(ev.all_valid);
  auto* done = ev.find("run_finished");
  BOOST_REQUIRE(done);
  BOOST_TEST(done->at("outputs").at("token").as_string() == "***");
}

BOOST_AUTO_TEST_CASE(sandbox_identity_replaces_real_settings_and_says_which) {
  TempDir dir;
  auto file = dir.write("p.json", R"({
    "pipewright": 1,
    "steps": [{"id": "a", "uses": "core.echo",
               "with": {"values": {"email": "${{ env.CLOUDFLARE_EMAIL }}",
                                   "account": "${{ env.CLOUDFLARE_ACCOUNT_ID }}"}}}],
    "outputs": {"email": "${{ steps.a.outputs.email }}", "account": "${{ steps.a.outputs.account }}"}
  })");
  auto demo = run(dir, {"run", file.string(), "--sandbox", "--output", "json"});
  BOOST_TEST_INFO(demo.out << demo.err);
  BOOST_REQUIRE(demo.exit_code == 0);
  const Events demo_events(demo.out);
  const auto* demo_done = demo_events.find("run_finished");
  BOOST_REQUIRE(demo_done);
  BOOST_TEST(demo_done->at("outputs").at("email").as_string() == "demo@pipewright.dev");
  BOOST_TEST(demo_done->at("outputs").at("account").as_string().size() == 32u);

  auto mine = run(dir, {"run", file.string(), "--sandbox", "--output", "json"},
                  {{"CLOUDFLARE_EMAIL", "ops@acme-bakery.net"}});
  BOOST_TEST_INFO(mine.out << mine.err);
  BOOST_REQUIRE(mine.exit_code == 0);
  const Events mine_events(mine.out);
  const auto* mine_done = mine_events.find("run_finished");
  BOOST_REQUIRE(mine_done);
  // A sandbox run never sends what the shell holds for the real API.
  BOOST_TEST(mine_done->at("outputs").at("email").as_string() == "demo@pipewright.dev");
  BOOST_TEST(mine.out.find("replace CLOUDFLARE_EMAIL from your environment") != std::string::npos, mine.out);
}

// The embedded sandbox's S3 door reaches the run as CLOUDFLARE_R2_ENDPOINT,
// over one the caller's environment names: S3 requests must hit the sandbox.
BOOST_AUTO_TEST_CASE(run_sandbox_sets_the_r2_s3_endpoint) {
  TempDir dir;
  auto file = dir.write("p.json", R"({
    "pipewright": 1,
    "steps": [{"id": "a", "uses": "core.echo",
               "with": {"values": {"endpoint": "${{ env.CLOUDFLARE_R2_ENDPOINT }}"}}}],
    "outputs": {"endpoint": "${{ steps.a.outputs.endpoint }}"}
  })");
  auto r = run(dir, {"run", file.string(), "--sandbox", "--output", "json"},
               {{"CLOUDFLARE_R2_ENDPOINT", "https://0123.r2.cloudflarestorage.com"}});
  BOOST_TEST_INFO(r.out << r.err);
  BOOST_REQUIRE(r.exit_code == 0);
  const Events events(r.out);
  const auto* done = events.find("run_finished");
  BOOST_REQUIRE(done);
  const std::string endpoint(done->at("outputs").at("endpoint").as_string());
  BOOST_TEST(endpoint.starts_with("http://127.0.0.1:"));
  BOOST_TEST(endpoint.find('/', 7) == std::string::npos, "no path: buckets go below it");
}
