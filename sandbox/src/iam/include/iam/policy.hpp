// Token policies (docs/cloudflare-api.md 3.2/3.3): parsing, validation, and the
// resource keys they grant.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "wire/outcome.hpp"

namespace pw::sandbox {

// One granted resource key. `id` is "*" for wildcards; `account` narrows a
// nested key ("all zones of one account") and is empty otherwise.
struct ResourceKey {
  enum class Kind { account, zone, user, r2_bucket } kind;
  std::string id;       // account id, zone id, user id, or "<acct>_<jurisdiction>_<bucket>"
  std::string account;  // for zone/bucket keys nested under an account key
};

struct Policy {
  std::string id;
  bool allow = true;
  boost::json::object resources;       // as given, echoed back
  std::vector<ResourceKey> keys;       // parsed from `resources`
  std::vector<std::string> group_ids;  // validated against permission_groups()
};

// Who the token is for, so keys can be checked against its owner.
struct PolicyOwner {
  std::string user_id;     // empty for account-owned tokens
  std::string account_id;  // set for account-owned tokens
};

// Validates a request's `policies` array. Errors are 400 envelopes whose
// message says which policy and field is wrong. New policies get fresh ids.
Outcome<std::vector<Policy>> parse_policies(const boost::json::value& policies,
                                            const PolicyOwner& owner);
// Reads policies back from storage (trusted, keeps ids).
std::vector<Policy> load_policies(const boost::json::value& stored);
// Storage/API form: [{id, effect, resources, permission_groups:[{id, name}]}].
boost::json::array policies_json(const std::vector<Policy>& policies);

}  // namespace pw::sandbox
