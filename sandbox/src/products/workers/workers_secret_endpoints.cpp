// Worker secrets and script settings (docs/cloudflare-api.md 5.4a). A secret
// is a secret_text binding of the deployed version, as on Cloudflare: putting
// or deleting one stores a new version with the changed bindings and deploys
// it, so whatever runs the deployed version gets it. Values are never returned.
#include "products/workers_multipart.hpp"
#include "workers_store.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

struct Deployed {
  ScriptRow script;
  VersionRow version;
};

Outcome<Deployed> deployed_for(RequestContext& ctx, const GroupNames& groups) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(groups, Resource::account(account))) return std::move(*denied);
  auto script = find_script(ctx.state, account, ctx.param("script_name"));
  if (!script) return script_not_found();
  auto version = find_version(ctx.state, account, script->name, script->current_version);
  if (!version) return script_not_found();
  return Deployed{std::move(*script), std::move(*version)};
}

json::array bindings_of(const json::object& metadata) {
  if (const auto* b = metadata.if_contains("bindings"); b && b->is_array()) return b->as_array();
  return {};
}

std::string_view text_of(const json::value& binding, std::string_view key) {
  const auto* o = binding.if_object();
  const auto* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

bool is_secret(const json::value& binding, std::string_view name) {
  return text_of(binding, "type") == "secret_text" && text_of(binding, "name") == name;
}

json::object secret_json(std::string_view name) { return json::object{{"name", name}, {"type", "secret_text"}}; }

Response secret_not_found() { return fail(404, 10056, "workers.api.error.secret_not_found"); }

Response list_secrets(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_read);
  if (!d) return std::move(d.error());
  json::array out;
  for (const auto& b : bindings_of(d->version.metadata))
    if (text_of(b, "type") == "secret_text") out.push_back(secret_json(text_of(b, "name")));
  return ok(std::move(out));
}

Response get_secret(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_read);
  if (!d) return std::move(d.error());
  const auto& name = ctx.param("secret_name");
  for (const auto& b : bindings_of(d->version.metadata))
    if (is_secret(b, name))
      return ok(secret_json(name));
  return secret_not_found();
}

// Body {name, text, type: "secret_text"}; replaces a secret of that name.
Response put_secret(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_write);
  if (!d) return std::move(d.error());
  auto body = ctx.json_body(upload_error("Malformed JSON in request body"));
  if (!body) return std::move(body.error());
  const auto* o = body->if_object();
  const auto* name = o ? o->if_contains("name") : nullptr;
  const auto* text = o ? o->if_contains("text") : nullptr;
  const auto* type = o ? o->if_contains("type") : nullptr;
  if (!name || !name->is_string() || name->as_string().empty())
    return upload_error("A secret needs a non-empty string name");
  if (!text || !text->is_string()) return upload_error("Secret " + std::string(name->as_string()) + " needs a string text");
  if (type && !type->is_null() && (!type->is_string() || type->as_string() != "secret_text"))
    return upload_error("Secret type must be secret_text");
  const std::string secret(name->as_string());
  json::array bindings;
  for (const auto& b : bindings_of(d->version.metadata)) {
    if (text_of(b, "name") != secret) {
      bindings.push_back(b);
      continue;
    }
    if (text_of(b, "type") != "secret_text")
      return fail(400, 10053, "Binding name '" + secret + "' already in use by a " + std::string(text_of(b, "type")) +
                                  " binding");
  }
  bindings.push_back(json::object{{"type", "secret_text"}, {"name", secret}, {"text", text->as_string()}});
  json::object metadata = d->version.metadata;
  metadata["bindings"] = std::move(bindings);
  json::object annotations{{"workers/triggered_by", "secret"}};
  metadata["annotations"] = annotations;
  redeploy_with_metadata(ctx, ctx.param("account_id"), d->script.name, d->version, std::move(metadata), annotations);
  return ok(secret_json(secret));
}

Response delete_secret(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_write);
  if (!d) return std::move(d.error());
  const auto& secret = ctx.param("secret_name");
  json::array bindings;
  bool found = false;
  for (const auto& b : bindings_of(d->version.metadata)) {
    if (is_secret(b, secret)) found = true;
    else bindings.push_back(b);
  }
  if (!found) return secret_not_found();
  json::object metadata = d->version.metadata;
  metadata["bindings"] = std::move(bindings);
  json::object annotations{{"workers/triggered_by", "secret"}};
  metadata["annotations"] = annotations;
  redeploy_with_metadata(ctx, ctx.param("account_id"), d->script.name, d->version, std::move(metadata), annotations);
  return ok(nullptr);
}

json::value field_or(const json::object& o, std::string_view key, json::value fallback) {
  return o.contains(key) ? o.at(key) : fallback;
}

// The deployed version's settings; the keys PATCH does not version (logpush,
// observability, tags, tail_consumers) live in the script's settings.
json::object settings_json(const Deployed& d) {
  const auto& m = d.version.metadata;
  const auto& s = d.script.settings;
  return json::object{{"bindings", public_bindings(m)},
                      {"compatibility_date", field_or(m, "compatibility_date", "")},
                      {"compatibility_flags", field_or(m, "compatibility_flags", json::array{})},
                      {"limits", field_or(m, "limits", json::object{})},
                      {"logpush", field_or(s, "logpush", field_or(m, "logpush", false))},
                      {"observability", field_or(s, "observability", field_or(m, "observability", nullptr))},
                      {"placement", field_or(m, "placement", json::object{})},
                      {"tags", field_or(s, "tags", json::array{})},
                      {"tail_consumers", field_or(s, "tail_consumers", json::array{})},
                      {"usage_model", "standard"}};
}

Response get_settings(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_read);
  if (!d) return std::move(d.error());
  return ok(settings_json(*d));
}

// The body is multipart with a `settings` part holding JSON (how the API
// documents it), or that JSON alone. Bindings, compatibility and limits make
// a new deployed version; a binding {type: "inherit", name} or a secret_text
// without text keeps the deployed binding of that name.
Response patch_settings(RequestContext& ctx) {
  auto d = deployed_for(ctx, workers_write);
  if (!d) return std::move(d.error());
  std::string text = ctx.request.body;
  if (auto boundary = multipart_boundary(ctx.request.header("content-type").value_or(""))) {
    auto parts = parse_multipart(ctx.request.body, *boundary);
    auto part = parts ? std::find_if(parts->begin(), parts->end(), [](const MultipartPart& p) { return p.name == "settings"; })
                      : std::vector<MultipartPart>::iterator{};
    if (!parts || part == parts->end()) return upload_error(
          "Settings uploads need a part named settings holding JSON; bracketed form fields such as "
          "settings[logpush] (how the TS SDK 7 encodes them) are not read");
    text = std::string(part->body);
  }
  auto body = parse_json(text, upload_error("settings must be a JSON object"));
  if (!body) return std::move(body.error());
  if (!body->is_object()) return upload_error("settings must be a JSON object");
  const auto& patch = body->as_object();
  const auto& account = ctx.param("account_id");

  json::object metadata = d->version.metadata;
  bool new_version = false;
  for (std::string_view key : {"compatibility_date", "compatibility_flags", "limits", "placement"})
    if (const auto* v = patch.if_contains(key)) metadata[key] = *v, new_version = true;
  if (const auto* b = patch.if_contains("bindings")) {
    if (!b->is_array()) return upload_error("settings.bindings must be an array");
    const auto current = bindings_of(d->version.metadata);
    json::array bindings;
    for (const auto& v : b->as_array()) {
      const auto name = text_of(v, "name");
      const auto type = text_of(v, "type");
      const bool inherit = type == "inherit" || (type == "secret_text" && !v.as_object().contains("text"));
      if (!inherit) {
        bindings.push_back(v);
        continue;
      }
      auto kept = std::find_if(current.begin(), current.end(), [&](const json::value& c) {
        return text_of(c, "name") == name && (type == "inherit" || text_of(c, "type") == type);
      });
      if (kept == current.end())
        return upload_error("binding " + std::string(name) +
                            " inherits from the deployed version, which has no such binding");
      bindings.push_back(*kept);
    }
    metadata["bindings"] = std::move(bindings);
    new_version = true;
  }
  if (new_version)
    if (auto problem = check_script_metadata(ctx, account, metadata)) return upload_error(*problem);
  json::object settings = d->script.settings;
  for (std::string_view key : {"logpush", "observability", "tags", "tail_consumers"})
    if (const auto* v = patch.if_contains(key)) settings[key] = *v;
  ctx.state.db.query("UPDATE workers_scripts SET settings=?3 WHERE account_id=?1 AND name=?2", account, d->script.name,
                     json::serialize(settings))
      .run();
  if (new_version) {
    metadata.erase("annotations");
    redeploy_with_metadata(ctx, account, d->script.name, d->version, std::move(metadata), json::object{});
  }
  auto after = deployed_for(ctx, workers_read);
  return ok(settings_json(*after));
}

}  // namespace

void add_workers_secret_endpoints(Router& r) {
  const std::string s = "/accounts/{account_id:id}/workers/scripts/{script_name}";
  r.add("GET", s + "/secrets", list_secrets);
  r.add("PUT", s + "/secrets", put_secret);
  r.add("GET", s + "/secrets/{secret_name}", get_secret);
  r.add("DELETE", s + "/secrets/{secret_name}", delete_secret);
  r.add("GET", s + "/settings", get_settings);
  r.add("PATCH", s + "/settings", patch_settings);
}

}  // namespace pw::sandbox
