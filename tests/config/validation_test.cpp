// Semantic validation against fake plugins: each mistake located exactly.
#include "test_support.hpp"

#include <pipewright/plugin.h>

#include <boost/json.hpp>

#include <fstream>
#include <set>

#include <unistd.h>

using pw::test::expect_error;

namespace {

struct FakePlugins {
  std::vector<pw::PluginInfo> plugins;

  FakePlugins() {
    plugins.push_back({"core.echo", PW_KIND_STEP,
                       boost::json::parse(R"({
                         "type": "object",
                         "properties": { "message": { "type": "string" }, "count": { "type": "integer", "minimum": 1 } },
                         "required": ["message"],
                         "additionalProperties": false })"),
                       boost::json::parse(R"({ "type": "object", "properties": { "echoed": {} } })")});
    plugins.push_back({"cloudflare.auth.api_token", PW_KIND_AUTH,
                       boost::json::parse(R"({ "type": "object", "properties": { "token": { "type": "string" } },
                                               "required": ["token"] })"),
                       {}});
    plugins.push_back({"cloudflare.token.create", PW_KIND_STEP, {},
                       boost::json::parse(R"({ "type": "object", "additionalProperties": true })")});
  }

  pw::ValidationContext context() const {
    pw::ValidationContext ctx;
    ctx.find_plugin = [this](std::string_view name) -> const pw::PluginInfo* {
      for (const auto& p : plugins) {
        if (p.name == name) return &p;
      }
      return nullptr;
    };
    ctx.plugin_names = [this] {
      std::vector<std::string> names;
      for (const auto& p : plugins) names.push_back(p.name);
      return names;
    };
    ctx.find_pipeline = [](std::string_view uses, const std::filesystem::path& from) {
      auto file = from.parent_path() / std::string(uses);
      return std::filesystem::exists(file) ? file : std::filesystem::path();
    };
    ctx.check_required_inputs = false;
    return ctx;
  }
};

const FakePlugins& fakes() {
  static const FakePlugins instance;  // the context's lambdas point into it
  return instance;
}

pw::Diagnostics validate_default(std::string_view text) {
  auto r = pw::test::parse(text);
  BOOST_REQUIRE_MESSAGE(r.errors.empty(), pw::test::all_messages(r.errors));
  return pw::validate_pipeline(*r.pipeline, fakes().context());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(validation)

BOOST_AUTO_TEST_CASE(accepts_a_valid_pipeline) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "inputs": { "msg": { "required": true } },
  "auth": { "tok": { "uses": "cloudflare.auth.api_token", "with": { "token": "${{ steps.make.outputs.value }}" } } },
  "steps": [
    { "id": "make", "uses": "cloudflare.token.create" },
    { "id": "say", "uses": "core.echo", "auth": "tok", "with": { "message": "${{ inputs.msg }}", "count": 2 },
      "if": "steps.make.outputs.ok == true" }
  ],
  "outputs": { "said": "${{ steps.say.outputs.echoed }}" }
})");
  BOOST_TEST(errors.empty(), pw::test::all_messages(errors));
}

BOOST_AUTO_TEST_CASE(reports_unknown_plugin_with_closest_name) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.ecko" } ]
})");
  expect_error(errors, 3, 35, "unknown plugin \"core.ecko\"");
  BOOST_TEST(errors.at(0).hint == "did you mean \"core.echo\"?");
}

BOOST_AUTO_TEST_CASE(reports_plugin_of_wrong_kind) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "auth": { "x": { "uses": "core.echo" } },
  "steps": [ { "id": "a", "uses": "cloudflare.auth.api_token" } ]
})");
  expect_error(errors, 3, 28, "\"core.echo\" is a step plugin, not an auth plugin");
  expect_error(errors, 4, 35, "is an auth plugin and cannot run as a step");
}

BOOST_AUTO_TEST_CASE(reports_with_schema_violations_at_the_member) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo",
      "with": { "message": 5,
                "cont": 2 } },
    { "id": "b", "uses": "core.echo", "with": { "count": 0 } }
  ]
})");
  expect_error(errors, 5, 28, "parameter \"message\" has the wrong type: expected string, got integer");
  expect_error(errors, 6, 17, "unknown parameter \"cont\"");
  expect_error(errors, 7, 47, "missing required parameter \"message\"");
  expect_error(errors, 7, 58, "parameter \"count\": expected number greater than or equal to 1");
}

BOOST_AUTO_TEST_CASE(leaves_expressions_out_of_schema_validation) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "inputs": { "m": {} },
  "steps": [ { "id": "a", "uses": "core.echo", "with": { "message": "${{ inputs.m }}" } } ]
})");
  BOOST_TEST(errors.empty(), pw::test::all_messages(errors));
}

BOOST_AUTO_TEST_CASE(reports_unknown_input_reference) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "inputs": { "tenant": {} },
  "steps": [ { "id": "a", "uses": "core.echo", "with": { "message": "${{ inputs.tenat }}" } } ]
})");
  expect_error(errors, 4, 69, "unknown input \"tenat\" in 'inputs.tenat'");
  BOOST_TEST(errors.at(0).hint == "did you mean \"tenant\"?");
}

BOOST_AUTO_TEST_CASE(reports_unknown_step_and_output_references) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo", "with": { "message": "x" } },
    { "id": "b", "uses": "core.echo", "with": { "message": "${{ steps.c.outputs.echoed }}" } },
    { "id": "d", "uses": "core.echo", "with": { "message": "${{ steps.a.outputs.echo }}" } },
    { "id": "e", "uses": "core.echo", "with": { "message": "${{ steps.e.outputs.echoed }}" } }
  ]
})");
  expect_error(errors, 5, 60, "unknown step \"c\" in 'steps.c.outputs.echoed'");
  expect_error(errors, 6, 60, "step \"a\" (core.echo) has no output \"echo\"");
  expect_error(errors, 7, 60, "refers to its own output");
}

BOOST_AUTO_TEST_CASE(reports_unknown_scope_and_misplaced_matrix) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo", "with": { "message": "${{ input.x }}" } },
    { "id": "b", "uses": "core.echo", "with": { "message": "${{ matrix.tenant }}" } },
    { "id": "c", "uses": "core.echo", "with": { "message": "${{ matrix.tenant }}" }, "matrix": { "tenant": ["x"] } }
  ]
})");
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  expect_error(errors, 4, 60, "unknown reference scope \"input\"");
  BOOST_TEST(errors[0].hint == "did you mean \"inputs\"?");
  expect_error(errors, 5, 60, "matrix reference 'matrix.tenant' outside a step");
}

BOOST_AUTO_TEST_CASE(reports_unknown_needs_and_self_need) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [
    { "id": "build", "uses": "cloudflare.token.create" },
    { "id": "a", "uses": "cloudflare.token.create", "needs": ["buld", "a"] },
    { "id": "b", "uses": "cloudflare.token.create", "needs": "nope" }
  ]
})");
  expect_error(errors, 5, 63, "needs unknown step \"buld\"");
  BOOST_TEST(errors.at(0).hint == "did you mean \"build\"?");
  expect_error(errors, 5, 71, "step \"a\" needs itself");
  expect_error(errors, 6, 62, "needs unknown step \"nope\"");
}

BOOST_AUTO_TEST_CASE(reports_dependency_cycle_through_references_and_auth) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "auth": { "t": { "uses": "cloudflare.auth.api_token", "with": { "token": "${{ steps.c.outputs.v }}" } } },
  "steps": [
    { "id": "a", "uses": "cloudflare.token.create", "needs": "b" },
    { "id": "b", "uses": "cloudflare.token.create", "auth": "t" },
    { "id": "c", "uses": "cloudflare.token.create", "if": "steps.a.outputs.ok" }
  ]
})");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 5, 5, "dependency cycle: a -> b -> c -> a");
}

BOOST_AUTO_TEST_CASE(lists_explicit_and_implicit_dependencies) {
  auto r = pw::test::parse(R"({
  "pipewright": 1,
  "auth": { "t": { "uses": "cloudflare.auth.api_token", "with": { "token": "${{ steps.s.outputs.v }}" } } },
  "steps": [
    { "id": "s", "uses": "x.y" }, { "id": "n", "uses": "x.y" }, { "id": "w", "uses": "x.y" }, { "id": "c", "uses": "x.y" },
    { "id": "z", "uses": "x.y", "auth": "t", "needs": "n", "with": { "a": ["${{ steps.w.outputs.q }}"] },
      "if": "steps.c.outputs.ok || steps.z.outputs.self" }
  ]
})");
  BOOST_REQUIRE(r.errors.empty());
  const auto deps = pw::step_dependencies(*r.pipeline, r.pipeline->steps.back());
  BOOST_TEST(deps == (std::vector<std::string>{"c", "n", "s", "w"}));
}

BOOST_AUTO_TEST_CASE(a_need_waits_for_the_whole_step_and_a_reference_for_its_values) {
  auto r = pw::test::parse(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "x.y" }, { "id": "b", "uses": "x.y" }, { "id": "c", "uses": "x.y" },
    { "id": "z", "uses": "x.y", "needs": "b",
      "with": { "v": "${{ steps.a.outputs.p }}-${{ steps.b.outputs.q }}", "w": "${{ steps.a.outputs.r }}" },
      "if": "${{ steps.c.outputs.ok }}" }
  ]
})");
  BOOST_REQUIRE(r.errors.empty());
  const auto links = pw::step_links(*r.pipeline, r.pipeline->steps.back());
  BOOST_REQUIRE_EQUAL(links.size(), 3u);
  BOOST_TEST(links[0].id == "a");
  BOOST_TEST(!links[0].whole);
  BOOST_TEST((links[0].outputs == std::set<std::string>{"p", "r"}));
  BOOST_TEST(links[1].id == "b");
  BOOST_TEST(links[1].whole);
  // An `if` inside ${{ }} reads its steps as a bare one does.
  BOOST_TEST(links[2].id == "c");
  BOOST_TEST(!links[2].whole);
  BOOST_TEST((links[2].outputs == std::set<std::string>{"ok"}));
}

BOOST_AUTO_TEST_CASE(a_condition_asking_how_steps_ended_waits_for_every_step_whole) {
  for (const char* condition : {"always() && steps.a.outputs.p", "${{ failure() }}", "!cancelled()"}) {
    auto r = pw::test::parse(std::string(R"({"pipewright": 1, "steps": [{ "id": "a", "uses": "x.y" },
      { "id": "z", "uses": "x.y", "with": { "v": "${{ steps.a.outputs.p }}" }, "if": ")") + condition + R"(" }]})");
    BOOST_REQUIRE(r.errors.empty());
    const auto links = pw::step_links(*r.pipeline, r.pipeline->steps.back());
    BOOST_REQUIRE_EQUAL(links.size(), 1u);
    BOOST_TEST(links[0].whole, condition);
  }
  BOOST_TEST(!pw::condition_asks_how_steps_ended("success() && steps.a.outputs.p"));
  BOOST_TEST(!pw::condition_asks_how_steps_ended("inputs.go"));
  BOOST_TEST(pw::condition_asks_how_steps_ended(" ${{ always() }} "));
}

BOOST_AUTO_TEST_CASE(reports_missing_env_secret_and_required_input) {
  FakePlugins fakes;
  auto ctx = fakes.context();
  ctx.has_env = [](std::string_view name) { return name == "HOME"; };
  ctx.has_secret = [](std::string_view) { return false; };
  ctx.check_required_inputs = true;
  auto r = pw::test::parse(R"({
  "pipewright": 1,
  "inputs": { "zone": { "required": true } },
  "steps": [ { "id": "a", "uses": "core.echo", "with": { "message": "${{ env.HOME }}${{ env.NOPE }}${{ secrets.K }}" } } ]
})");
  auto errors = pw::validate_pipeline(*r.pipeline, ctx);
  BOOST_REQUIRE_EQUAL(errors.size(), 3u);
  expect_error(errors, 3, 15, "required input \"zone\" has no value");
  expect_error(errors, 4, 69, "environment variable \"NOPE\" is not set");
  expect_error(errors, 4, 69, "secret \"K\" is not set");
}

BOOST_AUTO_TEST_CASE(unset_variable_with_a_fallback_is_not_an_error) {
  FakePlugins fakes;
  auto ctx = fakes.context();
  ctx.has_env = [](std::string_view) { return false; };
  ctx.has_secret = [](std::string_view) { return false; };
  auto r = pw::test::parse(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo", "with": { "message": "${{ secrets.K || '' }}${{ env.E || 'x' }}${{ '' || env.F }}" } } ]
})");
  auto errors = pw::validate_pipeline(*r.pipeline, ctx);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 3, 69, "environment variable \"F\" is not set");
}

BOOST_AUTO_TEST_CASE(reports_expression_syntax_error) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo", "with": { "message": "x" }, "if": "inputs.a = 1" } ]
})");
  expect_error(errors, 3, 82, "unexpected character '='");
}

BOOST_AUTO_TEST_CASE(reports_condition_mixing_text_and_expression) {
  auto errors = validate_default(R"({
  "pipewright": 1,
  "inputs": { "a": {} },
  "steps": [ { "id": "a", "uses": "cloudflare.token.create", "if": "${{ inputs.a }} == 1" } ]
})");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 68, "\"if\" must be one expression");
}

BOOST_AUTO_TEST_CASE(validates_composed_pipeline_inputs_and_outputs) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "child.jsonc") << R"({
  "pipewright": 1,
  "inputs": { "tenant": { "required": true }, "region": { "default": "eu" } },
  "steps": [ { "id": "x", "uses": "cloudflare.token.create" } ],
  "outputs": { "url": "${{ steps.x.outputs.url }}" }
})";
  }
  const std::string parent = R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "child.jsonc", "with": { "tenat": "acme" } },
    { "id": "b", "uses": "core.echo", "with": { "message": "${{ steps.a.outputs.uri }}" } },
    { "id": "c", "uses": "missing.json" }
  ]
})";
  auto r = pw::parse_pipeline(parent, dir / "parent.jsonc");
  BOOST_REQUIRE(r.errors.empty());
  FakePlugins fakes;
  auto errors = pw::validate_pipeline(*r.pipeline, fakes.context());
  std::filesystem::remove_all(dir);
  expect_error(errors, 4, 51, "pipeline \"child.jsonc\" has no input \"tenat\"");
  expect_error(errors, 4, 49, "does not give required input \"tenant\"");
  expect_error(errors, 5, 60, "has no output \"uri\"");
  expect_error(errors, 6, 26, "pipeline \"missing.json\" not found");
  BOOST_TEST(errors.size() == 4u, pw::test::all_messages(errors));
}

// Each composed file validated without an error is handed over once, with
// the file find_pipeline named, so that a run does not read it again; one
// with an error is not.
BOOST_AUTO_TEST_CASE(hands_over_each_composed_pipeline_that_validated_cleanly) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-config-children-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good.json") << R"({"pipewright": 1, "steps": [ { "id": "x", "uses": "inner.json" } ],
    "outputs": {"v": "${{ steps.x.outputs.v }}"}})";
  std::ofstream(dir / "inner.json") << R"({"pipewright": 1,
    "steps": [ { "id": "y", "uses": "core.echo", "with": {"message": "hi"} } ],
    "outputs": {"v": "${{ steps.y.outputs.echoed }}"}})";
  std::ofstream(dir / "bad.json") << R"({"pipewright": 1, "steps": [ { "id": "z", "uses": "core.ecko" } ]})";
  auto r = pw::parse_pipeline(R"({"pipewright": 1, "steps": [
    { "id": "a", "uses": "good.json" }, { "id": "b", "uses": "good.json" }, { "id": "c", "uses": "bad.json" } ]})",
                              dir / "parent.json");
  BOOST_REQUIRE(r.errors.empty());
  FakePlugins fakes;
  auto ctx = fakes.context();
  std::map<std::string, std::shared_ptr<const pw::Pipeline>> handed;
  ctx.validated_child = [&](const std::filesystem::path& file, std::shared_ptr<const pw::Pipeline> child) {
    BOOST_TEST(handed.count(file.filename().string()) == 0u, "handed twice: " << file);
    handed[file.filename().string()] = std::move(child);
  };
  auto errors = pw::validate_pipeline(*r.pipeline, ctx);
  std::filesystem::remove_all(dir);
  BOOST_TEST(errors.size() == 1u, pw::test::all_messages(errors));
  BOOST_TEST(handed.size() == 2u);
  BOOST_REQUIRE(handed.count("good.json") == 1u);
  BOOST_REQUIRE(handed.count("inner.json") == 1u);
  BOOST_TEST(handed["good.json"]->steps.at(0).uses == "inner.json");
  BOOST_TEST(handed["inner.json"]->file == dir / "inner.json");
  BOOST_TEST(handed.count("bad.json") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
