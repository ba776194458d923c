// Test hooks under /__sandbox/ (no auth, loopback only; docs/sandbox.md).
#include <boost/json/parse.hpp>

#include "hooks/hooks.hpp"
#include "iam/permission_groups.hpp"
#include "iam/token_store.hpp"
#include "server/context.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

Response identity(RequestContext& ctx) {
  const Identity& id = ctx.state.identity;
  return ok(json::object{{"user_id", id.user_id},
                         {"email", id.email},
                         {"global_key", id.global_key},
                         {"account_id", id.account_id},
                         {"account_name", id.account_name},
                         {"zone_id", id.zone_id},
                         {"zone_name", id.zone_name}});
}

// Body: the spec string as text, a JSON string, or a JSON object.
Response set_faults(RequestContext& ctx) {
  std::string spec = ctx.request.body;
  boost::system::error_code ec;
  json::value v = json::parse(spec, ec);
  if (!ec && v.is_string()) spec = std::string(v.as_string());
  try {
    ctx.runtime.faults.set(spec);
  } catch (const std::invalid_argument& e) {
    return fail(400, 1003, e.what());
  }
  return ok(json::object{{"faults", ctx.runtime.faults.spec()}});
}

Response get_faults(RequestContext& ctx) {
  return ok(json::object{{"faults", ctx.runtime.faults.spec()}});
}

Response activate(RequestContext& ctx) {
  for (auto& fn : ctx.runtime.hostname_activators) fn(ctx.state);
  return ok(json::object{{"activated", true}});
}

Response requests(RequestContext& ctx) { return ok(ctx.runtime.log.json()); }

Response clear_requests(RequestContext& ctx) {
  ctx.runtime.log.clear();
  return ok(nullptr);
}

// Like POST /user/tokens but without auth, with permission groups given by
// id or name, and allowing status/past times (expired or not-yet-valid
// tokens for tests). "account_id" makes an account-owned token.
Response create_token_hook(RequestContext& ctx) {
  auto body = ctx.json_body();
  if (!body) return body.error();
  if (!body->is_object()) return fail(400, 1003, "body must be a JSON object");
  json::object o = body->as_object();
  if (!o.contains("name")) o["name"] = "sandbox test token";
  if (auto* policies = o.if_contains("policies"); policies && policies->is_array())
    for (auto& p : policies->as_array())
      if (auto* groups = p.is_object() ? p.as_object().if_contains("permission_groups") : nullptr;
          groups && groups->is_array())
        for (auto& g : groups->as_array())
          if (auto* name = g.is_object() ? g.as_object().if_contains("name") : nullptr;
              name && name->is_string() && !g.as_object().contains("id")) {
            const auto* pg = find_group_by_name(name->as_string());
            if (!pg)
              return fail(
                  400, 1003,
                  "unknown permission group name \"" + std::string(name->as_string()) + "\"");
            g.as_object()["id"] = pg->id;
          }
  TokenOwner owner{false, ctx.state.identity.user_id};
  if (auto* a = o.if_contains("account_id"); a && a->is_string())
    owner = {true, std::string(a->as_string())};
  auto input = parse_token_input(o, owner, false, true);
  if (!input) return input.error();
  auto created = create_token(ctx.state.db, owner, *input);
  if (!created) return created.error();
  json::object result = token_json(created->first);
  result["value"] = created->second;
  return ok(std::move(result));
}

void add_endpoints(Router& r) {
  r.add_hook("GET", "/identity", identity);
  r.add_hook("GET", "/faults", get_faults);
  r.add_hook("POST", "/faults", set_faults);
  r.add_hook("POST", "/custom_hostnames/activate", activate);
  r.add_hook("GET", "/requests", requests);
  r.add_hook("DELETE", "/requests", clear_requests);
  r.add_hook("POST", "/tokens", create_token_hook);
}

}  // namespace

Module hooks_module() { return {"hooks", nullptr, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
