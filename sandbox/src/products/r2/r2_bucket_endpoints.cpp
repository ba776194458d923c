// R2 buckets (docs/cloudflare-api.md 5.2): list with cursor pagination, create,
// get, patch (storage class), delete.
#include "r2_store.hpp"
#include "server/module.hpp"
#include "store/clock.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 6> location_hints{"apac", "eeur", "enam", "weur", "wnam", "oc"};

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool valid_bucket_name(std::string_view name) {
  static const std::regex rule("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$");
  return std::regex_match(name.begin(), name.end(), rule);
}

constexpr std::string_view bucket_columns =
    "SELECT name, creation_date, location, storage_class, jurisdiction FROM r2_buckets";

json::object bucket_json(Statement& s) {
  return json::object{{"name", s.text(0)},
                      {"creation_date", s.text(1)},
                      {"location", s.text(2)},
                      {"storage_class", s.text(3)},
                      {"jurisdiction", s.text(4)}};
}

std::optional<json::object> find_bucket(State& state, std::string_view account, std::string_view jurisdiction,
                                        std::string_view name) {
  std::string sql(bucket_columns);
  sql += " WHERE account_id=?1 AND jurisdiction=?2 AND name=?3";
  auto s = state.db.query(sql, account, jurisdiction, name);
  if (!s.step()) return std::nullopt;
  return bucket_json(s);
}

Response list_buckets(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(r2_account_read, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  const bool desc = ctx.request.query_param("direction").value_or("asc") == "desc";
  const std::int64_t per_page = r2_per_page(ctx.request, 20, 1000);
  std::optional<std::string> after = ctx.request.query_param("start_after");
  if (auto c = ctx.request.query_param("cursor"); c && !c->empty()) {
    after = r2_from_cursor(*c);
    if (!after) return r2_invalid_argument("Invalid cursor.");
  }
  const std::string contains = util::lower(ctx.request.query_param("name_contains").value_or(""));
  auto s = ctx.state.db.query(std::string(bucket_columns) + " WHERE account_id=?1 AND jurisdiction=?2 ORDER BY name " +
                                  (desc ? "DESC" : "ASC"),
                              account, *jurisdiction);
  json::array buckets;
  bool more = false;
  std::string last;
  while (s.step()) {
    std::string name = s.text(0);
    if (after && (desc ? name >= *after : name <= *after)) continue;
    if (!contains.empty() && name.find(contains) == std::string::npos) continue;
    if (static_cast<std::int64_t>(buckets.size()) == per_page) {
      more = true;
      break;
    }
    last = name;
    buckets.push_back(bucket_json(s));
  }
  return ok(json::object{{"buckets", std::move(buckets)}},
            json::object{{"cursor", more ? r2_to_cursor(last) : std::string()}, {"per_page", per_page}});
}

Response create_bucket(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(r2_account_write, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  if (!body->is_object()) return fail(400, 10005, "The request body must be a JSON object with a bucket name.");
  const auto& o = body->as_object();
  const auto* name = o.if_contains("name");
  if (!name || !name->is_string() || !valid_bucket_name(name->as_string()))
    return fail(400, 10005,
                "The specified bucket name is not valid: use 3-63 lower-case letters, digits and hyphens, "
                "starting and ending with a letter or digit.");
  std::string location = "ENAM";
  if (const auto* hint = o.if_contains("locationHint"); hint && !hint->is_null()) {
    std::string h = hint->is_string() ? util::lower(hint->as_string()) : "";
    if (std::find(location_hints.begin(), location_hints.end(), h) == location_hints.end())
      return r2_invalid_argument("Invalid locationHint; use one of apac, eeur, enam, weur, wnam, oc.");
    location = upper(h);
  }
  std::string storage_class = "Standard";
  if (const auto* sc = o.if_contains("storageClass"); sc && !sc->is_null()) {
    if (!sc->is_string() || (sc->as_string() != "Standard" && sc->as_string() != "InfrequentAccess"))
      return r2_invalid_argument("Invalid storageClass; use Standard or InfrequentAccess.");
    storage_class = std::string(sc->as_string());
  }
  const std::string bucket(name->as_string());
  if (find_bucket(ctx.state, account, *jurisdiction, bucket))
    return fail(409, 10004, "The bucket you tried to create already exists, and you own it.");
  ctx.state.db.query("INSERT INTO r2_buckets(account_id,jurisdiction,name,creation_date,location,storage_class) "
                     "VALUES(?1,?2,?3,?4,?5,?6)",
                     account, *jurisdiction, bucket, now_rfc3339(true),
                     location, storage_class)
      .run();
  return ok(*find_bucket(ctx.state, account, *jurisdiction, bucket));
}

Response get_bucket(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(r2_account_read, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  auto bucket = find_bucket(ctx.state, account, *jurisdiction, ctx.param("bucket"));
  if (!bucket) return r2_no_such_bucket();
  return ok(std::move(*bucket));
}

Response patch_bucket(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(r2_account_write, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  const auto& name = ctx.param("bucket");
  if (!find_bucket(ctx.state, account, *jurisdiction, name)) return r2_no_such_bucket();
  auto storage_class = ctx.request.header("cf-r2-storage-class");
  if (!storage_class || (*storage_class != "Standard" && *storage_class != "InfrequentAccess"))
    return r2_invalid_argument("Header cf-r2-storage-class must be Standard or InfrequentAccess.");
  ctx.state.db.query("UPDATE r2_buckets SET storage_class=?4 WHERE account_id=?1 AND jurisdiction=?2 AND name=?3",
                     account, *jurisdiction, name, *storage_class)
      .run();
  return ok(*find_bucket(ctx.state, account, *jurisdiction, name));
}

Response delete_bucket(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(r2_account_write, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  const auto& name = ctx.param("bucket");
  if (!find_bucket(ctx.state, account, *jurisdiction, name)) return r2_no_such_bucket();
  if (ctx.state.db.query("SELECT 1 FROM r2_objects WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 LIMIT 1",
                         account, *jurisdiction, name)
          .step())
    return fail(409, 10008, "The bucket you tried to delete is not empty.");
  Transaction tx(ctx.state.db);
  ctx.state.db.query("DELETE FROM r2_buckets WHERE account_id=?1 AND jurisdiction=?2 AND name=?3", account,
                     *jurisdiction, name)
      .run();
  remove_r2_bucket_configs(ctx.state, account, *jurisdiction, name);
  tx.commit();
  return ok(json::object{});
}

void add_endpoints(Router& r) {
  add_r2_bucket_endpoints(r);
  add_r2_object_endpoints(r);
  add_r2_bucket_config_endpoints(r);
}

}  // namespace

void install_r2_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS r2_buckets(
  account_id TEXT NOT NULL, jurisdiction TEXT NOT NULL, name TEXT NOT NULL,
  creation_date TEXT NOT NULL, location TEXT NOT NULL, storage_class TEXT NOT NULL,
  PRIMARY KEY(account_id, jurisdiction, name));
CREATE TABLE IF NOT EXISTS r2_objects(
  account_id TEXT NOT NULL, jurisdiction TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
  size INTEGER NOT NULL, etag TEXT NOT NULL, version TEXT NOT NULL, uploaded TEXT NOT NULL,
  http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL, storage_class TEXT NOT NULL,
  blob_id TEXT NOT NULL,  -- the body's file in the ObjectStore
  PRIMARY KEY(account_id, jurisdiction, bucket, key));
)sql");
  install_r2_bucket_config_schema(db);
}

void add_r2_bucket_endpoints(Router& r) {
  r.add("GET", "/accounts/{account_id:id}/r2/buckets", list_buckets);
  r.add("POST", "/accounts/{account_id:id}/r2/buckets", create_bucket);
  r.add("GET", "/accounts/{account_id:id}/r2/buckets/{bucket}", get_bucket);
  r.add("PATCH", "/accounts/{account_id:id}/r2/buckets/{bucket}", patch_bucket);
  r.add("DELETE", "/accounts/{account_id:id}/r2/buckets/{bucket}", delete_bucket);
}

Outcome<std::string> request_jurisdiction(const Request& req) {
  std::string j = util::lower(req.header("cf-r2-jurisdiction").value_or("default"));
  if (j.empty()) j = "default";
  if (j != "default" && j != "eu" && j != "fedramp")
    return r2_invalid_argument("Invalid cf-r2-jurisdiction header; use default, eu or fedramp.");
  return j;
}

bool r2_bucket_exists(State& state, std::string_view account_id, std::string_view jurisdiction,
                      std::string_view name) {
  return state.db
      .query("SELECT 1 FROM r2_buckets WHERE account_id=?1 AND jurisdiction=?2 AND name=?3", account_id, jurisdiction,
             name)
      .step();
}

bool r2_bucket_exists_anywhere(State& state, std::string_view account_id, std::string_view name) {
  return state.db.query("SELECT 1 FROM r2_buckets WHERE account_id=?1 AND name=?2", account_id, name).step();
}

Response r2_invalid_argument(std::string message) { return fail(400, 10040, std::move(message)); }

std::int64_t r2_per_page(const Request& req, std::int64_t fallback, std::int64_t max) {
  auto v = req.query_param("per_page");
  if (!v) return fallback;
  try {
    return std::clamp<std::int64_t>(std::stoll(*v), 1, max);
  } catch (...) {
    return fallback;
  }
}

std::string r2_to_cursor(std::string_view last) { return util::hex(last); }

std::optional<std::string> r2_from_cursor(std::string_view cursor) {
  if (cursor.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(cursor[i]), lo = nibble(cursor[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Response r2_no_such_bucket() { return fail(404, 10006, "The specified bucket does not exist."); }

Module r2_module() { return {"r2", install_r2_schema, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
