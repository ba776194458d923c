// Who a request authenticated as. Built by authenticate(); never holds the
// secret itself, so it can be logged by credential_id().
#pragma once

#include <string>
#include <vector>

#include "iam/policy.hpp"

namespace pw::sandbox {

enum class CredentialKind { global_key, user_token, account_token };

struct Principal {
  CredentialKind kind = CredentialKind::global_key;
  std::string user_id;     // empty for account-owned tokens
  std::string account_id;  // the owning account of an account-owned token
  std::string token_id;    // empty for the global key
  std::string status = "active";
  std::string not_before, expires_on;  // as stored (may be empty)
  std::vector<Policy> policies;

  bool is_token() const { return kind != CredentialKind::global_key; }
  // "token:<id>" or "global_key:<user id>": safe for logs.
  std::string credential_id() const {
    return is_token() ? "token:" + token_id : "global_key:" + user_id;
  }
};

}  // namespace pw::sandbox
