// The permission groups pipewright knows (docs/cloudflare-api.md §4): API
// name -> id, scope, the dashboard's label for it, and which eight groups a
// pipewright token needs. IDs are global; resolve by name through the API
// first and fall back to this table.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pipewright::cloudflare {

enum class Scope { account, zone, user, r2_bucket };

struct PermissionGroup {
  std::string_view name;  // API name, e.g. "Workers R2 Storage Write"
  std::string_view id;    // 32 hex
  Scope scope;
  std::string_view dashboard_permission;  // the dashboard's row label, e.g. "Workers R2 Storage"
  std::string_view dashboard_level;       // "Read" or "Edit" (the API's Write)
  bool required;                          // one of the eight pipewright tests
};

// Every known group, in the table's order.
std::span<const PermissionGroup> permission_catalog();
// The eight groups a pipewright token needs, in test order.
std::vector<const PermissionGroup*> required_groups();
std::vector<std::string> required_group_names();

// Exact name, case-insensitive and blind to repeated spaces; nullptr when unknown.
// How group names compare: ASCII lower case, runs of blanks as one space,
// none at either end ("Workers  routes write " names "Workers Routes Write").
std::string group_name_key(std::string_view name);
const PermissionGroup* find_group(std::string_view name);
const PermissionGroup* find_group_by_id(std::string_view id);
// Up to `limit` catalog names closest to `name` (edit distance, substrings
// first), for "did you mean" messages.
std::vector<std::string> closest_group_names(std::string_view name, std::size_t limit = 3);

// "account", "zone", "user", "r2.bucket".
std::string_view scope_name(Scope scope);
// The API's scope string: "com.cloudflare.api.account", ...
std::string_view scope_key(Scope scope);
// Parses a scope string from the permission_groups endpoint (or scope_name()).
bool parse_scope(std::string_view text, Scope& out);
// The dashboard's resource type column: "Account", "Zone", "User".
std::string_view dashboard_scope(Scope scope);
// "Account → Workers R2 Storage → Edit": the permission row to add.
std::string dashboard_row(const PermissionGroup& group);
// Where to click, start to end, to add the group to a User API token:
// "My Profile → API Tokens → Edit (the token) → Permissions: Account | Workers R2 Storage | Edit"
std::string dashboard_path(const PermissionGroup& group);
// The resource the group must be granted on: "account <id>", "zone <id>", "user".
std::string scope_description(Scope scope, std::string_view account_id, std::string_view zone_id);

}  // namespace pipewright::cloudflare
