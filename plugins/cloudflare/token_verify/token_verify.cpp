// cloudflare.token.verify: asks Cloudflare whether the step's auth (a User
// API token) is valid, and outputs its id, status and validity window.
#include <pipewright/cloudflare/token_verification.hpp>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;

struct TokenVerify {
  static constexpr pipewright::Kind kind = pipewright::Kind::check;
  static constexpr const char* name = "cloudflare.token.verify";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "Verifies the step's API token with GET /user/tokens/verify";
  static constexpr const char* params_schema = R"json({"type": "object", "additionalProperties": false, "properties": {}})json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "status": {"type": "string"},
      "expires_on": {"type": ["string", "null"]},
      "not_before": {"type": ["string", "null"]}
    }
  })json";

  void run(pipewright::Call& call) {
    cf::Client api(call);
    cf::VerificationContext context;
    context.base_url = api.base_url();
    context.step_auth = true;
    const auto token = cf::judge_token_verification(api.get("/user/tokens/verify"), context);
    auto optional_text = [](const std::string& text) {
      return text.empty() ? json::value(nullptr) : json::value(text);
    };
    pipewright::set_output(call, "id", json::value(token.id));
    pipewright::set_output(call, "status", json::value(token.status));
    pipewright::set_output(call, "expires_on", optional_text(token.expires_on));
    pipewright::set_output(call, "not_before", optional_text(token.not_before));
    call.info("token " + token.id + " is valid and active");
  }
};

PIPEWRIGHT_PLUGIN(TokenVerify)
