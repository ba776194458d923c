// Workers Routes (docs/cloudflare-api.md 5.5): the zone endpoints, and what
// the Workers room shares with them for wrangler's
// PUT /accounts/{a}/workers/scripts/{name}/routes.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "server/context.hpp"
#include "server/module.hpp"

namespace pw::sandbox {

Module workers_routes_module();

inline const GroupNames workers_routes_read{"Workers Routes Read", "Workers Routes Write"};
inline const GroupNames workers_routes_write{"Workers Routes Write"};

// 400 10022 for a pattern outside the zone or malformed (docs/sandbox.md).
Response bad_workers_route_pattern(std::string why);
Response duplicate_workers_route();  // 409 10020

// {id, pattern, script} for one row of workers_routes.
boost::json::object workers_route_json(std::string id, std::string pattern,
                                       std::optional<std::string> script);

}  // namespace pw::sandbox
