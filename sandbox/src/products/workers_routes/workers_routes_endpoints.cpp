// Zone Workers routes (docs/cloudflare-api.md 5.5): unpaginated list, create,
// get, replace, delete. A route may name no script, or one that does not
// exist (docs/sandbox.md): it simply does nothing.
#include "products/workers_route_pattern.hpp"
#include "server/module.hpp"
#include "store/ids.hpp"
#include "workers_routes_store.hpp"

#include <boost/json.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

struct RouteInput {
  std::string pattern;
  std::optional<std::string> script;
};

// The body of POST/PUT: {pattern, script?}; 400 10022 when unusable.
Outcome<RouteInput> route_input(RequestContext& ctx, const std::string& zone_name) {
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  const auto* pattern = o ? o->if_contains("pattern") : nullptr;
  if (!pattern || !pattern->is_string())
    return bad_workers_route_pattern("the body must be {\"pattern\": \"" + zone_name + "/*\", \"script\": \"<worker>\"}");
  RouteInput in{std::string(pattern->as_string()), std::nullopt};
  if (auto problem = workers_route_pattern_problem(in.pattern, zone_name)) return bad_workers_route_pattern(*problem);
  if (const auto* script = o->if_contains("script"); script && !script->is_null()) {
    if (!script->is_string()) return bad_workers_route_pattern("script must be a string");
    if (!script->as_string().empty()) in.script = std::string(script->as_string());
  }
  return in;
}

Outcome<std::string> zone_for(RequestContext& ctx, const GroupNames& groups) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(groups, Resource::zone(zone))) return std::move(*denied);
  auto name = zone_name_of(ctx.state, zone);
  if (!name) return auth_error();
  return std::move(*name);
}

Response route_not_found() { return fail(404, 10009, "Route not found"); }

std::optional<json::object> find_route(State& state, std::string_view zone, std::string_view id) {
  auto s = state.db.query("SELECT id, pattern, script FROM workers_routes WHERE zone_id=?1 AND id=?2", zone, id);
  if (!s.step()) return std::nullopt;
  return workers_route_json(s.text(0), s.text(1), s.optional_text(2));
}

bool pattern_taken(State& state, std::string_view zone, std::string_view pattern, std::string_view except_id) {
  return state.db.query("SELECT 1 FROM workers_routes WHERE zone_id=?1 AND pattern=?2 AND id<>?3", zone, pattern, except_id)
      .step();
}

Response list_routes(RequestContext& ctx) {
  auto zone = zone_for(ctx, workers_routes_read);
  if (!zone) return std::move(zone.error());
  auto s = ctx.state.db.query("SELECT id, pattern, script FROM workers_routes WHERE zone_id=?1 ORDER BY pattern",
                              ctx.param("zone_id"));
  json::array out;
  while (s.step()) out.push_back(workers_route_json(s.text(0), s.text(1), s.optional_text(2)));
  return ok(std::move(out));
}

Response create_route(RequestContext& ctx) {
  auto zone = zone_for(ctx, workers_routes_write);
  if (!zone) return std::move(zone.error());
  auto in = route_input(ctx, *zone);
  if (!in) return std::move(in.error());
  const auto& zone_id = ctx.param("zone_id");
  if (pattern_taken(ctx.state, zone_id, in->pattern, "")) return duplicate_workers_route();
  const std::string id = new_id();
  ctx.state.db.query("INSERT INTO workers_routes(id, zone_id, pattern, script) VALUES(?1,?2,?3,?4)", id, zone_id,
                     in->pattern, in->script)
      .run();
  return ok(workers_route_json(id, in->pattern, in->script));
}

Response get_route(RequestContext& ctx) {
  auto zone = zone_for(ctx, workers_routes_read);
  if (!zone) return std::move(zone.error());
  auto route = find_route(ctx.state, ctx.param("zone_id"), ctx.param("route_id"));
  if (!route) return route_not_found();
  return ok(std::move(*route));
}

Response update_route(RequestContext& ctx) {
  auto zone = zone_for(ctx, workers_routes_write);
  if (!zone) return std::move(zone.error());
  const auto& zone_id = ctx.param("zone_id");
  const auto& id = ctx.param("route_id");
  if (!find_route(ctx.state, zone_id, id)) return route_not_found();
  auto in = route_input(ctx, *zone);
  if (!in) return std::move(in.error());
  if (pattern_taken(ctx.state, zone_id, in->pattern, id)) return duplicate_workers_route();
  ctx.state.db.query("UPDATE workers_routes SET pattern=?3, script=?4 WHERE zone_id=?1 AND id=?2", zone_id, id,
                     in->pattern, in->script)
      .run();
  return ok(workers_route_json(id, in->pattern, in->script));
}

Response delete_route(RequestContext& ctx) {
  auto zone = zone_for(ctx, workers_routes_write);
  if (!zone) return std::move(zone.error());
  const auto& zone_id = ctx.param("zone_id");
  const auto& id = ctx.param("route_id");
  if (!find_route(ctx.state, zone_id, id)) return route_not_found();
  ctx.state.db.query("DELETE FROM workers_routes WHERE zone_id=?1 AND id=?2", zone_id, id).run();
  return ok(json::object{{"id", id}});
}

}  // namespace

void install_workers_routes_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS workers_routes(
  id TEXT PRIMARY KEY, zone_id TEXT NOT NULL, pattern TEXT NOT NULL,
  script TEXT,  -- NULL: the route disables Workers on matching requests
  UNIQUE(zone_id, pattern));
)sql");
}

void add_workers_routes_endpoints(Router& r) {
  r.add("GET", "/zones/{zone_id:id}/workers/routes", list_routes);
  r.add("POST", "/zones/{zone_id:id}/workers/routes", create_route);
  r.add("GET", "/zones/{zone_id:id}/workers/routes/{route_id:id}", get_route);
  r.add("PUT", "/zones/{zone_id:id}/workers/routes/{route_id:id}", update_route);
  r.add("DELETE", "/zones/{zone_id:id}/workers/routes/{route_id:id}", delete_route);
}

std::optional<std::string> zone_name_of(State& state, std::string_view zone_id) {
  auto s = state.db.query("SELECT name FROM zones WHERE id=?1", zone_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

Response bad_workers_route_pattern(std::string why) { return fail(400, 10022, "Invalid route: " + why); }
Response duplicate_workers_route() { return fail(409, 10020, "A route with the same pattern already exists"); }

json::object workers_route_json(std::string id, std::string pattern, std::optional<std::string> script) {
  json::object o{{"id", std::move(id)}, {"pattern", std::move(pattern)}};
  o["script"] = script ? json::value(*script) : json::value(nullptr);
  return o;
}

Module workers_routes_module() { return {"workers_routes", install_workers_routes_schema, add_workers_routes_endpoints, nullptr}; }

}  // namespace pw::sandbox
