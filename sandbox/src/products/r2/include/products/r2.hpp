// R2 through the REST API (docs/cloudflare-api.md 5.2, 5.3): the bucket and
// object endpoints, and the bucket lookup Workers' R2 bindings need.
#pragma once

#include <string_view>

#include "server/module.hpp"
#include "server/state.hpp"

namespace pw::sandbox {

Module r2_module();

bool r2_bucket_exists(State& state, std::string_view account_id, std::string_view jurisdiction,
                      std::string_view name);

}  // namespace pw::sandbox
