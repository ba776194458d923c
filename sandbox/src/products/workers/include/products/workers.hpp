// Workers scripts and the endpoints `wrangler deploy` calls
// (docs/cloudflare-api.md 5.4).
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module workers_module();

}  // namespace pw::sandbox
