#include "iam/policy.hpp"

#include "iam/permission_groups.hpp"
#include "store/ids.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

constexpr std::string_view account_prefix = "com.cloudflare.api.account.";
constexpr std::string_view zone_prefix = "com.cloudflare.api.account.zone.";
constexpr std::string_view user_prefix = "com.cloudflare.api.user.";
constexpr std::string_view bucket_prefix = "com.cloudflare.edge.r2.bucket.";

// Section 9 leaves validation codes open; we answer 400 code 1003 with a
// message naming the field (docs/sandbox.md).
Response invalid(std::string message) { return fail(400, 1003, "Invalid request: " + message); }

bool id_or_star(std::string_view s) { return s == "*" || is_id32(s); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool valid_bucket_ref(std::string_view s) {
  // <32-hex account>_<jurisdiction>_<bucket name>
  if (s.size() < 34 || !is_id32(s.substr(0, 32)) || s[32] != '_') return false;
  auto rest = s.substr(33);
  auto us = rest.find('_');
  if (us == std::string_view::npos || us + 1 >= rest.size()) return false;
  auto jur = rest.substr(0, us);
  return jur == "default" || jur == "eu" || jur == "fedramp";
}

// Parses one top-level resources entry; returns an error message or "".
std::string parse_entry(const std::string& key, const json::value& value,
                        std::vector<ResourceKey>& out) {
  auto star = [&] { return value.is_string() && value.as_string() == "*"; };
  if (starts_with(key, zone_prefix)) {
    auto id = key.substr(zone_prefix.size());
    if (!id_or_star(id) || !star()) return "bad zone resource \"" + key + "\"";
    out.push_back({ResourceKey::Kind::zone, id, ""});
  } else if (starts_with(key, account_prefix)) {
    auto id = key.substr(account_prefix.size());
    if (!id_or_star(id)) return "bad account resource \"" + key + "\"";
    if (star()) {
      out.push_back({ResourceKey::Kind::account, id, ""});
    } else if (value.is_object() && is_id32(id)) {
      if (value.as_object().empty()) return "empty nested resources under \"" + key + "\"";
      for (const auto& [nk, nv] : value.as_object()) {
        std::string nested(nk);
        if (!(nv.is_string() && nv.as_string() == "*"))
          return "nested value of \"" + nested + "\" must be \"*\"";
        if (starts_with(nested, zone_prefix) && id_or_star(nested.substr(zone_prefix.size())))
          out.push_back({ResourceKey::Kind::zone, nested.substr(zone_prefix.size()), id});
        else if (nested == std::string(bucket_prefix) + "*")
          out.push_back({ResourceKey::Kind::r2_bucket, "*", id});
        else if (starts_with(nested, bucket_prefix) &&
                 valid_bucket_ref(nested.substr(bucket_prefix.size())) &&
                 nested.substr(bucket_prefix.size(), 32) == id)
          out.push_back({ResourceKey::Kind::r2_bucket, nested.substr(bucket_prefix.size()), id});
        else
          return "bad nested resource \"" + nested + "\" under \"" + key + "\"";
      }
    } else {
      return "value of \"" + key + "\" must be \"*\" or an object of nested resources";
    }
  } else if (starts_with(key, user_prefix)) {
    auto id = key.substr(user_prefix.size());
    if (!is_id32(id) || !star()) return "bad user resource \"" + key + "\"";
    out.push_back({ResourceKey::Kind::user, id, ""});
  } else if (starts_with(key, bucket_prefix)) {
    auto ref = key.substr(bucket_prefix.size());
    if (!valid_bucket_ref(ref) || !star()) return "bad R2 bucket resource \"" + key + "\"";
    out.push_back({ResourceKey::Kind::r2_bucket, ref, ref.substr(0, 32)});
  } else {
    return "unknown resource key \"" + key + "\"";
  }
  return "";
}

std::string check_owner(const ResourceKey& k, const PolicyOwner& owner) {
  if (k.kind == ResourceKey::Kind::user && k.id != owner.user_id)
    return owner.user_id.empty() ? "account-owned tokens cannot hold user resources"
                                 : "user resource must be the token owner's own user id";
  if (!owner.account_id.empty()) {
    const std::string& acct = k.kind == ResourceKey::Kind::account ? k.id : k.account;
    if (k.kind == ResourceKey::Kind::account && acct == "*") return "";
    if (!acct.empty() && acct != owner.account_id)
      return "account-owned tokens can only grant resources of their own account";
  }
  return "";
}

}  // namespace

Outcome<std::vector<Policy>> parse_policies(const json::value& policies, const PolicyOwner& owner) {
  if (!policies.is_array() || policies.as_array().empty())
    return invalid("\"policies\" must be a non-empty array");
  std::vector<Policy> out;
  std::size_t index = 0;
  for (const auto& pv : policies.as_array()) {
    std::string where = "policies[" + std::to_string(index++) + "]";
    if (!pv.is_object()) return invalid(where + " must be an object");
    const auto& po = pv.as_object();
    Policy p;
    p.id = new_id();
    auto* effect = po.if_contains("effect");
    if (!effect || !effect->is_string() ||
        (effect->as_string() != "allow" && effect->as_string() != "deny"))
      return invalid(where + ".effect must be \"allow\" or \"deny\"");
    p.allow = effect->as_string() == "allow";
    auto* resources = po.if_contains("resources");
    if (!resources || !resources->is_object() || resources->as_object().empty())
      return invalid(where + ".resources must be a non-empty object");
    p.resources = resources->as_object();
    for (const auto& [k, v] : p.resources) {
      if (auto err = parse_entry(std::string(k), v, p.keys); !err.empty())
        return invalid(where + ": " + err);
    }
    for (const auto& k : p.keys)
      if (auto err = check_owner(k, owner); !err.empty()) return invalid(where + ": " + err);
    auto* groups = po.if_contains("permission_groups");
    if (!groups || !groups->is_array() || groups->as_array().empty())
      return invalid(where + ".permission_groups must be a non-empty array");
    for (const auto& gv : groups->as_array()) {
      const json::value* id = gv.is_object() ? gv.as_object().if_contains("id") : nullptr;
      if (!id || !id->is_string())
        return invalid(where + ".permission_groups items need an \"id\"");
      std::string gid(id->as_string());
      if (!find_group_by_id(gid)) return invalid("permission group " + gid + " does not exist");
      p.group_ids.push_back(gid);
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Policy> load_policies(const json::value& stored) {
  std::vector<Policy> out;
  for (const auto& pv : stored.as_array()) {
    const auto& po = pv.as_object();
    Policy p;
    p.id = std::string(po.at("id").as_string());
    p.allow = po.at("effect").as_string() == "allow";
    p.resources = po.at("resources").as_object();
    for (const auto& [k, v] : p.resources) parse_entry(std::string(k), v, p.keys);
    for (const auto& g : po.at("permission_groups").as_array())
      p.group_ids.emplace_back(g.as_object().at("id").as_string());
    out.push_back(std::move(p));
  }
  return out;
}

json::array policies_json(const std::vector<Policy>& policies) {
  json::array out;
  for (const auto& p : policies) {
    json::array groups;
    for (const auto& gid : p.group_ids) {
      const auto* g = find_group_by_id(gid);
      groups.push_back(json::object{{"id", gid}, {"name", g ? g->name : std::string_view("")}});
    }
    out.push_back(json::object{{"id", p.id},
                               {"effect", p.allow ? "allow" : "deny"},
                               {"resources", p.resources},
                               {"permission_groups", std::move(groups)}});
  }
  return out;
}

}  // namespace pw::sandbox
