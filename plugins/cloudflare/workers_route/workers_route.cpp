// cloudflare.workers.route: ensures a zone route sends `pattern` to `script`;
// with the pattern given, the list and the create go out in one round trip.
// A pattern already bound to another Worker is left alone unless the step
// says `steal: true`, so one deployment never silently takes over another's
// traffic.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <optional>
#include <string>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;
using pipewright::Failure;

constexpr long long duplicate_route_code = 10020;

struct Route {
  std::string id;
  std::string pattern;
  std::string script;  // empty: the route disables Workers for the pattern
};

std::string routes_path(const std::string& zone) { return cf::api_path({"zones", zone, "workers", "routes"}); }

// `listed` is the answer of GET /zones/{z}/workers/routes.
std::optional<Route> find_route(const cf::ApiResult& listed, const std::string& zone, const std::string& pattern) {
  if (!listed.ok())
    throw Failure("listing the Worker routes of zone " + zone + " failed", cf::describe(listed), "/zone_id");
  if (!listed.result.is_array()) return std::nullopt;
  for (const auto& item : listed.result.as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    if (cf::string_at(o, "pattern") == pattern)
      return Route{cf::string_at(o, "id"), pattern, cf::string_at(o, "script")};
  }
  return std::nullopt;
}

// `got` is the answer of GET /zones/{z}.
std::string zone_name(const cf::ApiResult& got, const std::string& zone) {
  std::string name = got.ok() && got.result.is_object() ? cf::string_at(got.result.as_object(), "name") : "";
  if (name.empty())
    throw Failure("reading the name of zone " + zone + " failed", got.ok() ? "the zone has no name" : cf::describe(got),
                  "/zone_id");
  return name;
}

struct WorkersRoute {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.workers.route";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "Ensures a zone Worker route sends a pattern to a Worker";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "zone_id": {"type": "string", "minLength": 1},
      "pattern": {"type": "string",
                  "description": "host/path with * wildcards, no scheme; empty or absent: *.<zone name>/*"},
      "script": {"type": "string", "minLength": 1, "description": "Worker script name"},
      "steal": {"type": "boolean", "default": false,
                "description": "rebind the pattern when it already routes to another Worker"}
    },
    "required": ["zone_id", "script"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "pattern": {"type": "string"},
      "script": {"type": "string"},
      "changed": {"type": "boolean"},
      "previous_script": {"type": "string"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto zone = cf::string_at(with, "zone_id");
    const auto script = cf::string_at(with, "script");
    const bool steal = cf::bool_at(with, "steal", false);
    const cf::Client client(call);
    auto pattern = cf::string_at(with, "pattern");
    // Without a pattern the zone's name is needed too: both reads in one
    // round trip.
    std::optional<cf::ApiResult> first_list;
    if (pattern.empty()) {
      cf::Request zone_read, routes_read;
      zone_read.path = cf::api_path({"zones", zone});
      routes_read.path = routes_path(zone);
      auto reads = client.batch({zone_read, routes_read}, 2);
      pattern = "*." + zone_name(reads[0], zone) + "/*";
      first_list = std::move(reads[1]);
    }
    if (pattern.find("://") != std::string::npos || pattern.find('/') == std::string::npos)
      throw Failure("'" + pattern + "' is not a route pattern",
                    "write host/path without a scheme, e.g. \"*.example.org/*\"", "/pattern");

    const json::object body{{"pattern", pattern}, {"script", script}};
    std::string previous;
    Route route;
    bool changed = true;
    // With the pattern known, the list and the create go out together: one
    // round trip whether the route is new or not. The create cannot make a
    // second route for the pattern (a duplicate is refused, 10020), so the
    // list decides whatever the create answered.
    std::optional<cf::ApiResult> refusal;
    // The create's answer was lost while the list beside it had no route
    // for the pattern: a route with our script found afterwards is ours.
    bool lost_create = false;
    if (!first_list) {
      cf::Request routes_read, post;
      routes_read.path = routes_path(zone);
      post.method = "POST";
      post.path = routes_path(zone);
      post.json = body;
      auto answers = client.batch({routes_read, post}, 2);
      auto& made = answers[1];
      if (made.ok()) {
        route = {made.result.is_object() ? cf::string_at(made.result.as_object(), "id") : std::string(), pattern,
                 script};
        call.info("created route " + pattern + " -> '" + script + "'");
        publish(call, route, true, previous);
        return;
      }
      // An unknown outcome leaves first_list unset: the loop below lists
      // again before any create is sent again.
      if (!made.unknown_outcome() && made.status < 500) {
        first_list = std::move(answers[0]);
        if (!made.has_error(duplicate_route_code)) refusal = std::move(made);
      } else {
        lost_create = answers[0].ok() && !find_route(answers[0], zone, pattern);
      }
    }
    // Two passes: a route created by someone else between our list and our
    // POST (10020) is handled like one we listed.
    for (int pass = 0;; ++pass) {
      auto existing = find_route(first_list && pass == 0 ? *first_list : client.get(routes_path(zone)), zone, pattern);
      if (!existing && refusal)
        throw Failure("creating the route " + pattern + " failed", cf::describe(*refusal), "/pattern");
      if (existing && existing->script == script) {
        route = *existing;
        changed = lost_create;
        call.info(lost_create ? "created route " + pattern + " -> '" + script + "' (its answer was lost; found in the list)"
                              : "route " + pattern + " already sends to Worker '" + script + "'");
        break;
      }
      if (existing) {
        previous = existing->script;
        if (!steal)
          throw Failure("the route " + pattern + " already sends to " +
                            (previous.empty() ? std::string("no Worker (it is disabled)")
                                              : "the Worker '" + previous + "'"),
                        "refusing to take it over; set `steal: true` to rebind it to '" + script + "'",
                        "/pattern");
        auto put = client.send("PUT", cf::api_path({"zones", zone, "workers", "routes", existing->id}), body, true);
        if (!put.ok())
          throw Failure("rebinding the route " + pattern + " failed", cf::describe(put), "/pattern");
        route = {existing->id, pattern, script};
        call.warn("route " + pattern + " taken over from Worker '" + previous + "' (steal: true)");
        break;
      }
      cf::Request post;
      post.method = "POST";
      post.path = routes_path(zone);
      post.json = body;
      auto made = client.create_once(
          post,
          [&]() -> std::optional<json::value> {
            auto found = find_route(client.get(routes_path(zone)), zone, pattern);
            if (!found) return std::nullopt;
            return json::object{{"id", found->id}, {"script", found->script}};
          },
          "the route " + pattern);
      if (made.adopted) {
        const auto& found = made.adopted->as_object();
        // Another writer's, made meanwhile: the next pass treats it as listed.
        if (cf::string_at(found, "script") != script) {
          if (pass < 2) continue;
          throw Failure("the route " + pattern + " keeps changing while it is being created",
                        "another deployment is writing the same route; run again when it is done", "/pattern");
        }
        route = {cf::string_at(found, "id"), pattern, cf::string_at(found, "script")};
        call.info("route " + pattern + " -> '" + route.script + "' exists");
        break;
      }
      if (made.result.ok()) {
        route = {made.result.result.is_object() ? cf::string_at(made.result.result.as_object(), "id") : std::string(),
                 pattern, script};
        call.info("created route " + pattern + " -> '" + script + "'");
        break;
      }
      if (pass == 0 && made.result.has_error(duplicate_route_code)) continue;
      throw Failure("creating the route " + pattern + " failed", cf::describe(made.result), "/pattern");
    }

    publish(call, route, changed, previous);
  }

 private:
  static void publish(const pipewright::Call& call, const Route& route, bool changed, const std::string& previous) {
    pipewright::set_output(call, "id", json::value(route.id));
    pipewright::set_output(call, "pattern", json::value(route.pattern));
    pipewright::set_output(call, "script", json::value(route.script));
    pipewright::set_output(call, "changed", json::value(changed));
    pipewright::set_output(call, "previous_script", json::value(previous));
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(WorkersRoute)
