// Zone Workers routes storage, used by the zone endpoints.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "products/workers_routes.hpp"

namespace pw::sandbox {

void install_workers_routes_schema(Db& db);
void add_workers_routes_endpoints(Router& r);

std::optional<std::string> zone_name_of(State& state, std::string_view zone_id);

}  // namespace pw::sandbox
