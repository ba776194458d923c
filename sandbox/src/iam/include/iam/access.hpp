// Authorisation: does a principal hold one of some permission groups on a
// resource? Implements docs/cloudflare-api.md 3.3 (explicit deny wins, a group
// only applies to resources of its own scope, account wildcards, "all zones
// / buckets of one account" nesting) plus ownership: a foreign or unknown
// account/zone is refused like a missing permission (403 10000).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam/principal.hpp"
#include "store/db.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {

struct Resource {
  enum class Kind { account, zone, user, r2_bucket, any_account, any_zone } kind;
  std::string account_id;    // account, r2_bucket (zone: filled in from the zone)
  std::string zone_id;       // zone
  std::string user_id;       // user
  std::string jurisdiction;  // r2_bucket: default | eu | fedramp
  std::string bucket;        // r2_bucket name

  static Resource account(std::string id) { return {Kind::account, std::move(id), {}, {}, {}, {}}; }
  static Resource zone(std::string id) { return {Kind::zone, {}, std::move(id), {}, {}, {}}; }
  static Resource user(std::string id) { return {Kind::user, {}, {}, std::move(id), {}, {}}; }
  static Resource r2_bucket(std::string account_id, std::string jurisdiction, std::string name) {
    return {Kind::r2_bucket,         std::move(account_id), {}, {},
            std::move(jurisdiction), std::move(name)};
  }
  // "Any account / zone the principal can reach" (list endpoints that need
  // "any account group" / "any zone group").
  static Resource any_account() { return {Kind::any_account, {}, {}, {}, {}, {}}; }
  static Resource any_zone() { return {Kind::any_zone, {}, {}, {}, {}, {}}; }
};

using GroupNames = std::vector<std::string_view>;

// True when `who` holds at least one of `any_of` (group names) on `what`.
bool allowed(Db& db, const Principal& who, const GroupNames& any_of, const Resource& what);
// nullopt when allowed, else the refusal to send: 403 9109 "Unauthorized to
// access requested resource" for user resources, 403 10000 otherwise.
std::optional<Response> require(Db& db, const Principal& who, const GroupNames& any_of,
                                const Resource& what);

// Reachability without permissions (used by list filters).
bool can_reach_account(Db& db, const Principal& who, std::string_view account_id);
std::optional<std::string> zone_account(Db& db, std::string_view zone_id);

}  // namespace pw::sandbox
