// Custom hostnames, Cloudflare for SaaS (docs/cloudflare-api.md 5.6). A pending
// hostname turns active Options::hostname_activation_delay after creation,
// checked lazily when read, or at once through the activate test hook.
#include "custom_hostnames_rules.hpp"
#include "products/custom_hostnames.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"

#include "server/context.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <regex>
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

Response refusal(const CustomHostnameRefusal& r) { return fail(400, r.code, r.message); }
Response not_found() { return fail(404, 1436, "The custom hostname was not found."); }

bool plausible_id(std::string_view id) {
  static const std::regex rule("^[0-9a-f-]{32,36}$");
  return std::regex_match(id.begin(), id.end(), rule);
}

void save(State& state, std::string_view id, const json::object& ch) {
  state.db.query("UPDATE ch_custom_hostnames SET data=?2 WHERE id=?1", id, json::serialize(ch)).run();
}

struct StoredHostname {
  std::string id, data;
  std::int64_t created_ms;
};

// Rows are read completely before any is updated.
std::vector<StoredHostname> read_rows(Statement&& s) {
  std::vector<StoredHostname> rows;
  while (s.step()) rows.push_back({s.text(0), s.text(1), s.integer(2)});
  return rows;
}

// One row as the API shows it, activated first when its delay has passed.
json::object load(State& state, const StoredHostname& row) {
  json::object ch = json::parse(row.data).as_object();
  const auto delay = state.options.hostname_activation_delay.count();
  if (ch["status"] == "pending" && delay > 0 && now_ms() - row.created_ms >= delay) {
    activate_custom_hostname(ch);
    save(state, row.id, ch);
  }
  return ch;
}

Outcome<json::object> existing(RequestContext& ctx) {
  const auto& id = ctx.param("custom_hostname_id");
  if (!plausible_id(id)) return fail(400, 1435, "Invalid custom hostname ID.");
  auto rows = read_rows(ctx.state.db.query(
      "SELECT id, data, created_ms FROM ch_custom_hostnames WHERE zone_id=?1 AND id=?2", ctx.param("zone_id"), id));
  if (rows.empty()) return not_found();
  return load(ctx.state, rows.front());
}

// ssl: method and type go together (1440), then their values (1432/1433/1434).
std::optional<CustomHostnameRefusal> check_ssl_request(const json::value* ssl, bool creating) {
  if (auto bad = check_custom_hostname_ssl(ssl)) return bad;
  if (creating && ssl && ssl->is_object()) {
    const auto& o = ssl->as_object();
    if (o.contains("method") != o.contains("type"))
      return CustomHostnameRefusal{1440, "SSL type and method are both required."};
  }
  return std::nullopt;
}

Response create(RequestContext& ctx) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(ssl_write, Resource::zone(zone))) return std::move(*denied);
  auto body = ctx.json_body(fail(400, 1400, "Unable to parse the request body as JSON."));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  if (!o) return fail(400, 1400, "The request body must be a JSON object.");
  const auto* hostname = o->if_contains("hostname");
  if (!hostname || !hostname->is_string())
    return fail(400, 1407, "A hostname is required, e.g. {\"hostname\": \"shop.customer-site.net\"}.");
  if (auto bad = check_custom_hostname(hostname->as_string())) return refusal(*bad);
  if (auto bad = check_ssl_request(o->if_contains("ssl"), true)) return refusal(*bad);
  const auto* metadata = o->if_contains("custom_metadata");
  if (metadata && !metadata->is_null() && !metadata->is_object())
    return fail(400, 1400, "custom_metadata must be an object of string values.");
  std::string name = util::lower(hostname->as_string());
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (ctx.state.db.query("SELECT 1 FROM ch_custom_hostnames WHERE zone_id=?1 AND hostname=?2", zone, name).step())
    return fail(409, 1406, "Duplicate custom hostname found.");
  const std::string id = random_uuid();
  json::object ch = new_custom_hostname(id, name, o->if_contains("ssl"), metadata,
                                        now_rfc3339(true));
  for (std::string_view key : {"custom_origin_server", "custom_origin_sni"})
    if (const auto* v = o->if_contains(key); v && v->is_string()) ch[key] = *v;
  json::object stored = ch;
  stored["ssl"].as_object()["status"] = "pending_validation";  // what later reads report until activation
  ctx.state.db.query("INSERT INTO ch_custom_hostnames(id, zone_id, hostname, created_ms, data) VALUES(?1,?2,?3,?4,?5)", id,
                     zone, name, now_ms(), json::serialize(stored))
      .run();
  return ok(std::move(ch), 201);
}

bool matches_filters(const Request& req, const json::object& ch) {
  auto eq = [&](std::string_view param, std::string_view value) {
    auto v = req.query_param(param);
    return !v || *v == value;
  };
  const std::string hostname(ch.at("hostname").as_string());
  const auto& ssl = ch.at("ssl").as_object();
  if (!eq("id", ch.at("id").as_string()) || !eq("hostname", hostname) || !eq("hostname.exact", hostname)) return false;
  if (auto c = req.query_param("hostname.contain"); c && hostname.find(*c) == std::string::npos) return false;
  if (auto p = req.query_param("hostname.startsWith"); p && !hostname.starts_with(*p)) return false;
  if (!eq("hostname_status", ch.at("status").as_string()) || !eq("ssl_status", ssl.at("status").as_string())) return false;
  if (auto want_ssl = req.query_param("ssl"); want_ssl && *want_ssl == "1" && ssl.at("status") != "active") return false;
  return true;
}

Response list(RequestContext& ctx) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(ssl_read, Resource::zone(zone))) return std::move(*denied);
  std::vector<json::object> rows;
  for (const auto& row : read_rows(ctx.state.db.query(
           "SELECT id, data, created_ms FROM ch_custom_hostnames WHERE zone_id=?1 ORDER BY created_ms, id", zone))) {
    json::object ch = load(ctx.state, row);
    if (matches_filters(ctx.request, ch)) rows.push_back(std::move(ch));
  }
  const std::string order = ctx.request.query_param("order").value_or("");
  auto key = [&](const json::object& ch) -> std::string {
    if (order == "ssl" || order == "ssl_status") return std::string(ch.at("ssl").as_object().at("status").as_string());
    if (order == "hostname") return std::string(ch.at("hostname").as_string());
    return "";
  };
  if (!order.empty())
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  if (ctx.request.query_param("direction").value_or("asc") == "desc") std::reverse(rows.begin(), rows.end());
  json::array all;
  for (auto& r : rows) all.push_back(std::move(r));
  return paged(all, page_request(ctx.request));
}

Response get(RequestContext& ctx) {
  if (auto denied = ctx.require(ssl_read, Resource::zone(ctx.param("zone_id")))) return std::move(*denied);
  auto ch = existing(ctx);
  if (!ch) return std::move(ch.error());
  return ok(std::move(*ch));
}

Response patch(RequestContext& ctx) {
  if (auto denied = ctx.require(ssl_write, Resource::zone(ctx.param("zone_id")))) return std::move(*denied);
  auto ch = existing(ctx);
  if (!ch) return std::move(ch.error());
  auto body = ctx.json_body(fail(400, 1400, "Unable to parse the request body as JSON."));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  if (!o) return fail(400, 1400, "The request body must be a JSON object.");
  if (auto bad = check_ssl_request(o->if_contains("ssl"), false)) return refusal(*bad);
  if (const auto* m = o->if_contains("custom_metadata"); m && !m->is_null() && !m->is_object())
    return fail(400, 1400, "custom_metadata must be an object of string values.");
  patch_custom_hostname(*ch, *o);
  save(ctx.state, ctx.param("custom_hostname_id"), *ch);
  return ok(std::move(*ch), 202);
}

// The documented body is a bare {"id"}; the TS SDK reads it without
// unwrapping result, so the envelope carries the id at the top level too.
Response remove(RequestContext& ctx) {
  if (auto denied = ctx.require(ssl_write, Resource::zone(ctx.param("zone_id")))) return std::move(*denied);
  auto ch = existing(ctx);
  if (!ch) return std::move(ch.error());
  const auto& id = ctx.param("custom_hostname_id");
  ctx.state.db.query("DELETE FROM ch_custom_hostnames WHERE zone_id=?1 AND id=?2", ctx.param("zone_id"), id).run();
  Response r = ok(json::object{{"id", id}});
  json::object body = json::parse(r.body).as_object();
  body["id"] = id;
  r.body = json::serialize(body);
  return r;
}

void activate_all(State& state) {
  activate_fallback_origins(state);
  for (const auto& row : read_rows(state.db.query("SELECT id, data, created_ms FROM ch_custom_hostnames"))) {
    json::object ch = json::parse(row.data).as_object();
    if (ch["status"] == "active") continue;
    activate_custom_hostname(ch);
    save(state, row.id, ch);
  }
}

void install_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS ch_custom_hostnames(
  id TEXT PRIMARY KEY, zone_id TEXT NOT NULL, hostname TEXT NOT NULL,
  created_ms INTEGER NOT NULL,  -- for the activation delay
  data TEXT NOT NULL,           -- the API object as JSON
  UNIQUE(zone_id, hostname));
)sql");
  install_fallback_origin_schema(db);
}

void add_endpoints(Router& r) {
  const std::string base = "/zones/{zone_id:id}/custom_hostnames";
  r.add("POST", base, create);
  r.add("GET", base, list);
  r.add("GET", base + "/{custom_hostname_id}", get);
  r.add("PATCH", base + "/{custom_hostname_id}", patch);
  r.add("DELETE", base + "/{custom_hostname_id}", remove);
  add_fallback_origin_endpoints(r);
}

}  // namespace

std::optional<ServedHostname> active_custom_hostname(State& state, std::string_view hostname) {
  for (const auto& row : read_rows(state.db.query(
           "SELECT id, data, created_ms FROM ch_custom_hostnames WHERE hostname=?1 ORDER BY created_ms", hostname))) {
    json::object ch = load(state, row);
    if (ch["status"] != "active") continue;
    auto z = state.db.query("SELECT zone_id FROM ch_custom_hostnames WHERE id=?1", row.id);
    if (!z.step()) continue;
    ServedHostname out{z.text(0), json::object{}};
    if (const auto* m = ch.if_contains("custom_metadata"); m && m->is_object()) out.custom_metadata = m->as_object();
    return out;
  }
  return std::nullopt;
}

Module custom_hostnames_module() { return {"custom_hostnames", install_schema, add_endpoints, activate_all}; }

}  // namespace pw::sandbox
