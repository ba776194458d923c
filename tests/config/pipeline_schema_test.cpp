// The pipeline schema is the one check of a file's shape: each mistake it
// catches is said plainly, with the exact line:column and what to do.
#include <string>

#include "test_support.hpp"

namespace {

struct ShapeCase {
  const char* behaviour;
  std::string text;
  int line;
  int column;
  std::string message;  // message, then "\n  hint: ..." when there is one
};

// `member` at line 3, column 3 of a pipeline that is otherwise valid.
std::string top_with(std::string_view member) {
  return "{\n  \"pipewright\": 1,\n  " + std::string(member) +
         ",\n  \"steps\": [ { \"id\": \"a\", \"uses\": \"core.echo\" } ]\n}";
}

// `member` at line 5, column 7, inside the only step.
std::string step_with(std::string_view member) {
  return "{\n  \"pipewright\": 1,\n  \"steps\": [\n    { \"id\": \"a\", \"uses\": \"core.echo\",\n "
         "     " +
         std::string(member) + " }\n  ]\n}";
}

// `step` at line 4, column 5, the only step.
std::string only_step(std::string_view step) {
  return "{\n  \"pipewright\": 1,\n  \"steps\": [\n    " + std::string(step) + "\n  ]\n}";
}

const std::string name_hint =
    "\n  hint: use letters, digits, '_' and '-', starting with a letter or '_'";
const std::string duration_hint =
    "\n  hint: write a number and a unit: \"500ms\", \"30s\", \"5m\", \"1h\" (or a number of "
    "seconds)";

const std::vector<ShapeCase>& shape_cases() {
  static const std::vector<ShapeCase> cases = {
      {"unknown top-level key with a suggestion", top_with(R"("stepz": [])"), 3, 3,
       "unknown key \"stepz\" in pipeline\n  hint: did you mean \"steps\"?"},
      {"unknown step key with a suggestion", step_with(R"("neds": ["b"])"), 5, 7,
       "unknown key \"neds\" in step\n  hint: did you mean \"needs\"?"},
      {"unknown step key far from any lists the allowed keys", step_with(R"("frobnicate": 1)"), 5,
       7,
       "unknown key \"frobnicate\" in step\n  hint: allowed keys: id, name, uses, with, auth, "
       "needs, if, "
       "continue_on_error, retry, timeout, matrix, isolation, allow_read, allow_write, allow_exec, allow_tcp, env"},
      {"unknown key in an input names the input",
       top_with(R"("inputs": { "zone": { "requird": true } })"), 3, 25,
       "unknown key \"requird\" in input \"zone\"\n  hint: did you mean \"required\"?"},
      {"unknown key in retry", step_with(R"("retry": { "attempt": 3 })"), 5, 18,
       "unknown key \"attempt\" in retry\n  hint: did you mean \"attempts\"?"},
      {"boolean of the wrong type", step_with(R"("continue_on_error": "yes")"), 5, 28,
       "\"continue_on_error\" must be a boolean (true or false), not a string"},
      {"string of the wrong type", top_with(R"("name": 5)"), 3, 11,
       "\"name\" must be a string, not an integer"},
      {"input flag of the wrong type", top_with(R"("inputs": { "zone": { "required": "yes" } })"),
       3, 37, "\"required\" must be a boolean (true or false), not a string"},
      {"with that is not an object", step_with(R"("with": "x")"), 5, 15,
       "\"with\" must be an object, not a string"},
      {"steps that are not an array", "{\n  \"pipewright\": 1,\n  \"steps\": {}\n}", 3, 12,
       "\"steps\" must be an array of steps, not an object"},
      {"no steps", "{\n  \"pipewright\": 1,\n  \"steps\": []\n}", 3, 12,
       "\"steps\" is empty\n  hint: add at least one step"},
      {"a file that is not an object", "[]", 1, 1,
       "a pipeline file must hold a JSON object, not an array\n  hint: start the file with { "
       "\"pipewright\": 1, "
       "\"steps\": [ ... ] }"},
      {"unsupported format version",
       R"({ "pipewright": 2, "steps": [ { "id": "a", "uses": "core.echo" } ] })", 1, 17,
       "unsupported file format version 2; this pipewright reads version 1\n  hint: set "
       "\"pipewright\": 1"},
      {"step without uses", only_step(R"({ "id": "a" })"), 4, 5,
       "step \"a\" is missing \"uses\"\n  hint: name the plugin or pipeline this step runs, e.g. "
       "\"uses\": \"core.echo\""},
      {"step without id", only_step(R"({ "uses": "core.echo" })"), 4, 5,
       "step is missing \"id\"\n  hint: give every step a unique \"id\", e.g. \"id\": \"deploy\""},
      {"step id that is not a name", only_step(R"({ "id": "9lives", "uses": "core.echo" })"), 4, 13,
       "step id \"9lives\" is not a valid name" + name_hint},
      {"step uses that is neither plugin nor pipeline",
       only_step(R"({ "id": "a", "uses": "Core Echo" })"), 4, 26,
       "\"uses\" must be a plugin name (\"core.echo\"), a pipeline file (\"deploy.jsonc\") or "
       "\"pipeline:NAME\", not "
       "\"Core Echo\"\n  hint: plugin names are lowercase words separated by dots"},
      {"needs of the wrong type", step_with(R"("needs": 5)"), 5, 16,
       "\"needs\" must be a step id or an array of step ids, not an integer"},
      {"an entry of needs of the wrong type", step_with(R"("needs": ["a", 2])"), 5, 22,
       "an entry of \"needs\" must be a step id (string), not an integer"},
      {"input name that is not a name", top_with(R"("inputs": { "my zone": {} })"), 3, 15,
       "input \"my zone\" is not a valid name" + name_hint},
      {"output name that is not a name", top_with(R"("outputs": { "my out": 1 })"), 3, 16,
       "output \"my out\" is not a valid name" + name_hint},
      {"input type that is not a type", top_with(R"("inputs": { "zone": { "type": "strin" } })"), 3,
       33,
       "\"type\" must be one of string, number, boolean, object, array, not \"strin\"\n  hint: did "
       "you mean \"string\"?"},
      {"input default of another type",
       top_with(R"("inputs": { "zone": { "type": "string", "default": 5 } })"), 3, 54,
       "default of input \"zone\" is an integer, but its type is string"},
      {"auth without uses", top_with(R"("auth": { "cf": { "with": {} } })"), 3, 19,
       "auth \"cf\" is missing \"uses\"\n  hint: name the auth plugin, e.g. \"uses\": "
       "\"cloudflare.auth.api_token\""},
      {"auth uses that is not a plugin name",
       top_with(R"("auth": { "cf": { "uses": "Cloudflare.Auth" } })"), 3, 29,
       "\"uses\" of an auth must be a plugin name like \"cloudflare.auth.api_token\", not "
       "\"Cloudflare.Auth\""},
      {"duration without a unit", step_with(R"("timeout": "5 minutes")"), 5, 18,
       "\"timeout\" is not a valid duration: \"5 minutes\"" + duration_hint},
      {"duration of zero", step_with(R"("timeout": "0s")"), 5, 18,
       "\"timeout\" is not a valid duration: \"0s\"" + duration_hint},
      {"negative number of seconds", step_with(R"("timeout": -1)"), 5, 18,
       "\"timeout\" must be a positive duration (\"30s\") or number of seconds, not a number <= 0"},
      {"retry of zero attempts", step_with(R"("retry": 0)"), 5, 16,
       "retry attempts must be an integer from 1 to 100, not 0\n  hint: it counts every try: 3 "
       "means one run and up to "
       "two retries"},
      {"retry of a fractional number of attempts", step_with(R"("retry": 2.5)"), 5, 16,
       "retry attempts must be an integer from 1 to 100, not 2.5\n  hint: it counts every try: 3 "
       "means one run and up "
       "to two retries"},
      {"retry attempts given as text", step_with(R"("retry": "2.5")"), 5, 16,
       "\"retry\" must be a number of attempts or an object {attempts, backoff, factor, max_backoff}, not a string"},
      {"retry factor below one", step_with(R"("retry": { "backoff": "1s", "factor": 0.5 })"), 5, 45,
       "retry \"factor\" must be a number >= 1"},
      {"isolation that is not a choice", step_with(R"("isolation": "proces")"), 5, 20,
       "\"isolation\" must be one of in-process, process, not \"proces\"\n  hint: did you mean "
       "\"process\"?"},
      {"matrix axis without values", step_with(R"("matrix": { "tenant": [] })"), 5, 29,
       "matrix axis \"tenant\" has no values\n  hint: list at least one value"},
      {"matrix axis that is neither a list nor an expression", step_with(R"("matrix": { "tenant": "a" })"), 5, 29,
       "matrix axis \"tenant\" must be an array of values or one ${{ }} expression yielding one, not the string "
       "\"a\"\n  hint: an array is written [\"a\", \"b\"]; data from an input or a file is \"${{ inputs.NAME }}\" "
       "or \"${{ readJSON(inputs.NAME) }}\""},
      {"matrix axis that is a number", step_with(R"("matrix": { "tenant": 3 })"), 5, 29,
       "matrix axis \"tenant\" must be an array of values or one ${{ }} expression yielding one, not an integer"},
      {"matrix fail_fast that is not a boolean", step_with(R"("matrix": { "t": [1], "fail_fast": "no" })"), 5, 42,
       "\"fail_fast\" must be a boolean (true or false), not a string"},
      {"matrix include of non-objects", step_with(R"("matrix": { "t": [1], "include": [1] })"), 5, 41,
       "an entry of \"include\" must be an object, not an integer"},
      {"matrix without axes", step_with(R"("matrix": { "max_parallel": 2 })"), 5, 17,
       "\"matrix\" has no axes\n  hint: add an axis: \"matrix\": { \"tenant\": [\"a\", \"b\"] }"},
      {"negative max_parallel", step_with(R"("matrix": { "max_parallel": -1, "t": [1] })"), 5, 35,
       "\"max_parallel\" must be an integer >= 0 (0 means no extra limit)"},
  };
  return cases;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline_schema)

BOOST_AUTO_TEST_CASE(each_shape_mistake_is_one_located_plain_message) {
  BOOST_TEST(shape_cases().size() >= 15u);
  for (const auto& c : shape_cases()) {
    BOOST_TEST_CONTEXT(c.behaviour) {
      auto r = pw::test::parse(c.text);
      const std::string expected = "p.jsonc:" + std::to_string(c.line) + ":" +
                                   std::to_string(c.column) + ": error: " + c.message;
      BOOST_TEST(r.errors.size() == 1u, pw::test::all_messages(r.errors));
      if (!r.errors.empty()) BOOST_TEST(pw::render_text(r.errors[0]) == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(accepts_a_schema_key_for_editors) {
  auto r = pw::test::parse(R"({
  "$schema": "../conf/schema/pipeline.schema.json",
  "pipewright": 1,
  "steps": [ { "id": "a", "uses": "core.echo" } ]
})");
  BOOST_TEST(r.errors.empty(), pw::test::all_messages(r.errors));
  BOOST_REQUIRE(r.pipeline);
  BOOST_TEST(r.pipeline->steps.size() == 1u);
}

BOOST_AUTO_TEST_CASE(reports_every_unknown_key_of_one_object) {
  auto r = pw::test::parse(step_with(R"("neds": [], "timout": "5s")"));
  BOOST_REQUIRE_EQUAL(r.errors.size(), 2u);
  pw::test::expect_error(r.errors, 5, 7, "unknown key \"neds\" in step");
  pw::test::expect_error(r.errors, 5, 19, "unknown key \"timout\" in step");
  BOOST_TEST(r.errors[1].hint == "did you mean \"timeout\"?");
}

BOOST_AUTO_TEST_CASE(reports_every_bad_name_of_one_object) {
  auto r = pw::test::parse(top_with(R"("inputs": { "a b": {}, "ok": {}, "9c": {} })"));
  BOOST_REQUIRE_EQUAL(r.errors.size(), 2u);
  pw::test::expect_error(r.errors, 3, 15, "input \"a b\" is not a valid name");
  pw::test::expect_error(r.errors, 3, 36, "input \"9c\" is not a valid name");
}

BOOST_AUTO_TEST_CASE(accepts_whole_numbers_written_with_a_fraction) {
  auto r = pw::test::parse(step_with(R"("retry": { "attempts": 3.0 }, "matrix": { "t": [1], "max_parallel": 2.0 })"));
  BOOST_TEST(r.errors.empty(), pw::test::all_messages(r.errors));
  BOOST_REQUIRE(r.pipeline);
  BOOST_TEST(r.pipeline->steps.at(0).retry.max_attempts == 3);
  BOOST_TEST(r.pipeline->steps.at(0).matrix->max_parallel == 2);
}

BOOST_AUTO_TEST_CASE(accepts_every_duration_form) {
  for (const char* duration :
       {R"("500ms")", R"("30s")", R"("1m30s")", R"("1.5h")", R"(".5s")", "0.25", "3"}) {
    BOOST_TEST_CONTEXT(duration) {
      auto r = pw::test::parse(step_with(std::string(R"("timeout": )") + duration));
      BOOST_TEST(r.errors.empty(), pw::test::all_messages(r.errors));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
