// API tokens: /user/tokens/* (user-owned) and /accounts/{a}/tokens/*
// (account-owned), docs/cloudflare-api.md section 3.
#include <pipewright/util/text.hpp>

#include "iam/permission_groups.hpp"
#include "iam/token_store.hpp"
#include "products/tokens.hpp"
#include "server/context.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

// Which tokens an endpoint manages, and the groups/resource that guard them.
struct Family {
  bool account_owned;
  GroupNames read, write;
};
const Family user_family{false, {"API Tokens Read", "API Tokens Write"}, {"API Tokens Write"}};
const Family account_family{
    true, {"Account API Tokens Read", "Account API Tokens Write"}, {"Account API Tokens Write"}};

TokenOwner owner_of(const RequestContext& ctx, const Family& f) {
  return f.account_owned ? TokenOwner{true, ctx.param("account_id")}
                         : TokenOwner{false, ctx.who().user_id};
}

Resource guarded(const RequestContext& ctx, const Family& f) {
  return f.account_owned ? Resource::account(ctx.param("account_id"))
                         : Resource::user(ctx.who().user_id);
}

Response not_found() { return fail(404, 1001, "API token not found"); }

Response token_with_value(const TokenRecord& t, const std::string& value) {
  json::object o = token_json(t);
  o["value"] = value;
  return ok(std::move(o));
}

Response verify_result(const Principal& who) {
  json::object r{{"id", who.token_id}, {"status", who.status}};
  if (!who.not_before.empty()) r["not_before"] = who.not_before;
  if (!who.expires_on.empty()) r["expires_on"] = who.expires_on;
  return ok_with(
      std::move(r), std::nullopt,
      json::array{json::object{
          {"code", 10000}, {"message", "This API Token is valid and active"}, {"type", nullptr}}});
}

// Verify with the global key: section 9 leaves it open; we answer 400 9106.
Response verify_with_global_key() {
  return fail(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
}

Response verify_user(RequestContext& ctx) {
  const auto& who = ctx.who();
  if (who.kind == CredentialKind::global_key) return verify_with_global_key();
  if (who.kind != CredentialKind::user_token) return fail(401, 1000, "Invalid API Token");
  return verify_result(who);
}

Response verify_account(RequestContext& ctx) {
  const auto& who = ctx.who();
  if (who.kind == CredentialKind::global_key) return verify_with_global_key();
  if (who.kind != CredentialKind::account_token || who.account_id != ctx.param("account_id"))
    return fail(401, 1000, "Invalid API Token");
  return verify_result(who);
}

Response permission_groups_endpoint(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.read, guarded(ctx, f))) return *denied;
  auto name = ctx.request.query_param("name");
  auto scope = ctx.request.query_param("scope");
  json::array out;
  for (const auto& g : permission_groups()) {
    if (name && !util::iequals(*name, g.name)) continue;
    if (scope && *scope != scope_key(g.scope)) continue;
    out.push_back(json::object{{"id", g.id},
                               {"name", g.name},
                               {"description", g.description},
                               {"scopes", json::array{scope_key(g.scope)}}});
  }
  return ok(std::move(out));
}

Response list(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.read, guarded(ctx, f))) return *denied;
  bool desc = ctx.request.query_param("direction").value_or("asc") == "desc";
  json::array all;
  for (const auto& t : list_tokens(ctx.state.db, owner_of(ctx, f), desc))
    all.push_back(token_json(t));
  return paged(all, page_request(ctx.request));
}

Response create(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.write, guarded(ctx, f))) return *denied;
  auto body = ctx.json_body();
  if (!body) return body.error();
  auto input = parse_token_input(*body, owner_of(ctx, f), false);
  if (!input) return input.error();
  auto created = create_token(ctx.state.db, owner_of(ctx, f), *input);
  if (!created) return created.error();
  return token_with_value(created->first, created->second);
}

Response get(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.read, guarded(ctx, f))) return *denied;
  auto t = find_token(ctx.state.db, owner_of(ctx, f), ctx.param("token_id"));
  if (!t) return not_found();
  return ok(token_json(*t));
}

Response update(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.write, guarded(ctx, f))) return *denied;
  if (!find_token(ctx.state.db, owner_of(ctx, f), ctx.param("token_id"))) return not_found();
  auto body = ctx.json_body();
  if (!body) return body.error();
  auto input = parse_token_input(*body, owner_of(ctx, f), true);
  if (!input) return input.error();
  auto t = update_token(ctx.state.db, owner_of(ctx, f), ctx.param("token_id"), *input);
  if (!t) return not_found();
  return ok(token_json(*t));
}

Response remove(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.write, guarded(ctx, f))) return *denied;
  if (!delete_token(ctx.state.db, owner_of(ctx, f), ctx.param("token_id"))) return not_found();
  return ok(json::object{{"id", ctx.param("token_id")}});
}

Response roll(RequestContext& ctx, const Family& f) {
  if (auto denied = ctx.require(f.write, guarded(ctx, f))) return *denied;
  if (auto body = ctx.json_body(); !body) return body.error();
  auto value = roll_token(ctx.state.db, owner_of(ctx, f), ctx.param("token_id"));
  if (!value) return not_found();
  return ok(json::value(*value));
}

// User-owned token endpoints need a user: account tokens are refused like any
// principal without the user resource (9109 via require()).
void add_family(Router& r, const std::string& base, const Family& f) {
  auto bind = [&f](Response (*fn)(RequestContext&, const Family&)) {
    return [fn, &f](RequestContext& ctx) { return fn(ctx, f); };
  };
  r.add("GET", base + "/permission_groups", bind(permission_groups_endpoint));
  r.add("GET", base, bind(list));
  r.add("POST", base, bind(create));
  r.add("GET", base + "/{token_id:id}", bind(get));
  r.add("PUT", base + "/{token_id:id}", bind(update));
  r.add("DELETE", base + "/{token_id:id}", bind(remove));
  r.add("PUT", base + "/{token_id:id}/value", bind(roll));
}

void add_endpoints(Router& r) {
  RouteOptions verify;
  verify.verify_endpoint = true;
  r.add("GET", "/user/tokens/verify", verify_user, verify);
  r.add("GET", "/accounts/{account_id:id}/tokens/verify", verify_account, verify);
  add_family(r, "/user/tokens", user_family);
  add_family(r, "/accounts/{account_id:id}/tokens", account_family);
}

}  // namespace

Module tokens_module() { return {"tokens", install_token_schema, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
