// A tenants file: a JSON (or JSONC) array of {"tenant", "domain", "site"},
// `site` relative to the file's directory. Read and checked whole before a
// deployment makes any request; every problem is a Diagnostic at its
// FILE:LINE:COL.
#pragma once

#include <pipewright/util/diagnostic.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipewright::cloudflare::tenants {

struct Tenant {
  std::string tenant;
  std::string domain;
  std::filesystem::path site;  // absolute, normalised
};

struct TenantsFile {
  std::vector<Tenant> tenants;  // complete only when `problems` is empty
  pw::Diagnostics problems;
};

// `file` is shown in messages as given; relative sites are resolved against
// its directory.
TenantsFile read_tenants_file(const std::filesystem::path& file);
TenantsFile parse_tenants(std::string_view text, const std::filesystem::path& file);

// Why `domain` is not a hostname Cloudflare can serve for a tenant; nullopt when it is.
std::optional<std::string> domain_problem(std::string_view domain);
// Why `tenant` cannot be a tenant id (an R2 key prefix and hostname metadata).
std::optional<std::string> tenant_id_problem(std::string_view tenant);

}  // namespace pipewright::cloudflare::tenants
