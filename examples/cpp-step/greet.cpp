#include <pipewright/plugin_json.hpp>

struct Greet {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "example.step.greet";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "Says hello";
  static constexpr const char* params_schema =
      R"json({"type":"object","properties":{"who":{"type":"string"}},
              "required":["who"],"additionalProperties":false})json";
  static constexpr const char* outputs_schema =
      R"json({"type":"object","properties":{"greeting":{"type":"string"}}})json";

  void run(pipewright::Call& call) {
    auto with = pipewright::with_object(call);
    auto* who = with.if_contains("who");
    if (!who || !who->is_string()) throw pipewright::Failure("who must be a string", {}, "/who");
    call.info("greeting someone");
    pipewright::set_output(call, "greeting",
                           boost::json::value("hello, " + std::string(who->as_string())));
  }
};

PIPEWRIGHT_PLUGIN(Greet)
