// cloudflare.auth.global_key: turns an email + Global API Key into the
// X-Auth-Email/X-Auth-Key headers the host injects into steps that name
// this auth. Checks the shapes locally first, so a token pasted as the key
// is caught before anything is sent, then (verify: true) asks GET /user.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/credentials.hpp>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;

namespace {

void check_formats(std::string_view email, std::string_view key) {
  if (email.empty())
    throw pipewright::Failure("the Cloudflare login email is empty",
                              "set CLOUDFLARE_EMAIL to the email you sign in to Cloudflare with", "/email");
  if (key.empty())
    throw pipewright::Failure("the Global API Key is empty",
                              "set CLOUDFLARE_GLOBAL_KEY (dashboard: My Profile → API Tokens → Global API Key → View)",
                              "/key");
  if (!cf::looks_like_email(email) && cf::looks_like_email(key))
    throw pipewright::Failure("email and key look swapped",
                              "`email` holds something that is not an email address and `key` looks like one",
                              "/email");
  if (!cf::looks_like_email(email))
    throw pipewright::Failure("the Cloudflare login email is not an email address",
                              "expected name@domain.tld (the email you sign in to Cloudflare with)", "/email");
  switch (cf::classify_credential(key)) {
    case cf::CredentialKind::global_key:
      return;
    case cf::CredentialKind::api_token:
    case cf::CredentialKind::account_token:
      throw pipewright::Failure(
          "this looks like an API token, not a Global API Key: use cloudflare.auth.api_token",
          "the value has the shape of " + std::string(cf::credential_kind_text(cf::classify_credential(key))) +
              " (" + cf::credential_shape(key) +
              "); a Global API Key is 37 hexadecimal characters or starts with cfk_. Put the token in "
              "CLOUDFLARE_API_TOKEN and use an auth with \"uses\": \"cloudflare.auth.api_token\"",
          "/key");
    case cf::CredentialKind::unknown:
      throw pipewright::Failure("the Global API Key has the wrong format",
                                "expected 37 hexadecimal characters or a cfk_ key; got " + cf::credential_shape(key) +
                                    " (dashboard: My Profile → API Tokens → Global API Key → View)",
                                "/key");
  }
}

}  // namespace

struct GlobalKeyAuth {
  static constexpr pipewright::Kind kind = pipewright::Kind::auth;
  static constexpr const char* name = "cloudflare.auth.global_key";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Authenticates Cloudflare API calls with an email and the Global API Key";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "additionalProperties": false,
    "required": ["email", "key"],
    "properties": {
      "email": {"type": "string", "description": "the email you sign in to Cloudflare with (CLOUDFLARE_EMAIL)"},
      "key": {"type": "string", "x-secret": true,
              "description": "the Global API Key (secrets.CLOUDFLARE_GLOBAL_KEY)"},
      "verify": {"type": "boolean", "default": true,
                 "description": "check the pair with GET /user before any step uses it"}
    }
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "headers": {"type": "object", "x-secret": true},
      "user_id": {"type": "string"},
      "email": {"type": "string"}
    }
  })json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const std::string email(cf::trim(cf::string_at(with, "email")));
    const std::string key(cf::trim(cf::string_at(with, "key")));
    // Masked before anything else, in the trimmed form the header carries.
    call.add_secret(key);
    check_formats(email, key);

    json::object headers;
    headers["X-Auth-Email"] = email;
    headers["X-Auth-Key"] = key;
    pipewright::set_output(call, "headers", headers, true);
    pipewright::set_output(call, "email", json::value(email));

    if (!cf::bool_at(with, "verify", true)) return;
    cf::Client api(call);
    cf::Request request;
    request.path = "/user";
    request.headers = headers;  // this plugin produced the credential, so it may send it
    const auto r = api.request(request);
    if (r.ok()) {
      if (r.result.is_object()) pipewright::set_output(call, "user_id", json::value(cf::string_at(r.result.as_object(), "id")));
      call.info("Global API Key accepted for " + email);
      return;
    }
    if (r.status == 0)
      throw pipewright::Failure("could not reach the Cloudflare API at " + api.base_url(), cf::describe(r));
    if (r.has_error(9103))
      throw pipewright::Failure("Cloudflare does not accept this email and Global API Key",
                                cf::describe(r) +
                                    ". Check that CLOUDFLARE_EMAIL is your login email and CLOUDFLARE_GLOBAL_KEY "
                                    "the current key (My Profile → API Tokens → Global API Key → View)",
                                "/key");
    if (r.has_error(6103) || r.has_error(6102))
      throw pipewright::Failure("Cloudflare rejected the format of the email or key", cf::describe(r),
                                r.has_error(6102) ? "/email" : "/key");
    throw pipewright::Failure("checking the Global API Key failed", cf::describe(r));
  }
};

PIPEWRIGHT_PLUGIN(GlobalKeyAuth)
