// Users, accounts, memberships and zones: schema and the seeded demo data.
#pragma once

#include <filesystem>
#include <optional>
#include <pipewright/sandbox.hpp>

#include "store/db.hpp"

namespace pw::sandbox {

void install_identity_schema(Db& db);
// On first start creates the demo user/account/zone (overridable by the
// seed file, see docs/sandbox.md); later starts read them back.
Identity seed_identity(Db& db, const std::optional<std::filesystem::path>& seed_file);

}  // namespace pw::sandbox
