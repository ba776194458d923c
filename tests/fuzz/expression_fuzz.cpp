// ${{ }} templates and `if` conditions: reference extraction and evaluation
// against a fixed scope. Only ExpressionError may escape evaluation.
#include <pipewright/host/config/config.hpp>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;

pw::EvalScope make_scope() {
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
    if (name == "list") return json::parse(R"([1, "two", {"three": 3}])");
    return std::nullopt;
  };
  scope.step_output = [](std::string_view step, std::string_view output) -> std::optional<json::value> {
    if (step == "create" && output == "token") return json::parse(R"({"id": "t1", "meta": {"n": 7, "ok": true}})");
    return std::nullopt;
  };
  scope.matrix = [](std::string_view name) -> std::optional<json::value> {
    if (name == "tenant") return json::value("t-9");
    return std::nullopt;
  };
  scope.on_secret = [](std::string_view) {};
  return scope;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pw::EvalScope scope = make_scope();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::value templ = json::string(text);
  try {
    (void)pw::references_in(templ);
    (void)pw::references_in_expression(text);
  } catch (const pw::ExpressionError&) {
  }
  try {
    (void)pw::evaluate_template(templ, scope);
  } catch (const pw::ExpressionError&) {
  }
  try {
    (void)pw::evaluate_condition(text, scope);
  } catch (const pw::ExpressionError&) {
  }
  return 0;
}
