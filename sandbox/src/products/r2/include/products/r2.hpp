// R2 through the REST API (docs/cloudflare-api.md 5.2, 5.3): the bucket and
// object endpoints, and the bucket lookup Workers' R2 bindings need.
#pragma once

#include <string_view>

#include "server/module.hpp"
#include "server/state.hpp"

namespace pw::sandbox {

Module r2_module();
// R2's S3 API: its tables (multipart uploads) as a module, its endpoints on
// the S3 listener's router (routes at the root).
Module r2_s3_module();
void add_r2_s3_endpoints(Router& r);

bool r2_bucket_exists(State& state, std::string_view account_id, std::string_view jurisdiction,
                      std::string_view name);

}  // namespace pw::sandbox
