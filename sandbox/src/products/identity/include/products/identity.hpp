// Users, accounts, memberships and zones (docs/cloudflare-api.md 5.1): the
// read endpoints.
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module identity_module();

}  // namespace pw::sandbox
