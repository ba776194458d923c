#include "iam/token_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cidr.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

constexpr std::size_t max_user_tokens = 50;
constexpr std::size_t max_account_tokens = 500;

Response invalid(std::string message) { return fail(400, 1003, "Invalid request: " + message); }

constexpr std::string_view columns =
    "id, owner_kind, owner_id, name, status, issued_on, modified_on, last_used_on, not_before, "
    "expires_on, "
    "policies, condition";

TokenRecord read_row(const Statement& s) {
  TokenRecord t;
  t.id = s.text(0);
  t.owner.account_owned = s.text(1) == "account";
  t.owner.id = s.text(2);
  t.name = s.text(3);
  t.status = s.text(4);
  t.issued_on = s.text(5);
  t.modified_on = s.text(6);
  t.last_used_on = s.optional_text(7);
  t.not_before = s.optional_text(8);
  t.expires_on = s.optional_text(9);
  t.policies = load_policies(json::parse(s.text(10)));
  if (auto c = s.optional_text(11)) t.condition = json::parse(*c).as_object();
  return t;
}

std::string_view kind(const TokenOwner& o) { return o.account_owned ? "account" : "user"; }

// Optional RFC 3339 field, normalised; error text when malformed.
std::string read_time(const json::object& body, std::string_view key,
                      std::optional<std::string>& out) {
  auto* v = body.if_contains(key);
  if (!v || v->is_null()) return "";
  if (!v->is_string()) return "\"" + std::string(key) + "\" must be an RFC 3339 timestamp";
  auto t = util::parse_rfc3339(v->as_string());
  if (!t) return "\"" + std::string(key) + "\" must be an RFC 3339 timestamp";
  out = util::format_rfc3339(*t);
  return "";
}

// Accepts request_ip (current SDKs) or request.ip (docs); stores request_ip.
std::string read_condition(const json::object& body, json::object& out) {
  auto* c = body.if_contains("condition");
  if (!c || c->is_null()) return "";
  if (!c->is_object()) return "\"condition\" must be an object";
  const json::value* ip = c->as_object().if_contains("request_ip");
  if (!ip) ip = c->as_object().if_contains("request.ip");
  if (!ip || ip->is_null()) return "";
  if (!ip->is_object()) return "\"condition.request_ip\" must be an object";
  json::object norm;
  for (const auto& [k, v] : ip->as_object()) {
    if (k != "in" && k != "not_in")
      return "\"condition.request_ip\" accepts only \"in\" and \"not_in\"";
    if (!v.is_array())
      return "\"condition.request_ip." + std::string(k) + "\" must be an array of CIDRs";
    for (const auto& cidr : v.as_array())
      if (!cidr.is_string() || !parse_cidr(cidr.as_string()))
        return "invalid CIDR in condition.request_ip." + std::string(k) + ": " +
               (cidr.is_string() ? std::string(cidr.as_string()) : json::serialize(cidr));
    norm[k] = v;
  }
  out["request_ip"] = std::move(norm);
  return "";
}

}  // namespace

void install_token_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY,
  owner_kind TEXT NOT NULL CHECK(owner_kind IN ('user','account')),
  owner_id TEXT NOT NULL,
  value_sha256 TEXT NOT NULL UNIQUE,  -- never the value itself
  name TEXT NOT NULL, status TEXT NOT NULL,
  issued_on TEXT NOT NULL, modified_on TEXT NOT NULL, last_used_on TEXT,
  not_before TEXT, expires_on TEXT,
  policies TEXT NOT NULL, condition TEXT);
CREATE INDEX IF NOT EXISTS tokens_owner ON tokens(owner_kind, owner_id);
)sql");
}

Outcome<TokenInput> parse_token_input(const json::value& body, const TokenOwner& owner,
                                      bool for_update, bool trusted) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  const auto& o = body.as_object();
  TokenInput in;
  auto* name = o.if_contains("name");
  if (!name || !name->is_string() || name->as_string().empty() || name->as_string().size() > 120)
    return invalid("\"name\" is required and must be 1 to 120 characters");
  in.name = std::string(name->as_string());
  auto policies = parse_policies(o.contains("policies") ? o.at("policies") : json::value(),
                                 owner.policy_owner());
  if (!policies) return policies.error();
  in.policies = std::move(policies.value());
  for (auto key : {"not_before", "expires_on"}) {
    auto& slot = std::string_view(key) == "not_before" ? in.not_before : in.expires_on;
    if (auto err = read_time(o, key, slot); !err.empty()) return invalid(err);
  }
  if (!trusted && in.expires_on) {
    if (*util::parse_rfc3339(*in.expires_on) <= util::now())
      return invalid("\"expires_on\" must be in the future");
    if (in.not_before &&
        *util::parse_rfc3339(*in.not_before) >= *util::parse_rfc3339(*in.expires_on))
      return invalid("\"not_before\" must be before \"expires_on\"");
  }
  if (auto err = read_condition(o, in.condition); !err.empty()) return invalid(err);
  if (auto* s = o.if_contains("status"); s && !s->is_null()) {
    if (!for_update && !trusted) return invalid("\"status\" cannot be set on create");
    if (!s->is_string() ||
        (s->as_string() != "active" && s->as_string() != "disabled" && s->as_string() != "expired"))
      return invalid("\"status\" must be \"active\", \"disabled\" or \"expired\"");
    in.status = std::string(s->as_string());
  }
  return in;
}

Outcome<std::pair<TokenRecord, std::string>> create_token(Db& db, const TokenOwner& owner,
                                                          const TokenInput& in) {
  auto count = db.query("SELECT count(*) FROM tokens WHERE owner_kind=?1 AND owner_id=?2",
                        kind(owner), owner.id);
  count.step();
  auto quota = owner.account_owned ? max_account_tokens : max_user_tokens;
  if (static_cast<std::size_t>(count.integer(0)) >= quota)
    return fail(400, 1003,
                "Invalid request: token quota reached (" + std::to_string(quota) + " tokens)");
  TokenRecord t;
  t.id = new_id();
  t.owner = owner;
  t.name = in.name;
  t.status = in.status.value_or("active");
  t.issued_on = t.modified_on = now_rfc3339();
  t.not_before = in.not_before;
  t.expires_on = in.expires_on;
  t.policies = in.policies;
  t.condition = in.condition;
  std::string value = new_token_value(owner.account_owned ? "cfat_" : "cfut_");
  db.query(
        "INSERT INTO tokens(id,owner_kind,owner_id,value_sha256,name,status,issued_on,modified_on,"
        "not_before,expires_on,policies,condition) VALUES(?1,?2,?3,?4,?5,?6,?7,?7,?8,?9,?10,?11)",
        t.id, kind(owner), owner.id, sha256_hex(value), t.name, t.status, t.issued_on, t.not_before,
        t.expires_on, json::serialize(policies_json(t.policies)), json::serialize(t.condition))
      .run();
  return std::pair{std::move(t), std::move(value)};
}

std::optional<TokenRecord> find_token(Db& db, const TokenOwner& owner, std::string_view id) {
  auto s = db.query("SELECT " + std::string(columns) +
                        " FROM tokens WHERE id=?1 AND owner_kind=?2 AND owner_id=?3",
                    id, kind(owner), owner.id);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

void TokenLookup::forget_if_changed(Db& db) {
  if (db.total_changes() != changes_ || by_hash_.size() >= max_entries ||
      by_id_.size() >= max_entries) {
    by_hash_.clear();
    by_id_.clear();
    changes_ = db.total_changes();
  }
}

std::optional<TokenLookup::Keyed> TokenLookup::find_by_id(Db& db, std::string_view id) {
  forget_if_changed(db);
  std::string key(id);
  if (auto it = by_id_.find(key); it != by_id_.end()) return it->second;
  auto s = db.query("SELECT " + std::string(columns) + ", value_sha256 FROM tokens WHERE id=?1", id);
  if (!s.step()) return std::nullopt;
  return by_id_.emplace(std::move(key), Keyed{read_row(s), s.text(12)}).first->second;
}

std::optional<TokenRecord> TokenLookup::find(Db& db, std::string_view value) {
  forget_if_changed(db);
  auto hash = sha256_hex(value);
  if (auto it = by_hash_.find(hash); it != by_hash_.end()) return it->second;
  auto s = db.query("SELECT " + std::string(columns) + " FROM tokens WHERE value_sha256=?1", hash);
  if (!s.step()) return std::nullopt;
  return by_hash_.emplace(std::move(hash), read_row(s)).first->second;
}

std::vector<TokenRecord> list_tokens(Db& db, const TokenOwner& owner, bool descending) {
  auto s = db.query("SELECT " + std::string(columns) +
                        " FROM tokens WHERE owner_kind=?1 AND owner_id=?2 ORDER BY issued_on " +
                        (descending ? "DESC" : "ASC") + ", rowid " + (descending ? "DESC" : "ASC"),
                    kind(owner), owner.id);
  std::vector<TokenRecord> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::optional<TokenRecord> update_token(Db& db, const TokenOwner& owner, std::string_view id,
                                        const TokenInput& in) {
  auto current = find_token(db, owner, id);
  if (!current) return std::nullopt;
  db.query(
        "UPDATE tokens SET name=?1, status=?2, modified_on=?3, not_before=?4, expires_on=?5, "
        "policies=?6, "
        "condition=?7 WHERE id=?8",
        in.name, in.status.value_or(current->status), now_rfc3339(), in.not_before, in.expires_on,
        json::serialize(policies_json(in.policies)), json::serialize(in.condition), id)
      .run();
  return find_token(db, owner, id);
}

bool delete_token(Db& db, const TokenOwner& owner, std::string_view id) {
  return db.query("DELETE FROM tokens WHERE id=?1 AND owner_kind=?2 AND owner_id=?3", id,
                  kind(owner), owner.id)
             .run() > 0;
}

std::optional<std::string> roll_token(Db& db, const TokenOwner& owner, std::string_view id) {
  std::string value = new_token_value(owner.account_owned ? "cfat_" : "cfut_");
  int changed =
      db.query(
            "UPDATE tokens SET value_sha256=?1, modified_on=?2 WHERE id=?3 AND owner_kind=?4 AND "
            "owner_id=?5",
            sha256_hex(value), now_rfc3339(), id, kind(owner), owner.id)
          .run();
  if (changed == 0) return std::nullopt;
  return value;
}

void touch_token(Db& db, std::string_view id) {
  db.query("UPDATE tokens SET last_used_on=?1 WHERE id=?2", now_rfc3339(), id).run();
}

std::string effective_status(const TokenRecord& t) {
  if (t.status == "active" && t.expires_on && *util::parse_rfc3339(*t.expires_on) <= util::now())
    return "expired";
  return t.status;
}

json::object token_json(const TokenRecord& t) {
  json::object o{
      {"id", t.id},
      {"name", t.name},
      {"status", effective_status(t)},
      {"issued_on", t.issued_on},
      {"modified_on", t.modified_on},
      {"last_used_on", t.last_used_on ? json::value(*t.last_used_on) : json::value(nullptr)}};
  if (t.not_before) o["not_before"] = *t.not_before;
  if (t.expires_on) o["expires_on"] = *t.expires_on;
  o["policies"] = policies_json(t.policies);
  o["condition"] = t.condition;
  return o;
}

}  // namespace pw::sandbox
