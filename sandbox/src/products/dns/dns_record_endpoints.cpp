// DNS records (docs/cloudflare-api.md 5.7): list with filters and page
// pagination (default 100 per page), create, get, update (PUT), edit (PATCH)
// and delete, with the duplicate and CNAME rules.
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
  // `name` and `content` as the plain parameter or as the SDK sends them:
  // name.exact, name.contains, name.startswith, name.endswith (case-insensitive).
  struct Filter {
    int column;
    std::string op, value;
  };
  std::vector<Filter> filters;
  if (auto type = ctx.request.query_param("type")) filters.push_back({1, "type", *type});
  for (auto [column, field] : {std::pair{2, std::string("name")}, std::pair{3, std::string("content")}}) {
    if (auto v = ctx.request.query_param(field)) filters.push_back({column, "exact", *v});
    for (std::string op : {"exact", "contains", "startswith", "endswith"})
      if (auto v = ctx.request.query_param(field + "." + op)) filters.push_back({column, op, *v});
  }
  for (auto& f : filters)
    if (f.column == 2 && f.op == "exact") f.value = fqdn(f.value, *zone);
  const bool any = ctx.request.query_param("match").value_or("all") == "any";
  auto s = ctx.state.db.query(std::string(record_columns) + " WHERE zone_id=?1 ORDER BY type, name, content", zone_id);
  json::array all;
  while (s.step()) {
    std::size_t hits = 0;
    for (const auto& f : filters) {
      const std::string have = f.op == "type" ? s.text(1) : util::lower(s.text(f.column));
      const std::string want = f.op == "type" ? f.value : util::lower(f.value);
      hits += f.op == "contains"     ? have.find(want) != std::string::npos
              : f.op == "startswith" ? have.starts_with(want)
              : f.op == "endswith"   ? have.ends_with(want)
                                     : have == want;
    }
    if (filters.empty() || (any ? hits > 0 : hits == filters.size())) all.push_back(record_json(s, zone_id, *zone));
  }
  return paged(all, page_request(ctx.request, 100, 5, 50000));
}

// The writable fields of a record; PATCH starts from the stored record.
struct RecordFields {
  std::string type, name, content;
  std::int64_t ttl = 1;
  bool proxied = false;
  std::optional<std::string> comment;
};

std::optional<RecordFields> stored_record(RequestContext& ctx, const std::string& id) {
  auto s = ctx.state.db.query("SELECT type, name, content, ttl, proxied, comment FROM dns_records WHERE zone_id=?1 AND id=?2",
                              ctx.param("zone_id"), id);
  if (!s.step()) return std::nullopt;
  return RecordFields{s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4) != 0,
                      s.is_null(5) ? std::nullopt : std::optional<std::string>(s.text(5))};
}

// Reads the body over `base`; with `whole` (POST, PUT) type, name and content are required.
Outcome<RecordFields> read_fields(RequestContext& ctx, const std::string& zone, RecordFields base, bool whole) {
  auto body = ctx.json_body(invalid_body("Malformed JSON in request body"));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  if (!o) return invalid_body("the body must be a JSON object");
  const auto* type = o->if_contains("type");
  const auto* name = o->if_contains("name");
  const auto* content = o->if_contains("content");
  if (type || whole) {
    if (!type || !type->is_string() ||
        std::find(record_types.begin(), record_types.end(), std::string_view(type->as_string())) == record_types.end())
      return invalid_body("type must be one of A, AAAA, CNAME, TXT, MX, NS, SRV, CAA, HTTPS");
    base.type = std::string(type->as_string());
  }
  if (name || whole) {
    if (!name || !name->is_string()) return invalid_body("name is required");
    base.name = fqdn(name->as_string(), zone);
  }
  if (content || whole) {
    if (!content || !content->is_string() || content->as_string().empty()) return invalid_body("content is required");
    base.content = std::string(content->as_string());
  }
  if (whole) base.ttl = 1, base.proxied = false, base.comment.reset();
  if (const auto* t = o->if_contains("ttl"); t && !t->is_null()) {
    if (!t->is_int64() || (t->as_int64() != 1 && (t->as_int64() < 30 || t->as_int64() > 86400)))
      return invalid_body("ttl must be 1 (automatic) or 30 to 86400 seconds");
    base.ttl = t->as_int64();
  }
  if (const auto* p = o->if_contains("proxied"); p && !p->is_null()) {
    if (!p->is_bool()) return invalid_body("proxied must be a boolean");
    base.proxied = p->as_bool();
  }
  if (const auto* c = o->if_contains("comment")) {
    if (c->is_string()) base.comment = std::string(c->as_string());
    else if (c->is_null()) base.comment.reset();
    else return invalid_body("comment must be a string");
  }
  return base;
}

// The record rules against the zone's other records (`self` excluded): no two
// records alike; a CNAME shares its name with no other record.
std::optional<Response> conflict(RequestContext& ctx, const RecordFields& r, std::string_view self) {
  const auto& zone_id = ctx.param("zone_id");
  if (ctx.state.db.query("SELECT 1 FROM dns_records WHERE zone_id=?1 AND type=?2 AND name=?3 AND lower(content)=lower(?4) AND id<>?5",
                         zone_id, r.type, r.name, r.content, self)
          .step())
    return fail(400, 81057, "The record already exists.");
  auto s = ctx.state.db.query("SELECT type FROM dns_records WHERE zone_id=?1 AND name=?2 AND id<>?3", zone_id, r.name, self);
  while (s.step()) {
    const std::string other = s.text(0);
    if (r.type == "CNAME") return fail(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");
    if (other == "CNAME") return fail(400, 81054, "A CNAME record with that host already exists.");
  }
  return std::nullopt;
}

Response record_answer(RequestContext& ctx, const std::string& id, const std::string& zone) {
  auto s = ctx.state.db.query(std::string(record_columns) + " WHERE id=?1", id);
  s.step();
  return ok(record_json(s, ctx.param("zone_id"), zone));
}

Response record_not_found() { return fail(404, 81044, "Record does not exist."); }

Response create_record(RequestContext& ctx) {
  auto zone = zone_name(ctx, dns_write);
  if (!zone) return std::move(zone.error());
  auto r = read_fields(ctx, *zone, {}, true);
  if (!r) return std::move(r.error());
  if (auto refused = conflict(ctx, *r, "")) return std::move(*refused);
  const std::string id = new_id();
  const std::string now = now_rfc3339(true);
  ctx.state.db
      .query("INSERT INTO dns_records(id, zone_id, type, name, content, ttl, proxied, comment, created_on, modified_on) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)",
             id, ctx.param("zone_id"), r->type, r->name, r->content, r->ttl, static_cast<int>(r->proxied), r->comment, now)
      .run();
  return record_answer(ctx, id, *zone);
}

Response get_record(RequestContext& ctx) {
  auto zone = zone_name(ctx, dns_read);
  if (!zone) return std::move(zone.error());
  const auto& id = ctx.param("dns_record_id");
  if (!stored_record(ctx, id)) return record_not_found();
  return record_answer(ctx, id, *zone);
}

// PUT replaces the record (type, name, content required); PATCH changes the fields given.
Response change_record(RequestContext& ctx, bool whole) {
  auto zone = zone_name(ctx, dns_write);
  if (!zone) return std::move(zone.error());
  const auto& id = ctx.param("dns_record_id");
  auto current = stored_record(ctx, id);
  if (!current) return record_not_found();
  auto r = read_fields(ctx, *zone, *current, whole);
  if (!r) return std::move(r.error());
  if (auto refused = conflict(ctx, *r, id)) return std::move(*refused);
  ctx.state.db
      .query("UPDATE dns_records SET type=?3, name=?4, content=?5, ttl=?6, proxied=?7, comment=?8, modified_on=?9 "
             "WHERE zone_id=?1 AND id=?2",
             ctx.param("zone_id"), id, r->type, r->name, r->content, r->ttl, static_cast<int>(r->proxied), r->comment,
             now_rfc3339(true))
      .run();
  return record_answer(ctx, id, *zone);
}

Response delete_record(RequestContext& ctx) {
  auto zone = zone_name(ctx, dns_write);
  if (!zone) return std::move(zone.error());
  const auto& id = ctx.param("dns_record_id");
  if (!ctx.state.db.query("DELETE FROM dns_records WHERE zone_id=?1 AND id=?2", ctx.param("zone_id"), id).run())
    return record_not_found();
  return ok(json::object{{"id", id}});
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
  const std::string one = "/zones/{zone_id:id}/dns_records/{dns_record_id:id}";
  r.add("GET", one, get_record);
  r.add("PUT", one, [](RequestContext& ctx) { return change_record(ctx, true); });
  r.add("PATCH", one, [](RequestContext& ctx) { return change_record(ctx, false); });
  r.add("DELETE", one, delete_record);
}

}  // namespace

Module dns_module() { return {"dns", install_schema, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
