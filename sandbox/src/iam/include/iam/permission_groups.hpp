// The permission groups of docs/cloudflare-api.md section 4: ids, names, scopes.
// Immutable data, global on purpose (ids are the same for every account).
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace pw::sandbox {

enum class Scope { account, zone, user, r2_bucket };

struct PermissionGroup {
  std::string_view id;
  std::string_view name;
  Scope scope;
  std::string_view description;
};

std::span<const PermissionGroup> permission_groups();
const PermissionGroup* find_group_by_id(std::string_view id);
const PermissionGroup* find_group_by_name(std::string_view name);
std::string_view scope_key(Scope s);  // "com.cloudflare.api.account", ...
// Names of every group with this scope ("any zone-scoped group" rules).
std::vector<std::string_view> group_names_with_scope(Scope s);

}  // namespace pw::sandbox
