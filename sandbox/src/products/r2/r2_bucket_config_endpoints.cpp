// R2 bucket configuration over the REST API (docs/cloudflare-api.md 5.2a):
// CORS rules, object lifecycle rules and bucket lock rules, each stored as
// the JSON the client sent (after validation) and returned as stored.
#include "r2_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

// The bucket addressed by the request, after permission and existence checks.
struct BucketRef {
  std::string account, jurisdiction, name;
};

Outcome<BucketRef> bucket_for(RequestContext& ctx, const GroupNames& groups) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(groups, Resource::account(account))) return std::move(*denied);
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  const auto& name = ctx.param("bucket");
  if (!r2_bucket_exists(ctx.state, account, *jurisdiction, name)) return r2_no_such_bucket();
  return BucketRef{account, *jurisdiction, name};
}

std::optional<json::value> stored(State& state, const BucketRef& b, std::string_view kind) {
  auto s = state.db.query("SELECT config FROM r2_bucket_configs WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND kind=?4",
                          b.account, b.jurisdiction, b.name, kind);
  if (!s.step()) return std::nullopt;
  return json::parse(s.text(0));
}

void store(State& state, const BucketRef& b, std::string_view kind, const json::value& config) {
  state.db
      .query("INSERT OR REPLACE INTO r2_bucket_configs(account_id, jurisdiction, bucket, kind, config) VALUES(?1,?2,?3,?4,?5)",
             b.account, b.jurisdiction, b.name, kind, json::serialize(config))
      .run();
}

// The body's "rules" array, each rule checked by `check` (a message, or nullopt when valid).
template <typename Check>
Outcome<json::array> read_rules(RequestContext& ctx, std::string_view what, Check check) {
  auto body = ctx.json_body();
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  const auto* rules = o ? o->if_contains("rules") : nullptr;
  if (!rules || !rules->is_array()) return r2_invalid_argument(std::string(what) + " must be {\"rules\": [...]}");
  for (std::size_t i = 0; i < rules->as_array().size(); ++i) {
    const auto* rule = rules->as_array()[i].if_object();
    if (!rule) return r2_invalid_argument(std::string(what) + " rules[" + std::to_string(i) + "] must be an object");
    if (auto problem = check(*rule))
      return r2_invalid_argument(std::string(what) + " rules[" + std::to_string(i) + "]: " + *problem);
  }
  return rules->as_array();
}

bool string_array(const json::value* v) {
  return v && v->is_array() &&
         std::all_of(v->as_array().begin(), v->as_array().end(), [](const json::value& e) { return e.is_string(); });
}

std::optional<std::string> cors_rule_problem(const json::object& rule) {
  static constexpr std::array<std::string_view, 5> methods{"GET", "PUT", "POST", "DELETE", "HEAD"};
  const auto* allowed = rule.if_contains("allowed");
  if (!allowed || !allowed->is_object()) return "allowed {origins, methods, headers?} is required";
  const auto& a = allowed->as_object();
  if (!string_array(a.if_contains("origins")) || a.at("origins").as_array().empty())
    return "allowed.origins must be a non-empty array of strings";
  if (!string_array(a.if_contains("methods")) || a.at("methods").as_array().empty())
    return "allowed.methods must be a non-empty array of GET, PUT, POST, DELETE, HEAD";
  for (const auto& m : a.at("methods").as_array())
    if (std::find(methods.begin(), methods.end(), std::string_view(m.as_string())) == methods.end())
      return "allowed.methods may hold GET, PUT, POST, DELETE and HEAD, not " + std::string(m.as_string());
  if (a.contains("headers") && !string_array(a.if_contains("headers"))) return "allowed.headers must be an array of strings";
  if (rule.contains("exposeHeaders") && !string_array(rule.if_contains("exposeHeaders")))
    return "exposeHeaders must be an array of strings";
  if (const auto* age = rule.if_contains("maxAgeSeconds"); age && (!age->is_int64() || age->as_int64() < 0))
    return "maxAgeSeconds must be a non-negative integer";
  if (const auto* id = rule.if_contains("id"); id && !id->is_string()) return "id must be a string";
  return std::nullopt;
}

// Rules that name an id and whether they apply, with conditions.prefix.
std::optional<std::string> prefixed_rule_problem(const json::object& rule) {
  const auto* id = rule.if_contains("id");
  if (!id || !id->is_string() || id->as_string().empty()) return "id must be a non-empty string";
  if (const auto* e = rule.if_contains("enabled"); !e || !e->is_bool()) return "enabled must be true or false";
  const auto* c = rule.if_contains("conditions");
  if (c && (!c->is_object() || !c->as_object().contains("prefix") || !c->as_object().at("prefix").is_string()))
    return "conditions must be {\"prefix\": \"...\"}";
  return std::nullopt;
}

Response get_cors(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_read);
  if (!b) return std::move(b.error());
  // No configuration reads as no rules: wrangler's `r2 bucket cors list` expects that.
  auto rules = stored(ctx.state, *b, "cors");
  return ok(json::object{{"rules", rules ? std::move(*rules) : json::value(json::array{})}});
}

Response put_cors(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_write);
  if (!b) return std::move(b.error());
  auto rules = read_rules(ctx, "CORS policy", cors_rule_problem);
  if (!rules) return std::move(rules.error());
  store(ctx.state, *b, "cors", *rules);
  return ok(json::object{});
}

Response delete_cors(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_write);
  if (!b) return std::move(b.error());
  ctx.state.db
      .query("DELETE FROM r2_bucket_configs WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND kind='cors'",
             b->account, b->jurisdiction, b->name)
      .run();
  return ok(json::object{});
}

// A new bucket has one rule, as on Cloudflare: abort multipart uploads after 7 days.
json::array default_lifecycle() {
  return json::array{json::object{{"id", "Default Multipart Abort Rule"},
                                  {"enabled", true},
                                  {"conditions", json::object{{"prefix", ""}}},
                                  {"abortMultipartUploadsTransition",
                                   json::object{{"condition", json::object{{"type", "Age"}, {"maxAge", 604800}}}}}}};
}

Response get_lifecycle(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_read);
  if (!b) return std::move(b.error());
  auto rules = stored(ctx.state, *b, "lifecycle");
  return ok(json::object{{"rules", rules ? std::move(*rules) : json::value(default_lifecycle())}});
}

Response put_lifecycle(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_write);
  if (!b) return std::move(b.error());
  auto rules = read_rules(ctx, "Lifecycle policy", prefixed_rule_problem);
  if (!rules) return std::move(rules.error());
  store(ctx.state, *b, "lifecycle", *rules);
  return ok(json::object{});
}

Response get_lock(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_read);
  if (!b) return std::move(b.error());
  auto rules = stored(ctx.state, *b, "lock");
  return ok(json::object{{"rules", rules ? std::move(*rules) : json::value(json::array{})}});
}

Response put_lock(RequestContext& ctx) {
  auto b = bucket_for(ctx, r2_account_write);
  if (!b) return std::move(b.error());
  auto rules = read_rules(ctx, "Bucket lock policy", prefixed_rule_problem);
  if (!rules) return std::move(rules.error());
  store(ctx.state, *b, "lock", *rules);
  return ok(json::object{});
}

}  // namespace

void install_r2_bucket_config_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS r2_bucket_configs(
  account_id TEXT NOT NULL, jurisdiction TEXT NOT NULL, bucket TEXT NOT NULL,
  kind TEXT NOT NULL,  -- cors, lifecycle, lock
  config TEXT NOT NULL,  -- the rules array as JSON
  PRIMARY KEY(account_id, jurisdiction, bucket, kind));
)sql");
}

void remove_r2_bucket_configs(State& state, std::string_view account, std::string_view jurisdiction,
                              std::string_view bucket) {
  state.db.query("DELETE FROM r2_bucket_configs WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3", account,
                 jurisdiction, bucket)
      .run();
}

void add_r2_bucket_config_endpoints(Router& r) {
  const std::string b = "/accounts/{account_id:id}/r2/buckets/{bucket}";
  r.add("GET", b + "/cors", get_cors);
  r.add("PUT", b + "/cors", put_cors);
  r.add("DELETE", b + "/cors", delete_cors);
  r.add("GET", b + "/lifecycle", get_lifecycle);
  r.add("PUT", b + "/lifecycle", put_lifecycle);
  r.add("GET", b + "/lock", get_lock);
  r.add("PUT", b + "/lock", put_lock);
}

}  // namespace pw::sandbox
