#include <pipewright/cloudflare/policies.hpp>

#include <stdexcept>

namespace pipewright::cloudflare {
namespace json = boost::json;

namespace {

std::string key_for(Scope scope, std::string_view id) { return std::string(scope_key(scope)) + "." + std::string(id); }

// True when the resources map covers the scope's resource in targets.
bool covers(const json::object& resources, Scope scope, const PolicyTargets& t) {
  const std::string account_key = key_for(Scope::account, t.account_id);
  const std::string all_accounts = "com.cloudflare.api.account.*";
  switch (scope) {
    case Scope::account:
    case Scope::r2_bucket:
      if (resources.contains(all_accounts)) return true;
      if (t.account_id.empty()) return false;
      if (const auto* v = resources.if_contains(account_key)) {
        if (scope == Scope::account) return v->is_string();
        // R2 bucket groups: the account key with every bucket nested under it.
        return v->is_object() && v->as_object().contains("com.cloudflare.edge.r2.bucket.*");
      }
      return false;
    case Scope::zone: {
      if (resources.contains("com.cloudflare.api.account.zone.*")) return true;
      if (!t.zone_id.empty() && resources.contains(key_for(Scope::zone, t.zone_id))) return true;
      // Every zone of an account, nested under the account (or every account) key.
      for (const auto& key : {account_key, all_accounts}) {
        if (const auto* v = resources.if_contains(key); v && v->is_object() &&
                                                          v->as_object().contains("com.cloudflare.api.account.zone.*"))
          return true;
      }
      return false;
    }
    case Scope::user:
      return !t.user_id.empty() && resources.contains(key_for(Scope::user, t.user_id));
  }
  return false;
}

}  // namespace

json::object resources_for(Scope scope, const PolicyTargets& targets) {
  auto need = [](const std::string& id, const char* what) {
    if (id.empty()) throw std::invalid_argument(std::string(what) + " is needed for this permission group");
  };
  json::object resources;
  switch (scope) {
    case Scope::account:
      need(targets.account_id, "account_id");
      resources[key_for(Scope::account, targets.account_id)] = "*";
      break;
    case Scope::zone:
      need(targets.zone_id, "zone_id");
      resources[key_for(Scope::zone, targets.zone_id)] = "*";
      break;
    case Scope::user:
      need(targets.user_id, "the user id");
      resources[key_for(Scope::user, targets.user_id)] = "*";
      break;
    case Scope::r2_bucket: {
      need(targets.account_id, "account_id");
      json::object buckets;
      buckets["com.cloudflare.edge.r2.bucket.*"] = "*";
      resources[key_for(Scope::account, targets.account_id)] = std::move(buckets);
      break;
    }
  }
  return resources;
}

json::array build_policies(const std::vector<ResolvedGroup>& groups, const PolicyTargets& targets) {
  json::array policies;
  for (Scope scope : {Scope::account, Scope::zone, Scope::user, Scope::r2_bucket}) {
    json::array ids;
    std::set<std::string> seen;
    for (const auto& g : groups) {
      if (g.scope != scope || !seen.insert(g.id).second) continue;
      json::object entry;
      entry["id"] = g.id;
      ids.push_back(std::move(entry));
    }
    if (ids.empty()) continue;
    json::object policy;
    policy["effect"] = "allow";
    policy["resources"] = resources_for(scope, targets);
    policy["permission_groups"] = std::move(ids);
    policies.push_back(std::move(policy));
  }
  return policies;
}

std::set<std::string> granted_group_ids(const json::array& policies, const PolicyTargets& targets) {
  std::set<std::string> allowed;
  std::set<std::string> denied;
  for (const auto& p : policies) {
    if (!p.is_object()) continue;
    const auto& policy = p.as_object();
    const auto* effect = policy.if_contains("effect");
    const bool deny = effect && effect->is_string() && effect->as_string() == "deny";
    const auto* resources = policy.if_contains("resources");
    const auto* groups = policy.if_contains("permission_groups");
    if (!resources || !resources->is_object() || !groups || !groups->is_array()) continue;
    for (const auto& g : groups->as_array()) {
      if (!g.is_object()) continue;
      const auto* id = g.as_object().if_contains("id");
      if (!id || !id->is_string()) continue;
      const std::string gid(id->as_string());
      Scope scope = Scope::account;
      if (const auto* known = find_group_by_id(gid)) {
        scope = known->scope;
      } else if (const auto* name = g.as_object().if_contains("name"); name && name->is_string()) {
        if (const auto* by_name = find_group(name->as_string())) scope = by_name->scope;
      }
      if (!covers(resources->as_object(), scope, targets)) continue;
      (deny ? denied : allowed).insert(gid);
    }
  }
  for (const auto& id : denied) allowed.erase(id);
  return allowed;
}

}  // namespace pipewright::cloudflare
