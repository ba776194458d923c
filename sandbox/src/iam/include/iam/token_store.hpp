// API tokens (user-owned and account-owned): storage and the token object.
// Only the SHA-256 of a token value is stored; the value leaves the server
// once, in the create or roll response.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "iam/policy.hpp"
#include "store/db.hpp"
#include "wire/outcome.hpp"

namespace pw::sandbox {

struct TokenOwner {
  bool account_owned = false;
  std::string id;  // user id, or account id for account-owned tokens
  PolicyOwner policy_owner() const {
    return account_owned ? PolicyOwner{"", id} : PolicyOwner{id, ""};
  }
};

struct TokenRecord {
  std::string id;
  TokenOwner owner;
  std::string name, status, issued_on, modified_on;
  std::optional<std::string> last_used_on, not_before, expires_on;
  std::vector<Policy> policies;
  boost::json::object condition;  // {"request_ip": {"in": [...], "not_in": [...]}} or {}
};

// A validated create/update body.
struct TokenInput {
  std::string name;
  std::vector<Policy> policies;
  std::optional<std::string> not_before, expires_on;
  boost::json::object condition;
  std::optional<std::string> status;  // update only
};

void install_token_schema(Db& db);

// `for_update` accepts `status`; `trusted` (test hooks) skips the time checks.
Outcome<TokenInput> parse_token_input(const boost::json::value& body, const TokenOwner& owner,
                                      bool for_update, bool trusted = false);

// Returns the record and the secret value. Refuses past the quota (50 per
// user, 500 per account).
Outcome<std::pair<TokenRecord, std::string>> create_token(Db& db, const TokenOwner& owner,
                                                          const TokenInput& in);
std::optional<TokenRecord> find_token(Db& db, const TokenOwner& owner, std::string_view id);
// The token whose secret is `value` (looked up by its SHA-256), remembered
// until the database changes: every authenticated request looks its token
// up, and reading the row and parsing its policies was a fifth of a
// request's cost. An entry is
// trusted only while Db::total_changes() is what it was when it was read, so
// no write path can forget to invalidate it. State strand only.
class TokenLookup {
 public:
  std::optional<TokenRecord> find(Db& db, std::string_view value);
  // The token with this id, whoever owns it, and the SHA-256 (hex) of its
  // value: R2's S3 API takes the id as access key id and the hash as secret.
  struct Keyed {
    TokenRecord record;
    std::string value_sha256;
  };
  std::optional<Keyed> find_by_id(Db& db, std::string_view id);

 private:
  static constexpr std::size_t max_entries = 1024;
  void forget_if_changed(Db& db);
  std::int64_t changes_ = -1;
  std::unordered_map<std::string, TokenRecord> by_hash_;  // sha256 of the value -> row
  std::unordered_map<std::string, Keyed> by_id_;
};
std::vector<TokenRecord> list_tokens(Db& db, const TokenOwner& owner, bool descending = false);
std::optional<TokenRecord> update_token(Db& db, const TokenOwner& owner, std::string_view id,
                                        const TokenInput& in);
bool delete_token(Db& db, const TokenOwner& owner, std::string_view id);
// New secret for an existing token; the old one stops working. nullopt if unknown.
std::optional<std::string> roll_token(Db& db, const TokenOwner& owner, std::string_view id);
void touch_token(Db& db, std::string_view id);  // last_used_on = now

// "active", "disabled" or "expired" (expires_on in the past).
std::string effective_status(const TokenRecord& t);
// The API's token object, never with `value`.
boost::json::object token_json(const TokenRecord& t);

}  // namespace pw::sandbox
