// GET /user, /accounts, /accounts/{id}, /memberships, /zones, /zones/{id}
// with the permission rules of docs/cloudflare-api.md 5.1.
#include <pipewright/util/text.hpp>

#include "iam/identity_store.hpp"
#include "iam/permission_groups.hpp"
#include "products/identity.hpp"
#include "server/context.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

// Account-owned tokens have no user identity (section 2.1; docs/sandbox.md).
Response no_user_identity() { return fail(400, 9106, "Authentication failed"); }

bool descending(const Request& req) {
  return req.query_param("direction").value_or("asc") == "desc";
}

json::object account_json(State& state, std::string_view id) {
  auto s = state.db.query("SELECT id, name, created_on FROM accounts WHERE id=?1", id);
  if (!s.step()) return {};
  return json::object{{"id", s.text(0)},
                      {"name", s.text(1)},
                      {"type", "standard"},
                      {"settings", json::object{{"enforce_twofactor", false},
                                                {"api_access_enabled", nullptr},
                                                {"access_approval_expiry", nullptr},
                                                {"abuse_contact_email", nullptr}}},
                      {"created_on", s.text(2)}};
}

json::object zone_json(State& state, Statement& s) {
  // columns: id, name, account_id, status, created_on, activated_on
  std::string account_id = s.text(2);
  auto acct = state.db.query("SELECT name FROM accounts WHERE id=?1", account_id);
  std::string account_name = acct.step() ? acct.text(0) : "";
  auto owner = state.db.query(
      "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id=m.user_id WHERE "
      "m.account_id=?1 "
      "ORDER BY m.created_on LIMIT 1",
      account_id);
  json::object owner_json{{"id", nullptr}, {"type", "user"}, {"email", nullptr}};
  if (owner.step())
    owner_json = {{"id", owner.text(0)}, {"type", "user"}, {"email", owner.text(1)}};
  return json::object{
      {"id", s.text(0)},
      {"name", s.text(1)},
      {"status", s.text(3)},
      {"paused", false},
      {"type", "full"},
      {"development_mode", 0},
      {"name_servers", json::array{"ada.ns.cloudflare.com", "bob.ns.cloudflare.com"}},
      {"original_name_servers", nullptr},
      {"original_registrar", nullptr},
      {"original_dnshost", nullptr},
      {"created_on", s.text(4)},
      {"modified_on", s.text(4)},
      {"activated_on",
       s.optional_text(5) ? json::value(*s.optional_text(5)) : json::value(nullptr)},
      {"meta", json::object{{"step", 2},
                            {"custom_certificate_quota", 0},
                            {"page_rule_quota", 3},
                            {"phishing_detected", false}}},
      {"owner", std::move(owner_json)},
      {"account", json::object{{"id", account_id}, {"name", account_name}}},
      {"permissions", json::array{"#zone:read", "#zone:edit"}},
      {"plan", json::object{{"id", "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee"},
                            {"name", "Free Website"},
                            {"price", 0},
                            {"currency", "USD"},
                            {"frequency", ""},
                            {"is_subscribed", false},
                            {"can_subscribe", false},
                            {"legacy_id", "free"},
                            {"legacy_discount", false},
                            {"externally_managed", false}}}};
}

constexpr std::string_view zone_columns =
    "SELECT id, name, account_id, status, created_on, activated_on FROM zones";

Response get_user(RequestContext& ctx) {
  const auto& who = ctx.who();
  if (who.user_id.empty()) return no_user_identity();
  if (auto denied = ctx.require({"User Details Read"}, Resource::user(who.user_id))) return *denied;
  auto s = ctx.state.db.query(
      "SELECT id, email, first_name, last_name, created_on FROM users WHERE id=?1", who.user_id);
  if (!s.step()) return user_level_denied();
  return ok(json::object{{"id", s.text(0)},
                         {"email", s.text(1)},
                         {"first_name", s.text(2)},
                         {"last_name", s.text(3)},
                         {"username", util::lower(s.text(2)) + s.text(0).substr(0, 8)},
                         {"telephone", nullptr},
                         {"country", nullptr},
                         {"zipcode", nullptr},
                         {"two_factor_authentication_enabled", false},
                         {"two_factor_authentication_locked", false},
                         {"suspended", false},
                         {"has_pro_zones", false},
                         {"has_business_zones", false},
                         {"has_enterprise_zones", false},
                         {"betas", json::array()},
                         {"organizations", json::array()},
                         {"created_on", s.text(4)},
                         {"modified_on", s.text(4)}});
}

// Lists are filtered, not refused: a token without account groups gets [].
Response list_accounts(RequestContext& ctx) {
  auto groups = group_names_with_scope(Scope::account);
  auto name = ctx.request.query_param("name");
  auto s = ctx.state.db.query(std::string("SELECT id, name FROM accounts ORDER BY name ") +
                              (descending(ctx.request) ? "DESC" : "ASC") + ", id");
  json::array all;
  while (s.step()) {
    if (name && util::lower(s.text(1)).find(util::lower(*name)) == std::string::npos) continue;
    if (ctx.allowed(groups, Resource::account(s.text(0))))
      all.push_back(account_json(ctx.state, s.text(0)));
  }
  return paged(all, page_request(ctx.request));
}

Response get_account(RequestContext& ctx) {
  const auto& id = ctx.param("account_id");
  if (auto denied = ctx.require(group_names_with_scope(Scope::account), Resource::account(id)))
    return *denied;
  return ok(account_json(ctx.state, id));
}

Response list_memberships(RequestContext& ctx) {
  const auto& who = ctx.who();
  if (who.user_id.empty()) return no_user_identity();
  if (auto denied = ctx.require({"Memberships Read"}, Resource::user(who.user_id))) return *denied;
  auto account_name = ctx.request.query_param("account.name");
  auto status = ctx.request.query_param("status");
  auto s = ctx.state.db.query(
      std::string("SELECT m.id, a.id, a.name FROM memberships m JOIN accounts a ON "
                  "a.id=m.account_id WHERE m.user_id=?1 ORDER BY a.name ") +
          (descending(ctx.request) ? "DESC" : "ASC"),
      who.user_id);
  json::array all;
  while (s.step()) {
    if (account_name &&
        util::lower(s.text(2)).find(util::lower(*account_name)) == std::string::npos)
      continue;
    if (status && *status != "accepted") continue;
    all.push_back(json::object{
        {"id", s.text(0)},
        {"status", "accepted"},
        {"account", json::object{{"id", s.text(1)}, {"name", s.text(2)}}},
        {"roles", json::array{"Super Administrator - All Privileges"}},
        {"permissions", json::object{{"zones", json::object{{"read", true}, {"write", true}}},
                                     {"billing", json::object{{"read", true}, {"write", true}}}}}});
  }
  return paged(all, page_request(ctx.request));
}

Response list_zones(RequestContext& ctx) {
  auto groups = group_names_with_scope(Scope::zone);
  auto name = ctx.request.query_param("name");
  auto account_id = ctx.request.query_param("account.id");
  auto account_name = ctx.request.query_param("account.name");
  auto status = ctx.request.query_param("status");
  auto s = ctx.state.db.query(std::string(zone_columns) + " ORDER BY name " +
                              (descending(ctx.request) ? "DESC" : "ASC"));
  json::array all;
  while (s.step()) {
    if (name && !util::iequals(s.text(1), *name)) continue;
    if (account_id && s.text(2) != *account_id) continue;
    if (status && s.text(3) != *status) continue;
    if (!ctx.allowed(groups, Resource::zone(s.text(0)))) continue;
    auto z = zone_json(ctx.state, s);
    if (account_name && !util::iequals(z["account"].as_object()["name"].as_string(), *account_name))
      continue;
    all.push_back(std::move(z));
  }
  return paged(all, page_request(ctx.request));
}

Response get_zone(RequestContext& ctx) {
  const auto& id = ctx.param("zone_id");
  if (auto denied = ctx.require(group_names_with_scope(Scope::zone), Resource::zone(id)))
    return *denied;
  auto s = ctx.state.db.query(std::string(zone_columns) + " WHERE id=?1", id);
  if (!s.step()) return auth_error();
  return ok(zone_json(ctx.state, s));
}

void add_endpoints(Router& r) {
  r.add("GET", "/user", get_user);
  r.add("GET", "/accounts", list_accounts);
  r.add("GET", "/accounts/{account_id:id}", get_account);
  r.add("GET", "/memberships", list_memberships);
  r.add("GET", "/zones", list_zones);
  r.add("GET", "/zones/{zone_id:id}", get_zone);
}

}  // namespace

Module identity_module() { return {"identity", nullptr, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
