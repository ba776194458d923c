#include "iam/permission_groups.hpp"

#include <array>

namespace pw::sandbox {
namespace {

constexpr std::array<PermissionGroup, 23> table{{
    {"c1fde68c7bcc44588cbb6ddbc16d6480", "Account Settings Read", Scope::account,
     "Grants read access to account settings."},
    {"1af1fa2adc104452b74a9a3364202f20", "Account Settings Write", Scope::account,
     "Grants write access to account settings."},
    {"b4992e1108244f5d8bfbd5744320c2e1", "Workers R2 Storage Read", Scope::account,
     "Grants read access to R2 buckets and objects."},
    {"bf7481a1826f439697cb59a20b22293e", "Workers R2 Storage Write", Scope::account,
     "Grants write access to R2 buckets and objects."},
    {"6a018a9f2fc74eb6b293b0c548f38b39", "Workers R2 Storage Bucket Item Read", Scope::r2_bucket,
     "Grants read access to the objects of one R2 bucket."},
    {"2efd5506f9c8494dacb1fa10a3e7d5b6", "Workers R2 Storage Bucket Item Write", Scope::r2_bucket,
     "Grants write access to the objects of one R2 bucket."},
    {"1a71c399035b4950a1bd1466bbe4f420", "Workers Scripts Read", Scope::account,
     "Grants read access to Workers scripts."},
    {"e086da7e2179491d91ee5f35b3ca210a", "Workers Scripts Write", Scope::account,
     "Grants write access to Workers scripts."},
    {"2072033d694d415a936eaeb94e6405b8", "Workers Routes Read", Scope::zone,
     "Grants read access to zone Workers routes."},
    {"28f4b596e7d643029c524985477ae49a", "Workers Routes Write", Scope::zone,
     "Grants write access to zone Workers routes."},
    {"c8fed203ed3043cba015a93ad1616f1f", "Zone Read", Scope::zone, "Grants read access to zones."},
    {"e6d2666161e84845a636613608cee8d5", "Zone Write", Scope::zone,
     "Grants write access to zones."},
    {"82e64a83756745bbbb1c9c2701bf816b", "DNS Read", Scope::zone,
     "Grants read access to DNS records."},
    {"4755a26eedb94da69e1066d98aa820be", "DNS Write", Scope::zone,
     "Grants write access to DNS records."},
    {"7b7216b327b04b8fbc8f524e1f9b7531", "SSL and Certificates Read", Scope::zone,
     "Grants read access to SSL and custom hostnames."},
    {"c03055bc037c4ea9afb9a9f104b7b721", "SSL and Certificates Write", Scope::zone,
     "Grants write access to SSL and custom hostnames."},
    {"0cc3a61731504c89b99ec1be78b77aa0", "API Tokens Read", Scope::user,
     "Grants read access to the user's API tokens."},
    {"686d18d5ac6c441c867cbf6771e58a0a", "API Tokens Write", Scope::user,
     "Grants write access to the user's API tokens."},
    {"8acbe5bb0d54464ab867149d7f7cf8ac", "User Details Read", Scope::user,
     "Grants read access to user details."},
    {"3518d0f75557482e952c6762d3e64903", "Memberships Read", Scope::user,
     "Grants read access to the user's memberships."},
    {"05880cd1bdc24d8bae0be2136972816b", "Workers Tail Read", Scope::account,
     "Grants access to Workers tail logs."},
    {"eb56a6953c034b9d97dd838155666f06", "Account API Tokens Read", Scope::account,
     "Grants read access to account-owned API tokens."},
    {"5bc3f8b21c554832afc660159ab75fa4", "Account API Tokens Write", Scope::account,
     "Grants write access to account-owned API tokens."},
}};

}  // namespace

std::span<const PermissionGroup> permission_groups() { return table; }

const PermissionGroup* find_group_by_id(std::string_view id) {
  for (const auto& g : table)
    if (g.id == id) return &g;
  return nullptr;
}

const PermissionGroup* find_group_by_name(std::string_view name) {
  for (const auto& g : table)
    if (g.name == name) return &g;
  return nullptr;
}

std::string_view scope_key(Scope s) {
  switch (s) {
    case Scope::account:
      return "com.cloudflare.api.account";
    case Scope::zone:
      return "com.cloudflare.api.account.zone";
    case Scope::user:
      return "com.cloudflare.api.user";
    case Scope::r2_bucket:
      return "com.cloudflare.edge.r2.bucket";
  }
  return "";
}

std::vector<std::string_view> group_names_with_scope(Scope s) {
  std::vector<std::string_view> out;
  for (const auto& g : table)
    if (g.scope == s) out.push_back(g.name);
  return out;
}

}  // namespace pw::sandbox
