// API tokens, user- and account-owned (docs/cloudflare-api.md section 3): the
// /user/tokens and /accounts/{a}/tokens endpoints.
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module tokens_module();

}  // namespace pw::sandbox
