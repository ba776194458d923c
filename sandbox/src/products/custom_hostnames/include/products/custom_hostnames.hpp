// Custom hostnames, Cloudflare for SaaS (docs/cloudflare-api.md 5.6), with
// the activation test hook.
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module custom_hostnames_module();

}  // namespace pw::sandbox
