// Zone Workers route patterns: "host/path" with '*' wildcards, no scheme, and
// a host inside the zone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

// Why `pattern` cannot be a route of zone `zone_name`; nullopt when it can.
std::optional<std::string> workers_route_pattern_problem(std::string_view pattern, std::string_view zone_name);

}  // namespace pw::sandbox
