#include <pipewright/cloudflare/token_verification.hpp>

#include <pipewright/util/rfc3339.hpp>
#include <pipewright/util/text.hpp>

#include <thread>

namespace pipewright::cloudflare {

namespace {

// What a refused verify means, as precisely as the answer allows.
std::string refusal_reason(const ApiResult& r, bool step_auth) {
  std::string text;
  for (const auto& e : r.errors) text += pw::util::lower(e.message) + " ";
  if (text.find("expired") != std::string::npos) return "the token has expired";
  if (text.find("disabled") != std::string::npos) return "the token is disabled";
  if (text.find("not yet valid") != std::string::npos || text.find("not_before") != std::string::npos ||
      text.find("not before") != std::string::npos)
    return "the token is not valid yet (its not_before lies in the future)";
  if (text.find("location") != std::string::npos || text.find("ip") != std::string::npos)
    return "the token may not be used from this IP address (its IP address filter)";
  // A step does not see the value, so it cannot tell an account-owned
  // token (which has no /user endpoints) by its prefix as the auth does.
  return std::string("it is unknown, deleted or rolled, disabled, expired, not yet valid, or limited to other IP "
                     "addresses") +
         (step_auth ? ", or an account-owned token (prefix cfat_; pipewright needs a User API token)" : "") +
         " (Cloudflare gives the same answer for each)";
}

}  // namespace

NewTokenWait::NewTokenWait(std::int64_t seconds)
    : give_up_(std::chrono::steady_clock::now() + std::chrono::seconds(seconds)) {}

bool NewTokenWait::again(const Call& call) const {
  if (std::chrono::steady_clock::now() >= give_up_) return false;
  for (int slice = 0; slice < 10; ++slice) {
    call.throw_if_cancelled();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

VerifiedToken judge_token_verification(const ApiResult& r, const VerificationContext& c) {
  const std::string advice =
      c.advice.empty() ? "Check the value in CLOUDFLARE_API_TOKEN (My Profile → API Tokens lists your tokens and "
                         "their status), or create a new one: pipewright run create-token"
                       : c.advice;
  if (r.status == 0)
    throw Failure("could not reach the Cloudflare API at " + c.base_url + " to verify the token", describe(r),
                  c.pointer);
  if (!r.ok()) {
    if (c.account_token)
      throw Failure(
          "this is an account-owned API token; pipewright needs a User API token",
          "GET /user/tokens/verify answered " + describe(r) +
              ". Account-owned tokens (prefix cfat_, made under Manage Account → Account API Tokens) have no "
              "user identity and cannot create or read user tokens. Create a User API token under My Profile → "
              "API Tokens, or run: pipewright run create-token",
          c.pointer);
    // A malformed Bearer value (6111 in the 6003 chain) is a mistyped or
    // truncated token, whichever plugin made the header.
    if (r.has_error(6111))
      throw Failure("Cloudflare rejected the format of the API token", describe(r) + ". " + advice, c.pointer);
    if (c.step_auth && (r.status == 400 || r.has_error(9106) || r.has_error(6003)))
      throw Failure("the step's auth is not a User API token",
                    describe(r) + ". Give the step an auth that uses cloudflare.auth.api_token", c.pointer);
    if (r.status == 401 || r.has_error(1000) || r.has_error(9109))
      throw Failure("Cloudflare refused the API token: " + refusal_reason(r, c.step_auth), describe(r) + ". " + advice,
                    c.pointer);
    if (r.has_error(6003))
      throw Failure("Cloudflare rejected the format of the API token", describe(r), c.pointer);
    throw Failure("verifying the API token failed", describe(r), c.pointer);
  }

  const boost::json::object token = r.result.is_object() ? r.result.as_object() : boost::json::object();
  VerifiedToken out{string_at(token, "id"), string_at(token, "status"), string_at(token, "expires_on"),
                    string_at(token, "not_before")};
  if (out.id.empty())
    throw Failure("verifying the API token failed: the answer names no token", describe(r), c.pointer);
  const auto now = pw::util::now();
  if (!out.status.empty() && out.status != "active")
    throw Failure("Cloudflare reports the API token as " + out.status + "; it cannot be used",
                  out.status == "expired"
                      ? "its expires_on was " + out.expires_on + "; create a new token: pipewright run create-token"
                      : "enable it again under My Profile → API Tokens, or create a new one",
                  c.pointer);
  if (auto t = pw::util::parse_rfc3339(out.expires_on); t && *t <= now)
    throw Failure("the API token has expired", "it expired on " + out.expires_on, c.pointer);
  if (auto t = pw::util::parse_rfc3339(out.not_before); t && *t > now)
    throw Failure("the API token is not valid yet", "it becomes valid on " + out.not_before, c.pointer);
  if (out.status.empty()) out.status = "active";
  return out;
}

}  // namespace pipewright::cloudflare
