// The endpoint inventory: the real Cloudflare API's (method, path) in the
// families the sandbox emulates, generated from the official TypeScript SDK
// into sandbox/inventory/endpoints.json and compiled in. Those no product
// serves answer 501 instead of 7003 (docs/sandbox.md "Endpoint inventory").
#pragma once

#include <string_view>

#include "server/router.hpp"

namespace pw::sandbox {

// The inventory file's text, as committed.
std::string_view endpoint_inventory_json();
// Adds every inventory endpoint to `r` as a not-emulated route; call after
// the products added theirs.
void add_endpoint_inventory(Router& r);

}  // namespace pw::sandbox
