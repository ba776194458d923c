// Shape mistakes in a pipeline file: each is reported with its exact
// line:column, and all of them together in file order.
#include "test_support.hpp"

using pw::test::expect_error;
using pw::test::parse;

BOOST_AUTO_TEST_SUITE(parse_errors)

BOOST_AUTO_TEST_CASE(accepts_comments_and_trailing_commas) {
  auto r = parse(R"({
  // a line comment
  "pipewright": 1, /* a block comment */
  "steps": [
    { "id": "a", "uses": "core.echo", "with": { "x": [1, 2,], }, },
  ],
})");
  BOOST_TEST(r.errors.empty(), pw::test::all_messages(r.errors));
  BOOST_REQUIRE(r.pipeline);
  BOOST_TEST(r.pipeline->steps.at(0).with.at("x").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(reports_syntax_error_position) {
  auto r = parse("{\n  \"pipewright\": 1,\n  \"steps\": [ tru ]\n}");
  BOOST_TEST(!r.pipeline);
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  expect_error(r.errors, 3, 14, "invalid JSON");
  BOOST_TEST(pw::render_text(r.errors[0]).starts_with("p.jsonc:3:14: error: invalid JSON"));
}

BOOST_AUTO_TEST_CASE(a_syntax_error_names_the_token_kind_without_quoting_the_text) {
  // A file given by mistake may hold a secret: the error says what kind of token, never its bytes.
  auto r = parse("{\n  \"pipewright\": 1,\n  \"steps\": [ s3cr3t-token ]\n}");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  expect_error(r.errors, 3, 14, "invalid JSON: syntax error at a bare word (strings need double quotes)");
  BOOST_TEST(pw::render_text(r.errors[0]).find("s3cr3t") == std::string::npos);
  r = parse("{}\nAKIAEXAMPLEKEY=abc");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  BOOST_TEST(r.errors[0].summary == "invalid JSON: unexpected text after the end of the document at a bare word "
                                    "(strings need double quotes)");
  BOOST_TEST(pw::render_text(r.errors[0]).find("AKIA") == std::string::npos);
  r = parse("{\"a\": 'sk_live'}");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  BOOST_TEST(r.errors[0].summary.find("single-quoted string") != std::string::npos);
  BOOST_TEST(pw::render_text(r.errors[0]).find("sk_live") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_unexpected_end_of_file) {
  auto r = parse("{\n  \"pipewright\": 1,\n");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  BOOST_TEST(r.errors[0].summary.find("end of file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_unknown_top_level_key) {
  auto r = parse(R"({
  "pipewright": 1,
  "stepz": [],
  "steps": [ { "id": "a", "uses": "core.echo" } ]
})");
  expect_error(r.errors, 3, 3, "unknown key \"stepz\" in pipeline");
  BOOST_TEST(r.errors.at(0).hint == "did you mean \"steps\"?");
}

BOOST_AUTO_TEST_CASE(reports_unknown_step_key_with_suggestion) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo", "neds": ["b"] } ]
})");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  expect_error(r.errors, 3, 48, "unknown key \"neds\" in step");
  BOOST_TEST(pw::render_text(r.errors[0]) ==
             "p.jsonc:3:48: error: unknown key \"neds\" in step\n  hint: did you mean \"needs\"?");
}

BOOST_AUTO_TEST_CASE(reports_wrong_type) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo", "continue_on_error": "yes" } ]
})");
  expect_error(r.errors, 3, 69, "\"continue_on_error\" must be a boolean");
}

BOOST_AUTO_TEST_CASE(reports_missing_id) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [
    { "uses": "core.echo" }
  ]
})");
  expect_error(r.errors, 4, 5, "step is missing \"id\"");
}

BOOST_AUTO_TEST_CASE(reports_duplicate_id) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo" },
    { "id": "a", "uses": "core.echo" }
  ]
})");
  expect_error(r.errors, 5, 13, "duplicate step id \"a\"");
  BOOST_TEST(r.errors.at(0).hint.find("line 4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_bad_id) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [ { "id": "9lives", "uses": "core.echo" } ]
})");
  expect_error(r.errors, 3, 22, "step id \"9lives\" is not a valid name");
}

BOOST_AUTO_TEST_CASE(reports_bad_duration) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo", "timeout": "5 minutes" } ]
})");
  expect_error(r.errors, 3, 59, "\"timeout\" is not a valid duration");
}

BOOST_AUTO_TEST_CASE(reports_wrong_format_version) {
  auto r = parse(R"({ "pipewright": 2, "steps": [ { "id": "a", "uses": "core.echo" } ] })");
  expect_error(r.errors, 1, 17, "unsupported file format version 2");
}

BOOST_AUTO_TEST_CASE(reports_missing_format_version_and_steps) {
  auto r = parse("{\n}");
  expect_error(r.errors, 1, 1, "missing required key \"pipewright\"");
  expect_error(r.errors, 1, 1, "missing required key \"steps\"");
}

BOOST_AUTO_TEST_CASE(reports_step_naming_unknown_auth) {
  auto r = parse(R"({
  "pipewright": 1,
  "auth": { "global": { "uses": "cloudflare.auth.global_key" } },
  "steps": [ { "id": "a", "uses": "core.echo", "auth": "globl" } ]
})");
  expect_error(r.errors, 4, 56, "auth \"globl\", which is not defined");
  BOOST_TEST(r.errors.at(0).hint == "did you mean \"global\"?");
}

BOOST_AUTO_TEST_CASE(reports_bad_uses) {
  auto r = parse(R"({ "pipewright": 1, "steps": [ { "id": "a", "uses": "Core Echo" } ] })");
  expect_error(r.errors, 1, 52, "\"uses\" must be a plugin name");
}

BOOST_AUTO_TEST_CASE(reports_duplicate_key) {
  auto r = parse(R"({ "pipewright": 1, "pipewright": 1, "steps": [ { "id": "a", "uses": "core.echo" } ] })");
  expect_error(r.errors, 1, 20, "duplicate key \"pipewright\"");
}

BOOST_AUTO_TEST_CASE(reports_every_error_in_file_order) {
  auto r = parse(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo", "retry": "often" },
    { "id": "b", "uses": "core.echo", "timout": "5s" },
    { "id": "c", "uses": "core.echo", "matrix": { "tenant": [] } }
  ],
  "extra": true
})");
  BOOST_REQUIRE_EQUAL(r.errors.size(), 4u);
  BOOST_TEST(r.errors[0].subject.where.line == 4);
  BOOST_TEST(r.errors[1].subject.where.line == 5);
  BOOST_TEST(r.errors[2].subject.where.line == 6);
  BOOST_TEST(r.errors[3].subject.where.line == 8);
  BOOST_TEST(r.errors[1].hint == "did you mean \"timeout\"?");
}

BOOST_AUTO_TEST_CASE(reads_retry_timeout_and_matrix) {
  auto r = parse(R"({
  "pipewright": 1,
  "inputs": { "zone": { "required": true, "type": "string" } },
  "steps": [
    { "id": "a", "uses": "core.echo", "retry": 3, "timeout": 1.5, "needs": "b" },
    { "id": "b", "uses": "sub/deploy.jsonc",
      "retry": { "attempts": 4, "backoff": "250ms", "factor": 3, "max_backoff": "1m30s" },
      "timeout": "2m", "matrix": { "tenant": ["x", "y"], "max_parallel": 2 } }
  ]
})");
  BOOST_REQUIRE(r.errors.empty());
  const auto& steps = r.pipeline->steps;
  BOOST_TEST(steps[0].retry.max_attempts == 3);
  BOOST_TEST(steps[0].timeout->count() == 1500);
  BOOST_TEST(steps[0].needs == std::vector<std::string>{"b"});
  BOOST_TEST(steps[0].name == "a");
  BOOST_TEST(steps[1].retry.max_attempts == 4);
  BOOST_TEST(steps[1].retry.initial_backoff.count() == 250);
  BOOST_TEST(steps[1].retry.factor == 3.0);
  BOOST_TEST(steps[1].retry.max_backoff.count() == 90000);
  BOOST_TEST(steps[1].timeout->count() == 120000);
  BOOST_TEST(steps[1].matrix->axes.at("tenant").as_array().size() == 2u);
  BOOST_TEST(steps[1].matrix->max_parallel == 2);
  BOOST_TEST(r.pipeline->inputs.at("zone").required);
  BOOST_TEST(r.pipeline->inputs.at("zone").type == "string");
}

BOOST_AUTO_TEST_CASE(reports_unreadable_file_by_name) {
  auto r = pw::load_pipeline("/nonexistent/dir/p.jsonc");
  BOOST_TEST(!r.pipeline);
  BOOST_REQUIRE_EQUAL(r.errors.size(), 1u);
  BOOST_TEST(pw::render_text(r.errors[0]).starts_with("/nonexistent/dir/p.jsonc: error: cannot read pipeline file"));
}

BOOST_AUTO_TEST_CASE(ignores_byte_order_mark) {
  auto r = parse("\xEF\xBB\xBF{ \"pipewright\": 1, \"steps\": [ { \"id\": \"a\", \"uses\": \"core.echo\" } ] }");
  BOOST_TEST(r.errors.empty(), pw::test::all_messages(r.errors));
}

BOOST_AUTO_TEST_CASE(classifies_uses) {
  BOOST_TEST(pw::is_plugin_name("cloudflare.token.create"));
  BOOST_TEST(!pw::is_plugin_name("Cloudflare.x"));
  BOOST_TEST(!pw::is_plugin_name("core..echo"));
  BOOST_TEST(pw::uses_is_pipeline("deploy.jsonc"));
  BOOST_TEST(pw::uses_is_pipeline("../conf/x"));
  BOOST_TEST(pw::uses_is_pipeline("pipeline:deploy-tenant"));
  BOOST_TEST(!pw::uses_is_pipeline("core.echo"));
}

BOOST_AUTO_TEST_CASE(parses_durations) {
  BOOST_TEST(pw::parse_duration("500ms")->count() == 500);
  BOOST_TEST(pw::parse_duration("30s")->count() == 30000);
  BOOST_TEST(pw::parse_duration("5m")->count() == 300000);
  BOOST_TEST(pw::parse_duration("1h")->count() == 3600000);
  BOOST_TEST(!pw::parse_duration("5"));
  BOOST_TEST(!pw::parse_duration("5 s"));
  BOOST_TEST(!pw::parse_duration("1d"));
}

BOOST_AUTO_TEST_SUITE_END()
