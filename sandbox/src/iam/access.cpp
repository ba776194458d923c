#include "iam/access.hpp"

#include <algorithm>

#include "iam/permission_groups.hpp"

namespace pw::sandbox {
namespace {

using Kind = ResourceKey::Kind;

bool key_matches(const ResourceKey& k, Scope scope, const Resource& r) {
  switch (scope) {
    case Scope::account:
      // Account groups apply to the account itself and to its R2 buckets.
      return k.kind == Kind::account &&
             (r.kind == Resource::Kind::account || r.kind == Resource::Kind::r2_bucket) &&
             (k.id == "*" || k.id == r.account_id);
    case Scope::zone:
      // A bare account key does not grant zone groups (3.3); a nested one does.
      return k.kind == Kind::zone && r.kind == Resource::Kind::zone &&
             (k.id == "*" || k.id == r.zone_id) && (k.account.empty() || k.account == r.account_id);
    case Scope::r2_bucket:
      return k.kind == Kind::r2_bucket && r.kind == Resource::Kind::r2_bucket &&
             (k.account.empty() || k.account == r.account_id) &&
             (k.id == "*" || k.id == r.account_id + "_" + r.jurisdiction + "_" + r.bucket);
    case Scope::user:
      return k.kind == Kind::user && r.kind == Resource::Kind::user && k.id == r.user_id;
  }
  return false;
}

bool group_grants(const Principal& who, const PermissionGroup& g, const Resource& r) {
  bool allow = false;
  for (const auto& p : who.policies) {
    if (std::find(p.group_ids.begin(), p.group_ids.end(), g.id) == p.group_ids.end()) continue;
    bool hit = std::any_of(p.keys.begin(), p.keys.end(),
                           [&](const ResourceKey& k) { return key_matches(k, g.scope, r); });
    if (!hit) continue;
    if (!p.allow) return false;  // explicit deny wins
    allow = true;
  }
  return allow;
}

// Fills in derived ids and checks the resource exists and belongs to who.
bool resolve(Db& db, const Principal& who, Resource& r) {
  switch (r.kind) {
    case Resource::Kind::account:
    case Resource::Kind::r2_bucket:
      return can_reach_account(db, who, r.account_id);
    case Resource::Kind::zone: {
      auto acct = zone_account(db, r.zone_id);
      if (!acct) return false;
      r.account_id = *acct;
      return can_reach_account(db, who, r.account_id);
    }
    case Resource::Kind::user:
      return !who.user_id.empty() && who.user_id == r.user_id;
    default:
      return false;
  }
}

bool allowed_one(Db& db, const Principal& who, const GroupNames& any_of, Resource r) {
  if (!resolve(db, who, r)) return false;
  if (who.kind == CredentialKind::global_key) return true;  // the user's full power
  for (auto name : any_of) {
    const auto* g = find_group_by_name(name);
    if (g && group_grants(who, *g, r)) return true;
  }
  return false;
}

std::vector<std::string> reachable_accounts(Db& db, const Principal& who) {
  std::vector<std::string> out;
  if (!who.user_id.empty()) {
    auto s = db.query("SELECT account_id FROM memberships WHERE user_id=?1", who.user_id);
    while (s.step()) out.push_back(s.text(0));
  } else if (can_reach_account(db, who, who.account_id)) {
    out.push_back(who.account_id);
  }
  return out;
}

}  // namespace

bool can_reach_account(Db& db, const Principal& who, std::string_view account_id) {
  if (who.user_id.empty()) {
    if (account_id != who.account_id) return false;
    return db.query("SELECT 1 FROM accounts WHERE id=?1", account_id).step();
  }
  return db
      .query("SELECT 1 FROM memberships WHERE user_id=?1 AND account_id=?2", who.user_id,
             account_id)
      .step();
}

std::optional<std::string> zone_account(Db& db, std::string_view zone_id) {
  auto s = db.query("SELECT account_id FROM zones WHERE id=?1", zone_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

bool allowed(Db& db, const Principal& who, const GroupNames& any_of, const Resource& what) {
  if (what.kind == Resource::Kind::any_account) {
    for (const auto& a : reachable_accounts(db, who))
      if (allowed_one(db, who, any_of, Resource::account(a))) return true;
    return false;
  }
  if (what.kind == Resource::Kind::any_zone) {
    for (const auto& a : reachable_accounts(db, who)) {
      auto s = db.query("SELECT id FROM zones WHERE account_id=?1", a);
      while (s.step())
        if (allowed_one(db, who, any_of, Resource::zone(s.text(0)))) return true;
    }
    return false;
  }
  return allowed_one(db, who, any_of, what);
}

std::optional<Response> require(Db& db, const Principal& who, const GroupNames& any_of,
                                const Resource& what) {
  if (allowed(db, who, any_of, what)) return std::nullopt;
  return what.kind == Resource::Kind::user ? user_level_denied() : auth_error();
}

}  // namespace pw::sandbox
