// What an answer to GET /user/tokens/verify says about a User API token.
// One judgement for every plugin that verifies a token (the api_token auth,
// token.verify, token.test_permissions), so a refused token reads the same
// wherever it is caught.
#pragma once

#include <pipewright/cloudflare/api.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace pipewright::cloudflare {

struct VerifiedToken {
  std::string id;
  std::string status;      // "active" when the answer names none
  std::string expires_on;  // "" when the token does not expire
  std::string not_before;  // "" when the token has no start
};

struct VerificationContext {
  std::string base_url;      // for "could not reach ..."
  bool account_token = false;  // the value has the account-owned (cfat_) shape
  // The credential came from a step's auth, which may be something other
  // than an API token (a 400 9106 then means "not a User API token").
  bool step_auth = false;
  std::string advice;   // what to do about a refused token; "" for the default
  std::string pointer;  // into the step's `with`, or ""
};

// The token when `verify` proves it valid, active and inside its validity
// window; otherwise throws pipewright::Failure saying which cause it was as
// precisely as the answer allows (Cloudflare answers 401 1000 alike for an
// unknown, rolled, disabled, expired or IP-limited token).
// A token made a moment ago may take a few seconds to reach every
// Cloudflare edge, which answer 401 meanwhile. Until `seconds` from now,
// again() sleeps a second (stopping when the run is cancelled) and says to
// ask once more; then false.
class NewTokenWait {
 public:
  explicit NewTokenWait(std::int64_t seconds);
  bool again(const Call& call) const;

 private:
  std::chrono::steady_clock::time_point give_up_;
};

VerifiedToken judge_token_verification(const ApiResult& verify, const VerificationContext& context);

}  // namespace pipewright::cloudflare
