#include <pipewright/cloudflare/permissions.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <pipewright/util/edit_distance.hpp>

namespace pipewright::cloudflare {
namespace {

constexpr std::array<PermissionGroup, 23> catalog = {{
    {"Account Settings Read", "c1fde68c7bcc44588cbb6ddbc16d6480", Scope::account, "Account Settings", "Read", true},
    {"Account Settings Write", "1af1fa2adc104452b74a9a3364202f20", Scope::account, "Account Settings", "Edit", false},
    {"Workers R2 Storage Read", "b4992e1108244f5d8bfbd5744320c2e1", Scope::account, "Workers R2 Storage", "Read", false},
    {"Workers R2 Storage Write", "bf7481a1826f439697cb59a20b22293e", Scope::account, "Workers R2 Storage", "Edit", true},
    {"Workers R2 Storage Bucket Item Read", "6a018a9f2fc74eb6b293b0c548f38b39", Scope::r2_bucket, "Workers R2 Storage Bucket Item", "Read", false},
    {"Workers R2 Storage Bucket Item Write", "2efd5506f9c8494dacb1fa10a3e7d5b6", Scope::r2_bucket, "Workers R2 Storage Bucket Item", "Edit", false},
    {"Workers Scripts Read", "1a71c399035b4950a1bd1466bbe4f420", Scope::account, "Workers Scripts", "Read", true},
    {"Workers Scripts Write", "e086da7e2179491d91ee5f35b3ca210a", Scope::account, "Workers Scripts", "Edit", true},
    {"Workers Routes Read", "2072033d694d415a936eaeb94e6405b8", Scope::zone, "Workers Routes", "Read", false},
    {"Workers Routes Write", "28f4b596e7d643029c524985477ae49a", Scope::zone, "Workers Routes", "Edit", true},
    {"Zone Read", "c8fed203ed3043cba015a93ad1616f1f", Scope::zone, "Zone", "Read", true},
    {"Zone Write", "e6d2666161e84845a636613608cee8d5", Scope::zone, "Zone", "Edit", false},
    {"DNS Read", "82e64a83756745bbbb1c9c2701bf816b", Scope::zone, "DNS", "Read", false},
    {"DNS Write", "4755a26eedb94da69e1066d98aa820be", Scope::zone, "DNS", "Edit", false},
    {"SSL and Certificates Read", "7b7216b327b04b8fbc8f524e1f9b7531", Scope::zone, "SSL and Certificates", "Read", true},
    {"SSL and Certificates Write", "c03055bc037c4ea9afb9a9f104b7b721", Scope::zone, "SSL and Certificates", "Edit", true},
    {"API Tokens Read", "0cc3a61731504c89b99ec1be78b77aa0", Scope::user, "API Tokens", "Read", false},
    {"API Tokens Write", "686d18d5ac6c441c867cbf6771e58a0a", Scope::user, "API Tokens", "Edit", false},
    {"User Details Read", "8acbe5bb0d54464ab867149d7f7cf8ac", Scope::user, "User Details", "Read", false},
    {"Memberships Read", "3518d0f75557482e952c6762d3e64903", Scope::user, "Memberships", "Read", false},
    {"Workers Tail Read", "05880cd1bdc24d8bae0be2136972816b", Scope::account, "Workers Tail", "Read", false},
    {"Account API Tokens Read", "eb56a6953c034b9d97dd838155666f06", Scope::account, "Account API Tokens", "Read", false},
    {"Account API Tokens Write", "5bc3f8b21c554832afc660159ab75fa4", Scope::account, "Account API Tokens", "Edit", false},
}};


}  // namespace

std::string group_name_key(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::span<const PermissionGroup> permission_catalog() { return catalog; }

std::vector<const PermissionGroup*> required_groups() {
  // Test order: account checks first, then zone checks.
  static constexpr std::array<std::string_view, 8> order = {
      "Account Settings Read", "Workers R2 Storage Write", "Workers Scripts Read",
      "Workers Scripts Write", "Workers Routes Write",     "Zone Read",
      "SSL and Certificates Read", "SSL and Certificates Write"};
  std::vector<const PermissionGroup*> out;
  for (auto name : order) out.push_back(find_group(name));
  return out;
}

std::vector<std::string> required_group_names() {
  std::vector<std::string> out;
  for (const auto* g : required_groups()) out.emplace_back(g->name);
  return out;
}

const PermissionGroup* find_group(std::string_view name) {
  const std::string wanted = group_name_key(name);
  for (const auto& g : catalog)
    if (group_name_key(g.name) == wanted) return &g;
  return nullptr;
}

const PermissionGroup* find_group_by_id(std::string_view id) {
  for (const auto& g : catalog)
    if (g.id == id) return &g;
  return nullptr;
}

std::vector<std::string> closest_group_names(std::string_view name, std::size_t limit) {
  const std::string wanted = group_name_key(name);
  std::vector<std::pair<std::size_t, std::string_view>> ranked;
  for (const auto& g : catalog) {
    const std::string candidate = group_name_key(g.name);
    std::size_t score = pw::util::edit_distance(wanted, candidate);
    // A name that contains what was typed (or the reverse) ranks first.
    if (!wanted.empty() && (candidate.find(wanted) != std::string::npos ||
                            wanted.find(candidate) != std::string::npos))
      score = 0;
    ranked.emplace_back(score, g.name);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  const std::size_t cutoff = std::max<std::size_t>(4, wanted.size() / 2);
  for (const auto& [score, candidate] : ranked) {
    if (out.size() >= limit || score > cutoff) break;
    out.emplace_back(candidate);
  }
  return out;
}

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::account: return "account";
    case Scope::zone: return "zone";
    case Scope::user: return "user";
    case Scope::r2_bucket: return "r2.bucket";
  }
  return "account";
}

std::string_view scope_key(Scope scope) {
  switch (scope) {
    case Scope::account: return "com.cloudflare.api.account";
    case Scope::zone: return "com.cloudflare.api.account.zone";
    case Scope::user: return "com.cloudflare.api.user";
    case Scope::r2_bucket: return "com.cloudflare.edge.r2.bucket";
  }
  return "com.cloudflare.api.account";
}

bool parse_scope(std::string_view text, Scope& out) {
  for (Scope s : {Scope::account, Scope::zone, Scope::user, Scope::r2_bucket}) {
    if (text == scope_key(s) || text == scope_name(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

std::string_view dashboard_scope(Scope scope) {
  switch (scope) {
    case Scope::zone: return "Zone";
    case Scope::user: return "User";
    case Scope::account:
    case Scope::r2_bucket: return "Account";
  }
  return "Account";
}

std::string dashboard_row(const PermissionGroup& group) {
  return std::string(dashboard_scope(group.scope)) + " → " + std::string(group.dashboard_permission) +
         " → " + std::string(group.dashboard_level);
}

std::string dashboard_path(const PermissionGroup& group) {
  std::string path = "My Profile → API Tokens → Edit (on the token) → Permissions → add " +
                     dashboard_row(group);
  if (group.scope == Scope::zone)
    path += "; Zone Resources → Include → Specific zone → your zone";
  else if (group.scope == Scope::account || group.scope == Scope::r2_bucket)
    path += "; Account Resources → Include → your account";
  return path + " → Continue to summary → Update Token";
}

std::string scope_description(Scope scope, std::string_view account_id, std::string_view zone_id) {
  switch (scope) {
    case Scope::zone: return zone_id.empty() ? "zone" : "zone " + std::string(zone_id);
    case Scope::user: return "user";
    case Scope::account:
    case Scope::r2_bucket: return account_id.empty() ? "account" : "account " + std::string(account_id);
  }
  return "account";
}

}  // namespace pipewright::cloudflare
