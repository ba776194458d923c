#include "iam/identity_store.hpp"

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "store/clock.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

std::string meta(Db& db, std::string_view key) {
  auto s = db.query("SELECT value FROM meta WHERE key=?1", key);
  return s.step() ? s.text(0) : std::string();
}

std::string field(const json::object& o, std::string_view key, std::string fallback) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return fallback;
}

json::object read_seed(const std::optional<std::filesystem::path>& seed_file) {
  if (!seed_file) return {};
  std::ifstream in(*seed_file);
  if (!in) throw std::runtime_error("cannot read seed file " + seed_file->string());
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    throw std::runtime_error("seed file " + seed_file->string() + " is not a JSON object" +
                             (ec ? ": " + ec.message() : std::string()));
  return v.as_object();
}

void insert_user(Db& db, const std::string& id, const std::string& email, const std::string& key,
                 const std::string& first, const std::string& last, const std::string& now) {
  db.query(
        "INSERT INTO users(id,email,global_key,first_name,last_name,created_on) "
        "VALUES(?1,?2,?3,?4,?5,?6)",
        id, email, key, first, last, now)
      .run();
}

void insert_account(Db& db, const std::string& id, const std::string& name, const std::string& user,
                    const std::string& now) {
  db.query("INSERT INTO accounts(id,name,created_on) VALUES(?1,?2,?3)", id, name, now).run();
  if (!user.empty())
    db.query("INSERT INTO memberships(id,user_id,account_id,created_on) VALUES(?1,?2,?3,?4)",
             new_id(), user, id, now)
        .run();
}

void insert_zone(Db& db, const std::string& id, const std::string& name, const std::string& account,
                 const std::string& now) {
  db.query(
        "INSERT INTO zones(id,name,account_id,status,created_on,activated_on) "
        "VALUES(?1,?2,?3,'active',?4,?4)",
        id, name, account, now)
      .run();
}

}  // namespace

void install_identity_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  global_key TEXT NOT NULL,  -- a demo credential; shown by `pipewright sandbox`
  first_name TEXT NOT NULL, last_name TEXT NOT NULL, created_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(id TEXT PRIMARY KEY, name TEXT NOT NULL, created_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships(
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  account_id TEXT NOT NULL REFERENCES accounts(id), created_on TEXT NOT NULL,
  UNIQUE(user_id, account_id));
CREATE TABLE IF NOT EXISTS zones(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL REFERENCES accounts(id),
  status TEXT NOT NULL, created_on TEXT NOT NULL, activated_on TEXT);
)sql");
}

Identity seed_identity(Db& db, const std::optional<std::filesystem::path>& seed_file) {
  if (meta(db, "demo_user_id").empty()) {
    json::object seed = read_seed(seed_file);
    std::string now = now_rfc3339(true);
    Identity id;
    id.user_id = field(seed, "user_id", new_id());
    id.email = field(seed, "email", "demo@pipewright.dev");
    id.global_key = field(seed, "global_key", random_hex(37));
    id.account_id = field(seed, "account_id", new_id());
    id.account_name = field(seed, "account_name", "Pipewright Demo");
    id.zone_id = field(seed, "zone_id", new_id());
    id.zone_name = field(seed, "zone_name", "pipewright-demo.net");
    for (const auto* v : {&id.user_id, &id.account_id, &id.zone_id})
      if (!is_id32(*v))
        throw std::runtime_error("seed file: ids must be 32 lower-case hex characters: " + *v);
    Transaction tx(db);
    insert_user(db, id.user_id, id.email, id.global_key, "Demo", "User", now);
    insert_account(db, id.account_id, id.account_name, id.user_id, now);
    insert_zone(db, id.zone_id, id.zone_name, id.account_id, now);
    // Extra data for tests, e.g. a foreign user with its own account/zone:
    // {"users":[{id,email,global_key}], "accounts":[{id,name,member}],
    // "zones":[{id,name,account_id}]}
    auto each = [&](std::string_view key, auto fn) {
      if (auto* arr = seed.if_contains(key); arr && arr->is_array())
        for (const auto& v : arr->as_array())
          if (v.is_object()) fn(v.as_object());
    };
    each("users", [&](const json::object& u) {
      insert_user(db, field(u, "id", new_id()), field(u, "email", ""),
                  field(u, "global_key", random_hex(37)), field(u, "first_name", "Other"),
                  field(u, "last_name", "User"), now);
    });
    each("accounts", [&](const json::object& a) {
      insert_account(db, field(a, "id", new_id()), field(a, "name", "Account"),
                     field(a, "member", ""), now);
    });
    each("zones", [&](const json::object& z) {
      insert_zone(db, field(z, "id", new_id()), field(z, "name", ""),
                  field(z, "account_id", id.account_id), now);
    });
    for (auto [k, v] : {std::pair<const char*, std::string*>{"demo_user_id", &id.user_id},
                        {"demo_account_id", &id.account_id},
                        {"demo_zone_id", &id.zone_id}})
      db.query("INSERT INTO meta(key,value) VALUES(?1,?2)", k, *v).run();
    tx.commit();
  }
  Identity id;
  id.user_id = meta(db, "demo_user_id");
  id.account_id = meta(db, "demo_account_id");
  id.zone_id = meta(db, "demo_zone_id");
  auto u = db.query("SELECT email, global_key FROM users WHERE id=?1", id.user_id);
  if (!u.step()) throw std::runtime_error("sandbox state: demo user missing");
  id.email = u.text(0);
  id.global_key = u.text(1);
  auto a = db.query("SELECT name FROM accounts WHERE id=?1", id.account_id);
  if (a.step()) id.account_name = a.text(0);
  auto z = db.query("SELECT name FROM zones WHERE id=?1", id.zone_id);
  if (z.step()) id.zone_name = z.text(0);
  return id;
}

}  // namespace pw::sandbox
