// DNS records, minimal (docs/cloudflare-api.md 5.7).
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module dns_module();

}  // namespace pw::sandbox
