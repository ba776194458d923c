// ${{ }} templates and conditions: types kept, text embedding, references,
// secrets reported for masking, undefined references named without values.
#include "test_support.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace {

pw::EvalScope sample_scope(std::vector<std::string>* secrets_read = nullptr) {
  pw::EvalScope scope;
  scope.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "ZONE") return "example.com";
    return std::nullopt;
  };
  scope.secrets = [](std::string_view name) -> std::optional<std::string> {
    if (name == "KEY") return "s3cr3t-value";
    return std::nullopt;
  };
  scope.inputs = [](std::string_view name) -> std::optional<json::value> {
    if (name == "count") return json::value(3);
    if (name == "tenant") return json::value("acme");
    if (name == "empty") return json::value("");
    return std::nullopt;
  };
  scope.step_output = [](std::string_view step, std::string_view output) -> std::optional<json::value> {
    if (step == "create" && output == "token") return json::parse(R"({"id": "t1", "meta": {"n": 7}})");
    return std::nullopt;
  };
  scope.matrix = [](std::string_view name) -> std::optional<json::value> {
    if (name == "tenant") return json::value("t-9");
    return std::nullopt;
  };
  scope.on_secret = [secrets_read](std::string_view value) {
    if (secrets_read) secrets_read->emplace_back(value);
  };
  return scope;
}

json::value eval(std::string_view templ_json) {
  return pw::evaluate_template(json::parse(templ_json), sample_scope());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(expressions)

BOOST_AUTO_TEST_CASE(whole_expression_keeps_json_type) {
  BOOST_TEST(eval(R"("${{ inputs.count }}")") == json::value(3));
  BOOST_TEST(eval(R"("${{ steps.create.outputs.token }}")").is_object());
  BOOST_TEST(eval(R"("${{ steps.create.outputs.token.meta.n }}")") == json::value(7));
  BOOST_TEST(eval(R"("${{ true }}")") == json::value(true));
  BOOST_TEST(eval(R"("${{ null }}")").is_null());
  BOOST_TEST(eval(R"("${{ -2.5 }}")") == json::value(-2.5));
}

BOOST_AUTO_TEST_CASE(embedded_expression_becomes_text) {
  BOOST_TEST(eval(R"("n=${{ inputs.count }}")") == json::value("n=3"));
  BOOST_TEST(eval(R"("${{ env.ZONE }}/${{ matrix.tenant }}")") == json::value("example.com/t-9"));
  BOOST_TEST(eval(R"("t: ${{ steps.create.outputs.token.meta }}")") == json::value(R"(t: {"n":7})"));
  BOOST_TEST(eval(R"("no expression")") == json::value("no expression"));
}

BOOST_AUTO_TEST_CASE(evaluates_nested_templates) {
  auto out = eval(R"({"a": ["${{ inputs.tenant }}", 1], "b": {"c": "${{ inputs.count == 3 }}"}})");
  BOOST_TEST(out == json::parse(R"({"a": ["acme", 1], "b": {"c": true}})"));
}

BOOST_AUTO_TEST_CASE(reports_every_secret_read) {
  std::vector<std::string> read;
  auto out = pw::evaluate_template(json::value("k=${{ secrets.KEY }}"), sample_scope(&read));
  BOOST_TEST(out == json::value("k=s3cr3t-value"));
  BOOST_TEST(read == std::vector<std::string>{"s3cr3t-value"});
}

BOOST_AUTO_TEST_CASE(undefined_reference_names_reference_not_value) {
  try {
    pw::evaluate_template(json::value("${{ secrets.KEY && inputs.nope }}"), sample_scope());
    BOOST_FAIL("expected ExpressionError");
  } catch (const pw::ExpressionError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("inputs.nope") != std::string::npos);
    BOOST_TEST(what.find("s3cr3t") == std::string::npos);
  }
  BOOST_CHECK_THROW(eval(R"("${{ steps.create.outputs.token.nothing }}")"), pw::ExpressionError);
  BOOST_CHECK_THROW(eval(R"("${{ inputs.count ")"), pw::ExpressionError);
  BOOST_CHECK_THROW(eval(R"("${{ inputs.count === 3 }}")"), pw::ExpressionError);
}

// An unset env or secret on the left of `||` gives way to the fallback;
// anywhere else it stays an error, and a set one is used (and masked).
BOOST_AUTO_TEST_CASE(unset_variable_before_or_takes_the_fallback) {
  std::vector<std::string> secrets_read;
  auto scope = sample_scope(&secrets_read);
  auto run = [&](std::string_view text) { return pw::evaluate_template(json::value(text), scope); };
  BOOST_TEST(run("${{ secrets.NOPE || '' }}") == json::value(""));
  BOOST_TEST(run("${{ env.NOPE || 'eu' }}") == json::value("eu"));
  BOOST_TEST(run("${{ env.ZONE || 'eu' }}") == json::value("example.com"));
  BOOST_TEST(run("${{ secrets.KEY || '' }}") == json::value("s3cr3t-value"));
  BOOST_TEST(secrets_read == std::vector<std::string>{"s3cr3t-value"});
  BOOST_TEST(run("${{ env.NOPE || secrets.NOPE || 'last' }}") == json::value("last"));
  // Only a plain variable directly left of `||`: not on the right, not
  // negated, not under && and not an input or a step output.
  BOOST_CHECK_THROW(run("${{ '' || secrets.NOPE }}"), pw::ExpressionError);
  BOOST_CHECK_THROW(run("${{ !env.NOPE || 'x' }}"), pw::ExpressionError);
  BOOST_CHECK_THROW(run("${{ env.NOPE && 'x' || 'y' }}"), pw::ExpressionError);
  BOOST_CHECK_THROW(run("${{ inputs.nope || 'x' }}"), pw::ExpressionError);
  BOOST_CHECK_THROW(run("${{ secrets.NOPE }}"), pw::ExpressionError);

  const auto refs = pw::references_in_expression("env.A || secrets.B || env.C");
  BOOST_REQUIRE_EQUAL(refs.size(), 3u);
  BOOST_TEST(refs[0].optional);
  BOOST_TEST(refs[1].optional);
  BOOST_TEST(!refs[2].optional);
}

BOOST_AUTO_TEST_CASE(evaluates_conditions) {
  auto scope = sample_scope();
  BOOST_TEST(pw::evaluate_condition("", scope));
  BOOST_TEST(pw::evaluate_condition("inputs.tenant == 'acme'", scope));
  BOOST_TEST(pw::evaluate_condition("${{ inputs.count != 4 && !(env.ZONE == 'x') }}", scope));
  BOOST_TEST(!pw::evaluate_condition("inputs.empty", scope));
  BOOST_TEST(pw::evaluate_condition("inputs.empty || inputs.tenant", scope));
  BOOST_TEST(!pw::evaluate_condition("inputs.count == '3'", scope));  // no coercion
  BOOST_TEST(pw::evaluate_condition("inputs.count == 3.0", scope));
  BOOST_TEST(pw::evaluate_condition("'it''s' == 'it''s'", scope));
}

BOOST_AUTO_TEST_CASE(status_functions_follow_needed_steps) {
  auto scope = sample_scope();
  scope.needs_succeeded = false;
  BOOST_TEST(!pw::evaluate_condition("", scope));
  BOOST_TEST(!pw::evaluate_condition("true", scope));  // implicit success()
  BOOST_TEST(pw::evaluate_condition("failure()", scope));
  BOOST_TEST(pw::evaluate_condition("always()", scope));
  BOOST_TEST(!pw::evaluate_condition("success()", scope));
  scope.needs_succeeded = true;
  scope.run_cancelled = true;
  BOOST_TEST(pw::evaluate_condition("cancelled()", scope));
  BOOST_TEST(!pw::evaluate_condition("success()", scope));
}

BOOST_AUTO_TEST_CASE(finds_references_recursively) {
  auto refs = pw::references_in(json::parse(R"({
    "a": "${{ env.A }}-${{ secrets.B }}",
    "b": [ { "c": "${{ steps.make.outputs.out.field || inputs.d }}" } ],
    "e": "${{ matrix.tenant == 'x' && success() }}",
    "f": 7
  })"));
  BOOST_REQUIRE_EQUAL(refs.size(), 5u);
  std::vector<std::string> texts;
  for (const auto& r : refs) texts.push_back(r.scope + ":" + r.name + ":" + r.output);
  std::sort(texts.begin(), texts.end());
  BOOST_TEST(texts == (std::vector<std::string>{"env:A:", "inputs:d:", "matrix:tenant:", "secrets:B:", "steps:make:out"}));
  for (const auto& r : refs) {
    if (r.scope == "steps") {
      BOOST_TEST(r.text == "steps.make.outputs.out.field");
      BOOST_TEST(r.path == std::vector<std::string>{"field"});
    }
  }
}

BOOST_AUTO_TEST_CASE(refuses_nesting_deeper_than_the_limit_instead_of_overflowing_the_stack) {
  auto nested = [](int levels) { return std::string(levels, '(') + "true" + std::string(levels, ')'); };
  BOOST_TEST(pw::evaluate_condition(nested(90), sample_scope()));
  BOOST_TEST(pw::evaluate_condition(std::string(90, '!') + "true", sample_scope()));
  auto refused = [](const std::string& expr) {
    try {
      pw::evaluate_condition(expr, sample_scope());
    } catch (const pw::ExpressionError& e) {
      return std::string(e.what()).find("nested more than 100 levels deep") != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(refused(nested(5000)));
  BOOST_TEST(refused(std::string(5000, '!') + "true"));
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " == 1";
  BOOST_TEST(refused(chain));
}

BOOST_AUTO_TEST_SUITE_END()
