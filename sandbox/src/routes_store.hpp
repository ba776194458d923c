// Zone Workers routes storage, shared by the zone routes API and wrangler's
// PUT /accounts/{a}/workers/scripts/{name}/routes.
#pragma once

#include "context.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace pw::sandbox {

void install_routes_schema(Db& db);
void add_zone_routes_routes(Router& r);

inline const GroupNames routes_read{"Workers Routes Read", "Workers Routes Write"};
inline const GroupNames routes_write{"Workers Routes Write"};

std::optional<std::string> zone_name_of(State& state, std::string_view zone_id);
// 400 10022 for a pattern outside the zone or malformed (docs/sandbox.md).
Response bad_route_pattern(std::string why);
Response duplicate_route();  // 409 10020

// {id, pattern, script} for one row of workers_routes.
boost::json::object route_json(std::string id, std::string pattern, std::optional<std::string> script);

}  // namespace pw::sandbox
