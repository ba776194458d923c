// DNS records, minimal (docs/cloudflare-api.md 5.7): list with filters and page
// pagination (default 100 per page), create with the duplicate/CNAME rules.
#include "store/clock.hpp"

// GCC 12 at -O1 reports false -Warray-bounds/-Wstringop-overflow inside
// libstdc++'s std::string operator+ (the SQL text concatenations below).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#include "products/dns.hpp"
#include "store/ids.hpp"

#include "server/context.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

const GroupNames dns_read{"DNS Read", "DNS Write"};
const GroupNames dns_write{"DNS Write"};

constexpr std::array<std::string_view, 9> record_types{"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "HTTPS"};

Response invalid_body(std::string detail) {
  return fail(400, {ErrorItem{9207, "Request body is invalid.", {ErrorItem{9207, std::move(detail), {}}}}});
}

// "@" is the apex; a relative name gets the zone appended.
std::string fqdn(std::string_view name, std::string_view zone) {
  std::string n = util::lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty() || n == "@") return std::string(zone);
  if (n == zone || (n.size() > zone.size() && n.ends_with(zone) && n[n.size() - zone.size() - 1] == '.')) return n;
  return n + "." + std::string(zone);
}

bool address_like(std::string_view type) { return type == "A" || type == "AAAA" || type == "CNAME"; }

json::object record_json(Statement& s, std::string_view zone_id, std::string_view zone_name) {
  // columns: id, type, name, content, ttl, proxied, comment, created_on, modified_on
  const std::string type = s.text(1);
  return json::object{{"id", s.text(0)},
                      {"zone_id", zone_id},
                      {"zone_name", zone_name},
                      {"name", s.text(2)},
                      {"type", type},
                      {"content", s.text(3)},
                      {"proxiable", address_like(type)},
                      {"proxied", s.integer(5) != 0},
                      {"ttl", s.integer(4)},
                      {"settings", json::object{}},
                      {"meta", json::object{}},
                      {"comment", s.is_null(6) ? json::value(nullptr) : json::value(s.text(6))},
                      {"tags", json::array{}},
                      {"created_on", s.text(7)},
                      {"modified_on", s.text(8)}};
}

Outcome<std::string> zone_name(RequestContext& ctx, const GroupNames& groups) {
  const auto& zone = ctx.param("zone_id");
  if (auto denied = ctx.require(groups, Resource::zone(zone))) return std::move(*denied);
  auto s = ctx.state.db.query("SELECT name FROM zones WHERE id=?1", zone);
  if (!s.step()) return auth_error();
  return s.text(0);
}

constexpr std::string_view record_columns =
    "SELECT id, type, name, content, ttl, proxied, comment, created_on, modified_on FROM dns_records";

Response list_records(RequestContext& ctx) {
  auto zone = zone_name(ctx, dns_read);
  if (!zone) return std::move(zone.error());
  const auto& zone_id = ctx.param("zone_id");
  auto type = ctx.request.query_param("type");
  auto name = ctx.request.query_param("name");
  auto content = ctx.request.query_param("content");
  const bool any = ctx.request.query_param("match").value_or("all") == "any";
  auto s = ctx.state.db.query(std::string(record_columns) + " WHERE zone_id=?1 ORDER BY type, name, content", zone_id);
  json::array all;
  while (s.step()) {
    std::vector<bool> hits;
    if (type) hits.push_back(s.text(1) == *type);
    if (name) hits.push_back(s.text(2) == fqdn(*name, *zone));
    if (content) hits.push_back(util::iequals(s.text(3), *content));
    bool keep = hits.empty() || (any ? std::find(hits.begin(), hits.end(), true) != hits.end()
                                     : std::find(hits.begin(), hits.end(), false) == hits.end());
    if (keep) all.push_back(record_json(s, zone_id, *zone));
  }
  return paged(all, page_request(ctx.request, 100, 5, 50000));
}

Response create_record(RequestContext& ctx) {
  auto zone = zone_name(ctx, dns_write);
  if (!zone) return std::move(zone.error());
  const auto& zone_id = ctx.param("zone_id");
  auto body = ctx.json_body(invalid_body("Malformed JSON in request body"));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  if (!o) return invalid_body("the body must be a JSON object");
  const auto* type = o->if_contains("type");
  const auto* name = o->if_contains("name");
  const auto* content = o->if_contains("content");
  if (!type || !type->is_string() ||
      std::find(record_types.begin(), record_types.end(), std::string_view(type->as_string())) == record_types.end())
    return invalid_body("type must be one of A, AAAA, CNAME, TXT, MX, NS, SRV, CAA, HTTPS");
  if (!name || !name->is_string()) return invalid_body("name is required");
  if (!content || !content->is_string() || content->as_string().empty()) return invalid_body("content is required");
  std::int64_t ttl = 1;
  if (const auto* t = o->if_contains("ttl"); t && !t->is_null()) {
    if (!t->is_int64() || (t->as_int64() != 1 && (t->as_int64() < 30 || t->as_int64() > 86400)))
      return invalid_body("ttl must be 1 (automatic) or 30 to 86400 seconds");
    ttl = t->as_int64();
  }
  bool proxied = false;
  if (const auto* p = o->if_contains("proxied"); p && !p->is_null()) {
    if (!p->is_bool()) return invalid_body("proxied must be a boolean");
    proxied = p->as_bool();
  }
  std::optional<std::string> comment;
  if (const auto* c = o->if_contains("comment"); c && c->is_string()) comment = std::string(c->as_string());
  const std::string t(type->as_string());
  const std::string full = fqdn(name->as_string(), *zone);
  const std::string value(content->as_string());
  if (ctx.state.db.query("SELECT 1 FROM dns_records WHERE zone_id=?1 AND type=?2 AND name=?3 AND lower(content)=lower(?4)",
                         zone_id, t, full, value)
          .step())
    return fail(400, 81057, "The record already exists.");
  if (address_like(t)) {
    // A CNAME cannot share its name with A/AAAA/CNAME records, nor they with it.
    auto s = ctx.state.db.query("SELECT type FROM dns_records WHERE zone_id=?1 AND name=?2 AND type IN ('A','AAAA','CNAME')",
                                zone_id, full);
    while (s.step())
      if (t == "CNAME" || s.text(0) == "CNAME")
        return fail(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");
  }
  const std::string id = new_id();
  const std::string now = now_rfc3339(true);
  ctx.state.db
      .query("INSERT INTO dns_records(id, zone_id, type, name, content, ttl, proxied, comment, created_on, modified_on) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)",
             id, zone_id, t, full, value, ttl, static_cast<int>(proxied), comment, now)
      .run();
  auto s = ctx.state.db.query(std::string(record_columns) + " WHERE id=?1", id);
  s.step();
  return ok(record_json(s, zone_id, *zone));
}

void install_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS dns_records(
  id TEXT PRIMARY KEY, zone_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
  content TEXT NOT NULL, ttl INTEGER NOT NULL, proxied INTEGER NOT NULL, comment TEXT,
  created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
)sql");
}

void add_endpoints(Router& r) {
  r.add("GET", "/zones/{zone_id:id}/dns_records", list_records);
  r.add("POST", "/zones/{zone_id:id}/dns_records", create_record);
}

}  // namespace

Module dns_module() { return {"dns", install_schema, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
