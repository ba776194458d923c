// Token policies: building the `policies` array of a token create request
// from resolved permission groups, and reading back which groups a token's
// declared policies grant on an account/zone (docs/cloudflare-api.md §3.2-3.3).
#pragma once

#include <pipewright/cloudflare/permissions.hpp>

#include <boost/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace pipewright::cloudflare {

struct ResolvedGroup {
  std::string name;
  std::string id;
  Scope scope = Scope::account;
};

// The resources a token is granted on.
struct PolicyTargets {
  std::string account_id;
  std::string zone_id;
  std::string user_id;
};

// The `resources` value for a scope: {"com.cloudflare.api.account.<a>": "*"},
// {"com.cloudflare.api.account.zone.<z>": "*"}, {"com.cloudflare.api.user.<u>": "*"},
// or, for R2 bucket groups, every bucket of the account. Throws
// std::invalid_argument naming the missing id.
boost::json::object resources_for(Scope scope, const PolicyTargets& targets);

// One "allow" policy per scope used, in account, zone, user, r2.bucket order,
// each listing its groups' ids. Throws std::invalid_argument when a scope's
// id is missing from `targets`.
boost::json::array build_policies(const std::vector<ResolvedGroup>& groups, const PolicyTargets& targets);

// Ids of the groups a token's `policies` allow on the account/zone in
// `targets` (wildcards count; explicit deny wins over allow).
std::set<std::string> granted_group_ids(const boost::json::array& policies, const PolicyTargets& targets);

}  // namespace pipewright::cloudflare
