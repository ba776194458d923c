// The extra Workers endpoints `wrangler deploy` calls (docs/cloudflare-api.md 5.4
// table): services, secrets, deployments, versions, script settings,
// subdomains, schedules and the script's Workers routes.
#include "products/workers_route_pattern.hpp"
#include "products/workers_routes.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"
#include "workers_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

// Permission on the account, then the script must exist (2.2 order).
Outcome<ScriptRow> script_for(RequestContext& ctx, const GroupNames& groups, bool as_service = false) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(groups, Resource::account(account))) return std::move(*denied);
  auto script = find_script(ctx.state, account, ctx.param("script_name"));
  if (!script) return as_service ? service_not_found() : script_not_found();
  return std::move(*script);
}

Response get_service(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read, true);
  if (!script) return std::move(script.error());
  auto v = find_version(ctx.state, ctx.param("account_id"), script->name, script->current_version);
  return ok(json::object{
      {"id", script->name},
      {"default_environment",
       json::object{{"environment", "production"},
                    {"created_on", script->created_on},
                    {"modified_on", script->modified_on},
                    {"script", json::object{{"id", script->name},
                                            {"tag", script->tag},
                                            {"tags", nullptr},
                                            {"etag", v ? v->etag : ""},
                                            {"handlers", v ? json::value(v->handlers) : json::value(json::array{})},
                                            {"last_deployed_from", "wrangler"}}}}},
      {"created_on", script->created_on},
      {"modified_on", script->modified_on},
      {"environments", json::array{}}});
}

json::object deployment_json(Statement& s) {
  // columns: id, created_on, source, author_email, versions, annotations
  return json::object{{"id", s.text(0)},
                      {"created_on", s.text(1)},
                      {"source", s.text(2)},
                      {"strategy", "percentage"},
                      {"author_email", s.text(3)},
                      {"versions", json::parse(s.text(4))},
                      {"annotations", json::parse(s.text(5))}};
}

Response list_deployments(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  auto s = ctx.state.db.query(
      "SELECT id, created_on, source, author_email, versions, annotations FROM workers_deployments "
      "WHERE account_id=?1 AND script=?2 ORDER BY created_on DESC, rowid DESC",
      ctx.param("account_id"), script->name);
  json::array all;
  while (s.step()) all.push_back(deployment_json(s));
  // wrangler reads `deployments`, the TS SDK 7 pages through `items`: both
  // carry the same page. Without page/per_page the page is the whole list.
  const bool paged_request = ctx.request.query_param("page") || ctx.request.query_param("per_page");
  auto page = page_request(ctx.request, paged_request ? 10 : std::max<std::int64_t>(1, static_cast<std::int64_t>(all.size())), 1,
                           std::max<std::int64_t>(100, static_cast<std::int64_t>(all.size())));
  json::array items;
  const auto first = static_cast<std::size_t>((page.page - 1) * page.per_page);
  for (std::size_t i = first; i < all.size() && i < first + static_cast<std::size_t>(page.per_page); ++i)
    items.push_back(all[i]);
  json::object info{{"page", page.page},
                    {"per_page", page.per_page},
                    {"count", items.size()},
                    {"total_count", all.size()}};
  return ok(json::object{{"deployments", items}, {"items", items}}, std::move(info));
}

Response create_deployment(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  auto body = ctx.json_body(upload_error("Malformed JSON in request body"));
  if (!body) return std::move(body.error());
  const auto& account = ctx.param("account_id");
  const auto* versions = body->is_object() ? body->as_object().if_contains("versions") : nullptr;
  if (!versions || !versions->is_array() || versions->as_array().empty())
    return upload_error("A deployment needs versions: [{version_id, percentage}]");
  std::string chosen;
  double best = -1, total = 0;
  for (const auto& v : versions->as_array()) {
    const auto* o = v.if_object();
    const auto* id = o ? o->if_contains("version_id") : nullptr;
    const auto* pct = o ? o->if_contains("percentage") : nullptr;
    if (!id || !id->is_string() || !pct || !pct->is_number())
      return upload_error("Every deployment version needs a version_id and a percentage");
    if (!find_version(ctx.state, account, script->name, id->as_string()))
      return upload_error("Version " + std::string(id->as_string()) + " does not belong to script " + script->name);
    double p = pct->to_number<double>();
    total += p;
    if (p > best) best = p, chosen = std::string(id->as_string());
  }
  if (total < 99.99 || total > 100.01) return upload_error("Deployment percentages must add up to 100");
  json::object annotations;
  if (const auto* a = body->as_object().if_contains("annotations"); a && a->is_object()) annotations = a->as_object();
  std::string id = deploy_version(ctx, account, script->name, chosen, annotations);
  // deploy_version records a single 100% entry; keep the split the client asked for.
  ctx.state.db.query("UPDATE workers_deployments SET versions=?4 WHERE account_id=?1 AND script=?2 AND id=?3", account,
                     script->name, id, json::serialize(*versions))
      .run();
  auto s = ctx.state.db.query(
      "SELECT id, created_on, source, author_email, versions, annotations FROM workers_deployments "
      "WHERE account_id=?1 AND script=?2 AND id=?3",
      account, script->name, id);
  s.step();
  return ok(deployment_json(s));
}

Response upload_version(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  auto v = store_upload(ctx, ctx.param("account_id"), script->name);
  if (!v) return std::move(v.error());
  return ok(version_json(ctx.state, *v, *script));
}

// Newest first, page pagination (default 10 per page); wrangler reads result.items.
// Every stored version can be deployed, so `deployable=true` changes nothing.
Response list_versions(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  const auto& account = ctx.param("account_id");
  auto s = ctx.state.db.query("SELECT id FROM workers_versions WHERE account_id=?1 AND script=?2 ORDER BY number DESC",
                              account, script->name);
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  auto page = page_request(ctx.request, 10, 1, 100);
  json::array items;
  const auto first = static_cast<std::size_t>((page.page - 1) * page.per_page);
  for (std::size_t i = first; i < ids.size() && i < first + static_cast<std::size_t>(page.per_page); ++i)
    if (auto v = find_version(ctx.state, account, script->name, ids[i])) items.push_back(version_json(ctx.state, *v, *script));
  json::object info{{"page", page.page},
                    {"per_page", page.per_page},
                    {"count", items.size()},
                    {"total_count", ids.size()},
                    {"total_pages", (static_cast<std::int64_t>(ids.size()) + page.per_page - 1) / page.per_page}};
  return ok(json::object{{"items", std::move(items)}}, std::move(info));
}

Response version_not_found() { return fail(404, 10007, "workers.api.error.version_not_found"); }

Response get_version(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  auto v = find_version(ctx.state, ctx.param("account_id"), script->name, ctx.param("version_id"));
  if (!v) return version_not_found();
  return ok(version_json(ctx.state, *v, *script));
}

Response get_deployment(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  auto s = ctx.state.db.query(
      "SELECT id, created_on, source, author_email, versions, annotations FROM workers_deployments "
      "WHERE account_id=?1 AND script=?2 AND id=?3",
      ctx.param("account_id"), script->name, ctx.param("deployment_id"));
  if (!s.step()) return fail(404, 10007, "workers.api.error.deployment_not_found");
  return ok(deployment_json(s));
}

// The latest deployment is what runs: it cannot be deleted (deploy another first).
Response delete_deployment(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  const auto& account = ctx.param("account_id");
  const auto& id = ctx.param("deployment_id");
  auto latest = ctx.state.db.query(
      "SELECT id FROM workers_deployments WHERE account_id=?1 AND script=?2 ORDER BY created_on DESC, rowid DESC LIMIT 1",
      account, script->name);
  if (latest.step() && latest.text(0) == id)
    return fail(400, 10230, "The latest deployment of a Worker cannot be deleted; deploy another version first.");
  if (!ctx.state.db.query("DELETE FROM workers_deployments WHERE account_id=?1 AND script=?2 AND id=?3", account,
                          script->name, id)
           .run())
    return fail(404, 10007, "workers.api.error.deployment_not_found");
  return ok(nullptr);
}

// `wrangler delete` removes a Worker through its service (force=true: also
// when other Workers bind to it, which the sandbox does not track).
Response delete_service(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write, true);
  if (!script) return std::move(script.error());
  remove_script(ctx.state, ctx.param("account_id"), script->name);
  return ok(json::object{});
}

// The deployed metadata of every other script of the account, for the
// reference lookups `wrangler delete` makes before deleting.
std::vector<std::pair<std::string, json::object>> other_deployed(RequestContext& ctx, const std::string& script) {
  const auto& account = ctx.param("account_id");
  std::vector<std::pair<std::string, json::object>> out;
  auto s = ctx.state.db.query("SELECT name, current_version FROM workers_scripts WHERE account_id=?1 AND name<>?2 ORDER BY name",
                              account, script);
  while (s.step())
    if (auto v = find_version(ctx.state, account, s.text(0), s.text(1))) out.emplace_back(s.text(0), std::move(v->metadata));
  return out;
}

// Who depends on the script: other scripts' service bindings to it.
Response get_references(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  json::array incoming;
  for (const auto& [name, metadata] : other_deployed(ctx, script->name))
    for (const auto& b : public_bindings(metadata))
      if (const auto* o = b.if_object(); o && o->contains("service") && o->at("type") == "service" &&
                                         o->at("service") == json::value(script->name))
        incoming.push_back(json::object{{"service", name}, {"environment", "production"}, {"name", o->at("name")}});
  return ok(json::object{{"services", json::object{{"incoming", std::move(incoming)},
                                                   {"outgoing", json::array{}},
                                                   {"pages_function", false}}},
                         {"durable_objects", json::array{}},
                         {"dispatch_outbounds", json::array{}}});
}

// Scripts whose tail_consumers name this one.
Response get_tail_producers(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  json::array producers;
  for (const auto& [name, metadata] : other_deployed(ctx, script->name))
    if (const auto* t = metadata.if_contains("tail_consumers"); t && t->is_array())
      for (const auto& c : t->as_array())
        if (c.is_object() && c.as_object().contains("service") && c.as_object().at("service") == json::value(script->name))
          producers.push_back(json::object{{"producer", json::object{{"service", name}, {"environment", "production"}}}});
  return ok(std::move(producers));
}

// KV is not emulated: every account has no namespace. `wrangler delete` lists
// them to remove a Workers Sites namespace, so the list must answer.
Response list_kv_namespaces(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(workers_read, Resource::account(account))) return std::move(*denied);
  return paged(json::array{}, page_request(ctx.request, 20, 5, 1000));
}

Response get_settings(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  return ok(script->settings);
}

Response patch_settings(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  if (!body->is_object()) return upload_error("Script settings must be a JSON object");
  json::object settings = script->settings;
  for (const auto& [k, v] : body->as_object()) settings[k] = v;
  ctx.state.db.query("UPDATE workers_scripts SET settings=?3 WHERE account_id=?1 AND name=?2", ctx.param("account_id"),
                     script->name, json::serialize(settings))
      .run();
  return ok(std::move(settings));
}

Response get_script_subdomain(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  return ok(json::object{{"enabled", script->subdomain_enabled}, {"previews_enabled", script->previews_enabled}});
}

Response post_script_subdomain(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  const auto* enabled = o ? o->if_contains("enabled") : nullptr;
  if (!enabled || !enabled->is_bool()) return upload_error("Body must be {\"enabled\": true|false, \"previews_enabled\"?: bool}");
  bool previews = script->previews_enabled;
  if (const auto* p = o->if_contains("previews_enabled"); p && p->is_bool()) previews = p->as_bool();
  ctx.state.db
      .query("UPDATE workers_scripts SET subdomain_enabled=?3, previews_enabled=?4 WHERE account_id=?1 AND name=?2",
             ctx.param("account_id"), script->name, static_cast<int>(enabled->as_bool()), static_cast<int>(previews))
      .run();
  return ok(json::object{{"enabled", enabled->as_bool()}, {"previews_enabled", previews}});
}

// Every account has a workers.dev subdomain derived from its name
// (docs/sandbox.md), so `workers_dev = true` deploys work offline.
Response get_account_subdomain(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(workers_read, Resource::account(account))) return std::move(*denied);
  auto s = ctx.state.db.query("SELECT name FROM accounts WHERE id=?1", account);
  std::string sub;
  if (s.step())
    for (char c : util::lower(s.text(0))) {
      if (std::isalnum(static_cast<unsigned char>(c))) sub += c;
      else if (!sub.empty() && sub.back() != '-') sub += '-';
    }
  while (!sub.empty() && sub.back() == '-') sub.pop_back();
  if (sub.empty()) sub = account.substr(0, 12);
  return ok(json::object{{"subdomain", sub}});
}

Response get_schedules(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  const auto* schedules = script->settings.if_contains("schedules");
  return ok(json::object{{"schedules", schedules ? *schedules : json::value(json::array{})}});
}

Response delete_script_subdomain(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  ctx.state.db
      .query("UPDATE workers_scripts SET subdomain_enabled=0, previews_enabled=0 WHERE account_id=?1 AND name=?2",
             ctx.param("account_id"), script->name)
      .run();
  return ok(json::object{{"enabled", false}, {"previews_enabled", false}});
}

Response put_schedules(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  if (!body->is_array()) return upload_error("Schedules must be an array of {\"cron\": \"...\"}");
  json::array schedules;
  for (const auto& v : body->as_array()) {
    const auto* cron = v.is_object() ? v.as_object().if_contains("cron") : nullptr;
    if (!cron || !cron->is_string()) return upload_error("Every schedule needs a cron string");
    schedules.push_back(json::object{{"cron", *cron}, {"created_on", now_rfc3339(true)}, {"modified_on", now_rfc3339(true)}});
  }
  json::object settings = script->settings;
  settings["schedules"] = schedules;
  ctx.state.db.query("UPDATE workers_scripts SET settings=?3 WHERE account_id=?1 AND name=?2", ctx.param("account_id"),
                     script->name, json::serialize(settings))
      .run();
  return ok(json::object{{"schedules", std::move(schedules)}});
}

json::array workers_routes_of_script(State& state, std::string_view account, std::string_view script) {
  auto s = state.db.query(
      "SELECT r.id, r.pattern, r.script, z.id, z.name FROM workers_routes r JOIN zones z ON z.id=r.zone_id "
      "WHERE z.account_id=?1 AND r.script=?2 ORDER BY z.name, r.pattern",
      account, script);
  json::array out;
  while (s.step()) {
    auto r = workers_route_json(s.text(0), s.text(1), s.optional_text(2));
    r["zone_id"] = s.text(3);
    r["zone_name"] = s.text(4);
    out.push_back(std::move(r));
  }
  return out;
}

Response get_script_workers_routes(RequestContext& ctx) {
  auto script = script_for(ctx, workers_read);
  if (!script) return std::move(script.error());
  return ok(workers_routes_of_script(ctx.state, ctx.param("account_id"), script->name));
}

// Replaces the script's Workers routes. Each pattern's zone comes from zone_id,
// zone_name, or the longest account zone containing the pattern's host; the
// token needs Workers Routes Write on it (10000 makes wrangler fall back to
// the zone API).
Response put_script_workers_routes(RequestContext& ctx) {
  auto script = script_for(ctx, workers_write);
  if (!script) return std::move(script.error());
  const auto& account = ctx.param("account_id");
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  if (!body->is_array()) return bad_workers_route_pattern("the body must be an array of {pattern, zone_id?, zone_name?}");
  struct Wanted {
    std::string pattern, zone_id, zone_name;
  };
  std::vector<Wanted> wanted;
  std::vector<std::pair<std::string, std::string>> zones;  // id, name of the account's zones
  auto zs = ctx.state.db.query("SELECT id, name FROM zones WHERE account_id=?1", account);
  while (zs.step()) zones.emplace_back(zs.text(0), zs.text(1));
  for (const auto& v : body->as_array()) {
    const auto* o = v.if_object();
    const auto* pattern = o ? o->if_contains("pattern") : nullptr;
    if (!pattern || !pattern->is_string()) return bad_workers_route_pattern("every route needs a pattern string");
    Wanted w{std::string(pattern->as_string()), {}, {}};
    std::string zone_id = o->contains("zone_id") && o->at("zone_id").is_string() ? std::string(o->at("zone_id").as_string()) : "";
    std::string zone_name = o->contains("zone_name") && o->at("zone_name").is_string() ? std::string(o->at("zone_name").as_string()) : "";
    for (const auto& [id, name] : zones) {
      bool hit = !zone_id.empty() ? id == zone_id
                 : !zone_name.empty() ? name == zone_name
                                      : !workers_route_pattern_problem(w.pattern, name) && name.size() > w.zone_name.size();
      if (hit) w.zone_id = id, w.zone_name = name;
    }
    if (w.zone_id.empty()) return bad_workers_route_pattern("no zone of this account matches route '" + w.pattern + "'");
    if (auto problem = workers_route_pattern_problem(w.pattern, w.zone_name)) return bad_workers_route_pattern(*problem);
    wanted.push_back(std::move(w));
  }
  for (const auto& w : wanted)
    if (auto denied = ctx.require(workers_routes_write, Resource::zone(w.zone_id))) return std::move(*denied);
  for (const auto& w : wanted) {
    auto s = ctx.state.db.query("SELECT script FROM workers_routes WHERE zone_id=?1 AND pattern=?2", w.zone_id, w.pattern);
    if (s.step() && s.optional_text(0).value_or("") != script->name) return duplicate_workers_route();
  }
  Transaction tx(ctx.state.db);
  ctx.state.db
      .query("DELETE FROM workers_routes WHERE script=?2 AND zone_id IN (SELECT id FROM zones WHERE account_id=?1)",
             account, script->name)
      .run();
  for (const auto& w : wanted)
    ctx.state.db.query("INSERT OR IGNORE INTO workers_routes(id, zone_id, pattern, script) VALUES(?1,?2,?3,?4)", new_id(),
                       w.zone_id, w.pattern, script->name)
        .run();
  tx.commit();
  return ok(workers_routes_of_script(ctx.state, account, script->name));
}

}  // namespace

json::object version_json(State& state, const VersionRow& v, const ScriptRow& script) {
  std::string author_id;
  if (auto u = state.db.query("SELECT id FROM users WHERE email=?1", v.author_email); u.step()) author_id = u.text(0);
  const auto field = [&](std::string_view key, json::value fallback) {
    return v.metadata.contains(key) ? v.metadata.at(key) : fallback;
  };
  json::object runtime{{"compatibility_date", field("compatibility_date", "")},
                       {"compatibility_flags", field("compatibility_flags", json::array{})},
                       {"usage_model", "standard"},
                       {"limits", json::object{{"cpu_ms", 30000}}}};
  return json::object{
      {"id", v.id},
      {"number", v.number},
      {"metadata", json::object{{"created_on", v.created_on},
                                {"modified_on", v.created_on},
                                {"source", v.source},
                                {"author_id", author_id},
                                {"author_email", v.author_email},
                                {"hasPreview", false}}},
      {"annotations", field("annotations", json::object{})},
      {"resources", json::object{{"script", json::object{{"etag", v.etag},
                                                         {"handlers", v.handlers},
                                                         {"last_deployed_from", script.last_deployed_from}}},
                                 {"bindings", public_bindings(v.metadata)},
                                 {"script_runtime", std::move(runtime)}}},
      {"startup_time_ms", 0}};
}

void add_workers_deploy_endpoints(Router& r) {
  const std::string s = "/accounts/{account_id:id}/workers/scripts/{script_name}";
  RouteOptions upload;
  upload.body_limit = 64ull << 20;
  r.add("GET", "/accounts/{account_id:id}/workers/services/{script_name}", get_service);
  r.add("GET", "/accounts/{account_id:id}/workers/subdomain", get_account_subdomain);
  r.add("DELETE", "/accounts/{account_id:id}/workers/services/{script_name}", delete_service);
  r.add("GET", "/accounts/{account_id:id}/storage/kv/namespaces", list_kv_namespaces);
  r.add("GET", "/accounts/{account_id:id}/workers/tails/by-consumer/{script_name}", get_tail_producers);
  r.add("GET", s + "/references", get_references);
  r.add("GET", s + "/deployments", list_deployments);
  r.add("POST", s + "/deployments", create_deployment);
  r.add("GET", s + "/deployments/{deployment_id}", get_deployment);
  r.add("DELETE", s + "/deployments/{deployment_id}", delete_deployment);
  r.add("POST", s + "/versions", upload_version, upload);
  r.add("GET", s + "/versions", list_versions);
  r.add("GET", s + "/versions/{version_id}", get_version);
  r.add("GET", s + "/script-settings", get_settings);
  r.add("PATCH", s + "/script-settings", patch_settings);
  r.add("GET", s + "/subdomain", get_script_subdomain);
  r.add("POST", s + "/subdomain", post_script_subdomain);
  r.add("DELETE", s + "/subdomain", delete_script_subdomain);
  r.add("GET", s + "/schedules", get_schedules);
  r.add("PUT", s + "/schedules", put_schedules);
  r.add("GET", s + "/routes", get_script_workers_routes);
  r.add("PUT", s + "/routes", put_script_workers_routes);
}

}  // namespace pw::sandbox
