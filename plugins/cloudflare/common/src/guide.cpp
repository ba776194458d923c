#include <pipewright/cloudflare/guide.hpp>

namespace pipewright::cloudflare {
namespace {

std::string or_placeholder(std::string_view id, std::string_view placeholder) {
  return id.empty() ? std::string(placeholder) : std::string(id);
}

}  // namespace

std::string create_token_command(std::string_view account_id, std::string_view zone_id) {
  return "CLOUDFLARE_ACCOUNT_ID=" + or_placeholder(account_id, "<account id>") +
         " CLOUDFLARE_ZONE_ID=" + or_placeholder(zone_id, "<zone id>") + " pipewright run create-token";
}

std::string missing_permissions_guide(const std::vector<const PermissionGroup*>& missing,
                                      std::string_view account_id, std::string_view zone_id) {
  std::string out;
  for (const auto* group : missing) {
    out += "- " + std::string(group->name) + " (" + scope_description(group->scope, account_id, zone_id) +
           "): in the dashboard, " + dashboard_path(*group) + ".\n";
  }
  out += "Or let pipewright create a token that holds all eight groups:\n  " +
         create_token_command(account_id, zone_id) +
         "\n(with CLOUDFLARE_EMAIL and CLOUDFLARE_GLOBAL_KEY set; or create-token-with-token and a "
         "CLOUDFLARE_API_TOKEN that holds API Tokens Write).";
  return out;
}

std::string api_tokens_write_advice() {
  return "The credential this step uses may not manage API tokens: creating a token needs the "
         "\"API Tokens Write\" permission group (dashboard: My Profile → API Tokens → Edit the token → "
         "Permissions → add User → API Tokens → Edit). Add it to the creating token, or create the "
         "token with the Global API Key instead (pipewright run create-token, with CLOUDFLARE_EMAIL "
         "and CLOUDFLARE_GLOBAL_KEY).";
}

std::string token_creation_guide(std::string_view account_id, std::string_view zone_id) {
  std::string out;
  out += "Creating the Cloudflare API token pipewright needs\n\n";
  out += "Automatic (recommended):\n  " + create_token_command(account_id, zone_id) +
         "\n  uses the Global API Key (CLOUDFLARE_EMAIL + CLOUDFLARE_GLOBAL_KEY), tests the new token "
         "and saves it to .env as CLOUDFLARE_API_TOKEN.\n  pipewright run create-token-with-token ... does "
         "the same with a CLOUDFLARE_API_TOKEN that holds API Tokens Write.\n\n";
  out += "By hand in the dashboard:\n"
         "  1. My Profile → API Tokens → Create Token → Create Custom Token (Get started).\n"
         "  2. Name it, then add one Permissions row per group below.\n"
         "  3. Account Resources: Include → your account" +
         (account_id.empty() ? std::string() : " (" + std::string(account_id) + ")") +
         ".\n  4. Zone Resources: Include → Specific zone → your zone" +
         (zone_id.empty() ? std::string() : " (" + std::string(zone_id) + ")") +
         ".\n  5. Continue to summary → Create Token; copy the value (it is shown once) into .env as "
         "CLOUDFLARE_API_TOKEN.\n  6. Check it: pipewright run test-token\n\n";
  out += "Permission groups (API name | dashboard row | resource):\n";
  for (const auto* group : required_groups()) {
    out += "  " + std::string(group->name) + " | " + dashboard_row(*group) + " | " +
           scope_description(group->scope, account_id, zone_id) + "\n";
  }
  out += "\nUser vs Account vs Zone:\n"
         "  A User API token (My Profile → API Tokens) belongs to you and can hold both account and zone "
         "groups; pipewright needs this kind.\n"
         "  An account-owned token (Manage Account → Account API Tokens) has no user identity: it cannot "
         "call /user endpoints and is verified per account, so pipewright's checks refuse it.\n"
         "  Zone groups (Workers Routes, Zone, SSL and Certificates) must be granted on the zone; "
         "account groups (Account Settings, Workers R2 Storage, Workers Scripts) on the account.\n\n";
  out += "Global API Key vs token:\n"
         "  The Global API Key (My Profile → API Tokens → Global API Key) has every power of your user "
         "and cannot be limited; use it only to create the token, never in day-to-day pipelines.\n"
         "  A token carries only the groups it lists, can expire and be restricted to IP ranges, and "
         "can be rolled or revoked on its own.\n";
  return out;
}

}  // namespace pipewright::cloudflare
