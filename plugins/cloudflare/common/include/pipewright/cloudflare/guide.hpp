// Texts that tell a user how to get a correct token: the manual creation
// guide, the fix for missing permission groups, and the pipewright command
// that creates a token with all eight. Shared by token.test_permissions,
// token.guide and any plugin that meets a 403.
#pragma once

#include <pipewright/cloudflare/permissions.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pipewright::cloudflare {

// `CLOUDFLARE_ACCOUNT_ID=<a> CLOUDFLARE_ZONE_ID=<z> pipewright run create-token`
// (ids left as placeholders when empty; the pipelines read them from the environment).
std::string create_token_command(std::string_view account_id, std::string_view zone_id);

// One paragraph per group: "Workers Routes Write (zone <z>): in the
// dashboard, <path>." followed by the command that creates a correct token.
std::string missing_permissions_guide(const std::vector<const PermissionGroup*>& missing,
                                      std::string_view account_id, std::string_view zone_id);

// The manual guide: dashboard steps, the permission table, User vs Account
// vs Zone tokens, Global API Key vs token, and the pipewright commands.
std::string token_creation_guide(std::string_view account_id, std::string_view zone_id);

// The message for a credential that may not create or list tokens.
std::string api_tokens_write_advice();

}  // namespace pipewright::cloudflare
