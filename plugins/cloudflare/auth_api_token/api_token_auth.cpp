// cloudflare.auth.api_token: turns a User API token into the
// "Authorization: Bearer" header the host injects into steps that name this
// auth. Checks the shape locally, then (verify: true) asks
// GET /user/tokens/verify and refuses a token that is unknown, disabled,
// expired or not yet valid: saying which when the answer tells (a 200 with
// a status or validity window), else naming every cause Cloudflare's one
// refusal (401 1000) stands for. It also hands the host S3 credentials for
// R2 (secret output "s3_credentials"): given ones, or derived from the
// token's id and value.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/credentials.hpp>
#include <pipewright/cloudflare/token_verification.hpp>

#include <algorithm>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;

namespace {

void check_format(std::string_view token) {
  if (token.empty())
    throw pipewright::Failure("the API token is empty",
                              "set CLOUDFLARE_API_TOKEN (or create one: pipewright run create-token)", "/token");
  if (cf::looks_like_global_key(token) && !cf::looks_like_api_token(token))
    throw pipewright::Failure(
        "this looks like a Global API Key, not an API token: use cloudflare.auth.global_key",
        "the value has the shape of a Global API Key (" + cf::credential_shape(token) +
            "); a key goes with the login email in X-Auth-Email/X-Auth-Key. Put it in CLOUDFLARE_GLOBAL_KEY "
            "and use an auth with \"uses\": \"cloudflare.auth.global_key\", or create a token with "
            "pipewright run create-token",
        "/token");
  if (token.starts_with("Bearer ") || token.starts_with("bearer "))
    throw pipewright::Failure("the API token starts with \"Bearer \"",
                              "give the token value alone; pipewright adds the Bearer scheme", "/token");
  if (!cf::is_token68(token))
    throw pipewright::Failure("the API token holds characters a token cannot have",
                              "expected letters, digits, - and _ only; got " + cf::credential_shape(token) +
                                  ". Check for quotes or spaces pasted with it",
                              "/token");
}

}  // namespace

struct ApiTokenAuth {
  static constexpr pipewright::Kind kind = pipewright::Kind::auth;
  static constexpr const char* name = "cloudflare.auth.api_token";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Authenticates Cloudflare API calls with a User API token (Bearer), verified first";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "additionalProperties": false,
    "required": ["token"],
    "properties": {
      "token": {"type": "string", "x-secret": true,
                "description": "the API token value (secrets.CLOUDFLARE_API_TOKEN)"},
      "verify": {"type": "boolean", "default": true,
                 "description": "check the token with GET /user/tokens/verify before any step uses it"},
      "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 120, "default": 0,
                       "description": "keep asking this long while Cloudflare does not know the token yet (a token just created)"},
      "token_id": {"type": "string",
                   "description": "the token's id, for S3 credentials when verify is false (verify learns it)"},
      "s3_access_key_id": {"type": "string", "x-secret": true,
                           "description": "R2 S3 access key id (secrets.R2_ACCESS_KEY_ID); with s3_secret_access_key, used instead of the ones derived from the token"},
      "s3_secret_access_key": {"type": "string", "x-secret": true,
                               "description": "R2 S3 secret access key (secrets.R2_SECRET_ACCESS_KEY)"}
    }
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "headers": {"type": "object", "x-secret": true},
      "s3_credentials": {"type": "object",
                         "description": "{access_key_id, secret_access_key} the host signs R2 S3 requests with; the secret is masked (add_secret), the key id, a token id, is not"},
      "token_id": {"type": "string"},
      "status": {"type": "string"},
      "expires_on": {"type": ["string", "null"]},
      "not_before": {"type": ["string", "null"]}
    }
  })json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const std::string token(cf::trim(cf::string_at(with, "token")));
    // Masked before anything else: the token may have come through an input
    // or with whitespace, forms the host has not seen as a secret.
    call.add_secret(token);
    check_format(token);

    json::object headers;
    headers["Authorization"] = "Bearer " + token;
    if (!cf::bool_at(with, "verify", true)) {
      set_s3_credentials(call, with, token, cf::string_at(with, "token_id"));
      pipewright::set_output(call, "headers", headers, true);
      return;
    }

    cf::Client api(call);
    cf::Request request;
    request.path = "/user/tokens/verify";
    request.headers = headers;  // this plugin produced the credential, so it may send it
    auto r = api.request(request);
    // A caller that has just made the token asks us to wait for it.
    const auto* wait = with.if_contains("wait_seconds");
    for (cf::NewTokenWait again(wait && wait->is_int64() ? wait->as_int64() : 0);
         r.status == 401 && again.again(call);)
      r = api.request(request);
    cf::VerificationContext context;
    context.base_url = api.base_url();
    context.account_token = cf::looks_like_account_token(token);
    context.pointer = "/token";
    const auto verified = cf::judge_token_verification(r, context);
    const std::string& id = verified.id;
    const std::string& expires_on = verified.expires_on;
    const std::string& not_before = verified.not_before;

    set_s3_credentials(call, with, token, id);
    pipewright::set_output(call, "headers", headers, true);
    pipewright::set_output(call, "token_id", json::value(id));
    pipewright::set_output(call, "status", json::value(verified.status));
    pipewright::set_output(call, "expires_on", expires_on.empty() ? json::value(nullptr) : json::value(expires_on));
    pipewright::set_output(call, "not_before", not_before.empty() ? json::value(nullptr) : json::value(not_before));
    call.info("API token " + id + " is valid and active" +
              (expires_on.empty() ? std::string() : " (expires " + expires_on + ")"));
  }

 private:
  // Given S3 credentials win over derived ones; without either (verify off
  // and no token_id) the auth provides none and uploads use the REST API.
  static void set_s3_credentials(const pipewright::Call& call, const json::object& with, const std::string& token,
                                 const std::string& token_id) {
    const std::string key_id(cf::trim(cf::string_at(with, "s3_access_key_id")));
    const std::string secret(cf::trim(cf::string_at(with, "s3_secret_access_key")));
    call.add_secret(key_id);
    call.add_secret(secret);
    if (key_id.empty() != secret.empty())
      throw pipewright::Failure(
          "only one of the S3 credentials is set",
          "set both R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY, or neither (then they are derived from the token)",
          key_id.empty() ? "/s3_access_key_id" : "/s3_secret_access_key");
    cf::S3Credentials s3;
    if (!key_id.empty()) {
      s3 = {key_id, secret};
      call.info("R2 S3 credentials: the given access key id and secret");
    } else if (!token_id.empty()) {
      s3 = cf::s3_credentials_from_token(token_id, token);
      call.info("R2 S3 credentials: derived from API token " + token_id);
    } else {
      return;
    }
    call.add_secret(s3.secret_access_key);
    // Not a secret output as a whole: that would mask the token id
    // everywhere; the secret half is masked on its own above.
    json::object out{{"access_key_id", s3.access_key_id}, {"secret_access_key", s3.secret_access_key}};
    pipewright::set_output(call, "s3_credentials", out, false);
  }
};

PIPEWRIGHT_PLUGIN(ApiTokenAuth)
