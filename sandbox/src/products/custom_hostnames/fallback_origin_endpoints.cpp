// The zone's fallback origin for custom hostnames (docs/cloudflare-api.md
// 5.6a): PUT sets it, GET reads it, DELETE removes it. Its status moves
// initializing -> pending_deployment -> active over the hostname activation
// delay (checked lazily, like custom hostnames), and only turns active when
// the origin is a proxied A, AAAA or CNAME record of the zone; otherwise it
// stays pending_deployment with the reason in `errors`.
#include "custom_hostnames_rules.hpp"
#include "products/custom_hostnames.hpp"
#include "server/context.hpp"
#include "store/clock.hpp"

#include <boost/json.hpp>

#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

const GroupNames ssl_read{"SSL and Certificates Read", "SSL and Certificates Write"};
const GroupNames ssl_write{"SSL and Certificates Write"};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response no_fallback_origin() { return fail(404, 1551, "No fallback origin is set for this zone."); }

bool has_proxied_record(State& state, std::string_view zone, std::string_view origin) {
  return state.db
      .query("SELECT 1 FROM dns_records WHERE zone_id=?1 AND lower(name)=?2 AND proxied<>0 AND type IN "
             "('A','AAAA','CNAME')",
             zone, origin)
      .step();
}

struct FallbackRow {
  std::string origin, status, created_at, updated_at;
  std::int64_t set_ms = 0;
};

std::optional<FallbackRow> read_row(State& state, std::string_view zone) {
  auto s = state.db.query(
      "SELECT origin, status, created_at, updated_at, set_ms FROM ch_fallback_origins WHERE zone_id=?1", zone);
  if (!s.step()) return std::nullopt;
  return FallbackRow{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4)};
}

// Moves the status on when its time has come (or at once with `force`) and
// returns the API object.
json::object advance(State& state, std::string_view zone, FallbackRow row, bool force) {
  const auto delay = state.options.hostname_activation_delay.count();
  const auto age = now_ms() - row.set_ms;
  const bool proxied = has_proxied_record(state, zone, row.origin);
  std::string status = row.status;
  if (status != "active") {
    if (force || (delay > 0 && age >= delay)) status = proxied ? "active" : "pending_deployment";
    else if (delay > 0 && age >= delay / 2) status = "pending_deployment";
  }
  if (status != row.status) {
    row.status = status;
    row.updated_at = now_rfc3339(true);
    state.db.query("UPDATE ch_fallback_origins SET status=?2, updated_at=?3 WHERE zone_id=?1", zone, row.status,
                   row.updated_at)
        .run();
  }
  json::array errors;
  if (status != "active" && !proxied)
    errors.push_back(json::value("The fallback origin " + row.origin +
                                 " has no proxied A, AAAA or CNAME record in this zone (e.g. " + row.origin +
                                 " AAAA 100:: proxied)."));
  return json::object{{"origin", row.origin},         {"status", row.status},        {"errors", std::move(errors)},
                      {"created_at", row.created_at}, {"updated_at", row.updated_at}};
}

std::optional<std::string> zone_name(State& state, std::string_view zone) {
  auto s = state.db.query("SELECT name FROM zones WHERE id=?1", zone);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

Response get(RequestContext& ctx) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(ssl_read, Resource::zone(zone))) return std::move(*denied);
  auto row = read_row(ctx.state, zone);
  if (!row) return no_fallback_origin();
  return ok(advance(ctx.state, zone, *row, false));
}

Response put(RequestContext& ctx) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(ssl_write, Resource::zone(zone))) return std::move(*denied);
  auto body = ctx.json_body(fail(400, 1400, "Unable to parse the request body as JSON."));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  const auto* origin = o ? o->if_contains("origin") : nullptr;
  if (!origin || !origin->is_string() || origin->as_string().empty())
    return fail(400, 1400, "The body must be {\"origin\": \"<hostname in this zone>\"}.");
  std::string name = util::lower(origin->as_string());
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.size() > 255 || name.find_first_of(" /:*@") != std::string::npos)
    return fail(400, 1407, "The fallback origin must be a hostname, e.g. service.<zone>.");
  const auto zname = zone_name(ctx.state, zone).value_or("");
  if (!(name == zname || (name.size() > zname.size() && name.ends_with("." + zname))))
    return fail(400, 1407, "The fallback origin " + name + " is not a hostname of zone " + zname + ".");
  const std::string now = now_rfc3339(true);
  auto existing = read_row(ctx.state, zone);
  if (existing && existing->origin == name) return ok(advance(ctx.state, zone, *existing, false));
  const std::string created = existing ? existing->created_at : now;
  ctx.state.db
      .query("INSERT INTO ch_fallback_origins(zone_id, origin, status, created_at, updated_at, set_ms) "
             "VALUES(?1,?2,'initializing',?3,?4,?5) ON CONFLICT(zone_id) DO UPDATE SET origin=?2, "
             "status='initializing', updated_at=?4, set_ms=?5",
             zone, name, created, now, now_ms())
      .run();
  return ok(advance(ctx.state, zone, *read_row(ctx.state, zone), false));
}

Response remove(RequestContext& ctx) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(ssl_write, Resource::zone(zone))) return std::move(*denied);
  auto row = read_row(ctx.state, zone);
  if (!row) return no_fallback_origin();
  ctx.state.db.query("DELETE FROM ch_fallback_origins WHERE zone_id=?1", zone).run();
  json::object out{{"origin", row->origin},         {"status", "pending_deletion"}, {"errors", json::array{}},
                   {"created_at", row->created_at}, {"updated_at", now_rfc3339(true)}};
  return ok(std::move(out));
}

}  // namespace

void install_fallback_origin_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS ch_fallback_origins(
  zone_id TEXT PRIMARY KEY, origin TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  set_ms INTEGER NOT NULL);  -- when origin was last set, for the status progression
)sql");
}

void add_fallback_origin_endpoints(Router& r) {
  const std::string path = "/zones/{zone_id:id}/custom_hostnames/fallback_origin";
  r.add("GET", path, get);
  r.add("PUT", path, put);
  r.add("DELETE", path, remove);
}

void activate_fallback_origins(State& state) {
  std::vector<std::string> zones;
  for (auto s = state.db.query("SELECT zone_id FROM ch_fallback_origins WHERE status<>'active'"); s.step();)
    zones.push_back(s.text(0));
  for (const auto& zone : zones)
    if (auto row = read_row(state, zone)) advance(state, zone, *row, true);
}

}  // namespace pw::sandbox
