// cloudflare.token.verify: asks Cloudflare whether the step's auth (a User
// API token) is valid, and outputs its id, status and validity window.
#include <pipewright/cloudflare/api.hpp>

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
    const auto r = api.get("/user/tokens/verify");
    if (r.status == 0)
      throw pipewright::Failure("could not reach the Cloudflare API at " + api.base_url(), cf::describe(r));
    if (!r.ok()) {
      if (r.has_error(9106) || r.status == 400)
        throw pipewright::Failure("the step's auth is not a User API token",
                                  cf::describe(r) + ". cloudflare.token.verify checks an API token: give the step "
                                                    "an auth that uses cloudflare.auth.api_token");
      throw pipewright::Failure("Cloudflare refused the API token", cf::describe(r) +
                                    ". It is unknown, deleted, rolled, disabled, expired, not yet valid, or "
                                    "restricted to other IP addresses");
    }
    const json::object result = r.result.is_object() ? r.result.as_object() : json::object();
    auto optional_text = [&](std::string_view key) {
      auto text = cf::string_at(result, key);
      return text.empty() ? json::value(nullptr) : json::value(text);
    };
    const std::string status = cf::string_at(result, "status");
    pipewright::set_output(call, "id", json::value(cf::string_at(result, "id")));
    pipewright::set_output(call, "status", json::value(status));
    pipewright::set_output(call, "expires_on", optional_text("expires_on"));
    pipewright::set_output(call, "not_before", optional_text("not_before"));
    if (status != "active")
      throw pipewright::Failure("the API token is " + (status.empty() ? std::string("not active") : status));
    call.info("token " + cf::string_at(result, "id") + " is valid and active");
  }
};

PIPEWRIGHT_PLUGIN(TokenVerify)
