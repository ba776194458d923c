// Workers scripts (docs/cloudflare-api.md 5.4): multipart upload, list, content
// download, delete; plus the shared storage of workers_store.hpp.
#include "products/r2.hpp"
#include "products/workers.hpp"
#include "products/workers_multipart.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"
#include "workers_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

bool valid_script_name(std::string_view name) {
  static const std::regex rule("^[a-z0-9_][a-z0-9_-]*$");
  return !name.empty() && name.size() <= 63 && std::regex_match(name.begin(), name.end(), rule);
}

bool valid_date(std::string_view d) {
  static const std::regex rule("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$");
  return std::regex_match(d.begin(), d.end(), rule);
}

std::string read_blob(State& state, std::string_view blob_id) {
  std::ifstream in(state.objects.path_of(blob_id), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The module parts of an upload: every part except metadata, named by
// filename, else by part name.
std::vector<std::pair<std::string, const MultipartPart*>> modules_of(const std::vector<MultipartPart>& parts) {
  std::vector<std::pair<std::string, const MultipartPart*>> out;
  for (const auto& p : parts)
    if (p.name != "metadata") out.emplace_back(p.filename && !p.filename->empty() ? *p.filename : p.name, &p);
  return out;
}

// What a version keeps on disk: its modules only, as multipart with the
// upload's boundary. Metadata (with secret_text values) lives in the version
// row, so deleting a secret does not leave its value in later versions' files.
std::string modules_blob(const std::vector<MultipartPart>& parts, std::string_view boundary) {
  std::string out;
  for (const auto& [module_name, part] : modules_of(parts)) {
    out += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + part->name + "\"";
    if (part->filename) out += "; filename=\"" + *part->filename + "\"";
    out += "\r\n";
    if (!part->content_type.empty()) out += "Content-Type: " + part->content_type + "\r\n";
    out += "\r\n" + std::string(part->body) + "\r\n";
  }
  out += "--" + std::string(boundary) + "--\r\n";
  return out;
}

}  // namespace

std::optional<std::string> check_bindings(RequestContext& ctx, const std::string& account, const json::value* b) {
  if (!b || b->is_null()) return std::nullopt;
  if (!b->is_array()) return "metadata.bindings must be an array";
  std::set<std::string> names;
  for (const auto& v : b->as_array()) {
    if (!v.is_object()) return "every binding must be an object";
    const auto& o = v.as_object();
    const auto* type = o.if_contains("type");
    const auto* name = o.if_contains("name");
    if (!type || !type->is_string() || !name || !name->is_string() || name->as_string().empty())
      return "every binding needs a string type and a non-empty name";
    std::string n(name->as_string());
    if (!names.insert(n).second) return "binding name " + n + " is used twice";
    auto needs_string = [&](std::string_view field) -> std::optional<std::string> {
      const auto* f = o.if_contains(field);
      if (!f || !f->is_string()) return "binding " + n + " (" + std::string(type->as_string()) + ") needs a string " + std::string(field);
      return std::nullopt;
    };
    const std::string t(type->as_string());
    if (t == "r2_bucket") {
      if (auto e = needs_string("bucket_name")) return e;
      std::string jurisdiction = "default";
      if (const auto* j = o.if_contains("jurisdiction"); j && j->is_string() && !j->as_string().empty())
        jurisdiction = std::string(j->as_string());
      const std::string bucket(o.at("bucket_name").as_string());
      if (!r2_bucket_exists(ctx.state, account, jurisdiction, bucket))
        return "binding " + n + " refers to R2 bucket '" + bucket + "' (jurisdiction " + jurisdiction +
               "), which does not exist in this account; create the bucket first";
    } else if (t == "plain_text" || t == "secret_text") {
      if (auto e = needs_string("text")) return e;
    } else if (t == "json") {
      if (!o.contains("json")) return "binding " + n + " (json) needs a json value";
    } else if (t == "kv_namespace") {
      if (auto e = needs_string("namespace_id")) return e;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_script_metadata(RequestContext& ctx, const std::string& account, const json::object& m) {
  if (const auto* d = m.if_contains("compatibility_date"); d && !d->is_null())
    if (!d->is_string() || !valid_date(d->as_string())) return "compatibility_date must be a date written YYYY-MM-DD";
  if (const auto* f = m.if_contains("compatibility_flags"); f && !f->is_null())
    if (!f->is_array() || !std::all_of(f->as_array().begin(), f->as_array().end(),
                                       [](const json::value& x) { return x.is_string(); }))
      return "compatibility_flags must be an array of strings";
  return check_bindings(ctx, account, m.if_contains("bindings"));
}

std::optional<std::string> keep_deployed_bindings(State& state, const std::string& account, const std::string& script,
                                                  json::object& m) {
  std::set<std::string> keep_types;
  if (const auto* k = m.if_contains("keep_bindings"); k && !k->is_null()) {
    if (!k->is_array()) return "keep_bindings must be an array of binding types";
    for (const auto& t : k->as_array()) {
      if (!t.is_string()) return "keep_bindings must be an array of binding types";
      keep_types.insert(std::string(t.as_string()));
    }
  }
  m.erase("keep_bindings");
  json::array current;
  if (auto s = find_script(state, account, script))
    if (auto v = find_version(state, account, script, s->current_version))
      if (const auto* b = v->metadata.if_contains("bindings"); b && b->is_array()) current = b->as_array();
  auto name_of = [](const json::value& b) -> std::string {
    const auto* n = b.is_object() ? b.as_object().if_contains("name") : nullptr;
    return n && n->is_string() ? std::string(n->as_string()) : std::string();
  };
  auto type_of = [](const json::value& b) -> std::string {
    const auto* t = b.is_object() ? b.as_object().if_contains("type") : nullptr;
    return t && t->is_string() ? std::string(t->as_string()) : std::string();
  };
  json::array out;
  std::set<std::string> named;
  if (const auto* b = m.if_contains("bindings"); b && b->is_array())
    for (const auto& binding : b->as_array()) {
      named.insert(name_of(binding));
      if (type_of(binding) != "inherit") {
        out.push_back(binding);
        continue;
      }
      auto kept = std::find_if(current.begin(), current.end(), [&](const json::value& c) { return name_of(c) == name_of(binding); });
      if (kept == current.end())
        return "binding " + name_of(binding) + " inherits from the deployed version, which has no such binding";
      out.push_back(*kept);
    }
  else if (keep_types.empty())
    return std::nullopt;
  for (const auto& c : current)
    if (keep_types.count(type_of(c)) && !named.count(name_of(c))) out.push_back(c);
  m["bindings"] = std::move(out);
  return std::nullopt;
}

namespace {

json::array handlers_of(std::string_view main_source) {
  json::array h{"fetch"};
  if (main_source.find("scheduled") != std::string_view::npos) h.push_back("scheduled");
  if (main_source.find("queue") != std::string_view::npos) h.push_back("queue");
  return h;
}

VersionRow version_from(Statement& s) {
  // columns: id, number, created_on, source, author_email, blob_id, content_type, etag, metadata, handlers, has_modules
  VersionRow v;
  v.id = s.text(0);
  v.number = s.integer(1);
  v.created_on = s.text(2);
  v.source = s.text(3);
  v.author_email = s.text(4);
  v.blob_id = s.text(5);
  v.content_type = s.text(6);
  v.etag = s.text(7);
  v.metadata = json::parse(s.text(8)).as_object();
  v.handlers = json::parse(s.text(9)).as_array();
  v.has_modules = s.integer(10) != 0;
  return v;
}

std::string string_field(const json::object& o, std::string_view key, std::string fallback = {}) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return fallback;
}

json::object script_json(const ScriptRow& s, const VersionRow& v, std::optional<std::string> deployment_id = {}) {
  json::object o{{"id", s.name},
                 {"tag", s.tag},
                 {"etag", v.etag},
                 {"handlers", v.handlers},
                 {"created_on", s.created_on},
                 {"modified_on", s.modified_on},
                 {"usage_model", "standard"},
                 {"compatibility_date", string_field(v.metadata, "compatibility_date")},
                 {"compatibility_flags", v.metadata.contains("compatibility_flags") ? v.metadata.at("compatibility_flags")
                                                                                    : json::value(json::array{})},
                 {"has_modules", v.has_modules},
                 {"has_assets", false},
                 {"last_deployed_from", s.last_deployed_from},
                 {"logpush", v.metadata.contains("logpush") ? v.metadata.at("logpush") : json::value(false)},
                 {"placement_mode", nullptr},
                 {"tail_consumers", json::array{}},
                 {"startup_time_ms", 0}};
  if (deployment_id) o["deployment_id"] = *deployment_id;
  return o;
}

Response put_script(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(workers_write, Resource::account(account))) return std::move(*denied);
  const auto& name = ctx.param("script_name");
  if (!valid_script_name(name))
    return upload_error("Invalid script name '" + name +
                        "': use at most 63 lower-case letters, digits, '-' and '_', not starting with '-'");
  auto version = store_upload(ctx, account, name);
  if (!version) return std::move(version.error());
  deploy_version(ctx, account, name, version->id, json::object{});
  auto script = find_script(ctx.state, account, name);
  // The field is named deployment_id but holds the version id (wrangler
  // prints it as "Current Version ID").
  return ok(script_json(*script, *version, version->id));
}

Response list_scripts(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(workers_read, Resource::account(account))) return std::move(*denied);
  auto s = ctx.state.db.query("SELECT name FROM workers_scripts WHERE account_id=?1 ORDER BY name", account);
  json::array all;
  while (s.step()) {
    auto script = find_script(ctx.state, account, s.text(0));
    auto version = script ? find_version(ctx.state, account, script->name, script->current_version) : std::nullopt;
    if (version) all.push_back(script_json(*script, *version));
  }
  return ok(std::move(all));
}

// Raw content: the main module alone, or every module as multipart.
Response get_script(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require({"Workers Scripts Read", "Workers Scripts Write", "Workers Tail Read"},
                                Resource::account(account)))
    return std::move(*denied);
  auto script = find_script(ctx.state, account, ctx.param("script_name"));
  if (!script) return script_not_found();
  auto version = find_version(ctx.state, account, script->name, script->current_version);
  if (!version) return script_not_found();
  const std::string body = read_blob(ctx.state, version->blob_id);
  auto boundary = multipart_boundary(version->content_type);
  auto parts = boundary ? parse_multipart(body, *boundary) : std::nullopt;
  if (!parts) return internal_error();
  auto modules = modules_of(*parts);
  Response r;
  if (modules.size() == 1) {
    r.content_type = modules[0].second->content_type.empty() ? "application/javascript" : modules[0].second->content_type;
    r.body = std::string(modules[0].second->body);
    return r;
  }
  const std::string out_boundary = random_hex(32);
  for (const auto& [module_name, part] : modules) {
    r.body += "--" + out_boundary + "\r\nContent-Disposition: form-data; name=\"" + module_name + "\"; filename=\"" +
              module_name + "\"\r\n";
    if (!part->content_type.empty()) r.body += "Content-Type: " + part->content_type + "\r\n";
    r.body += "\r\n" + std::string(part->body) + "\r\n";
  }
  r.body += "--" + out_boundary + "--\r\n";
  r.content_type = "multipart/form-data; boundary=" + out_boundary;
  return r;
}

Response delete_script(RequestContext& ctx) {
  const auto& account = ctx.param("account_id");
  if (auto denied = ctx.require(workers_write, Resource::account(account))) return std::move(*denied);
  const auto& name = ctx.param("script_name");
  if (!find_script(ctx.state, account, name)) return script_not_found();
  remove_script(ctx.state, account, name);
  return ok(nullptr);
}

void add_endpoints(Router& r) {
  add_workers_script_endpoints(r);
  add_workers_deploy_endpoints(r);
  add_workers_secret_endpoints(r);
}

}  // namespace

void install_workers_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS workers_scripts(
  account_id TEXT NOT NULL, name TEXT NOT NULL, tag TEXT NOT NULL,
  created_on TEXT NOT NULL, modified_on TEXT NOT NULL, last_deployed_from TEXT NOT NULL,
  current_version TEXT NOT NULL, subdomain_enabled INTEGER NOT NULL DEFAULT 0,
  previews_enabled INTEGER NOT NULL DEFAULT 0, settings TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY(account_id, name));
CREATE TABLE IF NOT EXISTS workers_versions(
  account_id TEXT NOT NULL, script TEXT NOT NULL, id TEXT NOT NULL, number INTEGER NOT NULL,
  created_on TEXT NOT NULL, source TEXT NOT NULL, author_email TEXT NOT NULL,
  blob_id TEXT NOT NULL,  -- the modules (multipart, no metadata part), in the ObjectStore
  content_type TEXT NOT NULL, etag TEXT NOT NULL, metadata TEXT NOT NULL, handlers TEXT NOT NULL,
  has_modules INTEGER NOT NULL,
  PRIMARY KEY(account_id, script, id));
CREATE TABLE IF NOT EXISTS workers_deployments(
  account_id TEXT NOT NULL, script TEXT NOT NULL, id TEXT NOT NULL, created_on TEXT NOT NULL,
  source TEXT NOT NULL, author_email TEXT NOT NULL, versions TEXT NOT NULL, annotations TEXT NOT NULL,
  PRIMARY KEY(account_id, script, id));
)sql");
}

void add_workers_script_endpoints(Router& r) {
  RouteOptions upload;
  upload.body_limit = 64ull << 20;
  r.add("GET", "/accounts/{account_id:id}/workers/scripts", list_scripts);
  r.add("PUT", "/accounts/{account_id:id}/workers/scripts/{script_name}", put_script, upload);
  r.add("GET", "/accounts/{account_id:id}/workers/scripts/{script_name}", get_script);
  r.add("GET", "/accounts/{account_id:id}/workers/scripts/{script_name}/content/v2", get_script);
  r.add("DELETE", "/accounts/{account_id:id}/workers/scripts/{script_name}", delete_script);
}

Response script_not_found() { return fail(404, 10007, "workers.api.error.script_not_found"); }
Response service_not_found() { return fail(404, 10007, "This Worker does not exist on your account."); }
Response upload_error(std::string message) { return fail(400, 10021, std::move(message)); }

std::optional<ScriptRow> find_script(State& state, std::string_view account, std::string_view name) {
  auto s = state.db.query(
      "SELECT name, tag, created_on, modified_on, last_deployed_from, current_version, subdomain_enabled, "
      "previews_enabled, settings FROM workers_scripts WHERE account_id=?1 AND name=?2",
      account, name);
  if (!s.step()) return std::nullopt;
  ScriptRow r{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
              s.integer(6) != 0, s.integer(7) != 0, json::parse(s.text(8)).as_object()};
  return r;
}

std::optional<VersionRow> find_version(State& state, std::string_view account, std::string_view script,
                                       std::string_view version_id) {
  auto s = state.db.query(
      "SELECT id, number, created_on, source, author_email, blob_id, content_type, etag, metadata, handlers, "
      "has_modules FROM workers_versions WHERE account_id=?1 AND script=?2 AND id=?3",
      account, script, version_id);
  if (!s.step()) return std::nullopt;
  return version_from(s);
}

Outcome<VersionRow> store_upload(RequestContext& ctx, const std::string& account, const std::string& script) {
  const std::string content_type = ctx.request.header("content-type").value_or("");
  auto boundary = multipart_boundary(content_type);
  if (!boundary) return upload_error("Script uploads must be multipart/form-data with a boundary");
  auto parts = parse_multipart(ctx.request.body, *boundary);
  if (!parts) return upload_error("could not parse the multipart/form-data body");
  auto meta_part = std::find_if(parts->begin(), parts->end(), [](const MultipartPart& p) { return p.name == "metadata"; });
  if (meta_part == parts->end()) return upload_error("could not read content for part metadata");
  boost::system::error_code ec;
  json::value meta = json::parse(meta_part->body, ec);
  if (ec || !meta.is_object())
    return upload_error("could not read content for part metadata: it must be a JSON object");
  auto& m = meta.as_object();
  const auto* main_module = m.if_contains("main_module");
  const auto* body_part = m.if_contains("body_part");
  const bool has_main = main_module && !main_module->is_null();
  const bool has_body = body_part && !body_part->is_null();
  if (has_main == has_body)
    return upload_error("metadata must name exactly one of main_module (ES modules) or body_part (service worker)");
  const auto* entry = has_main ? main_module : body_part;
  if (!entry->is_string() || entry->as_string().empty())
    return upload_error(std::string(has_main ? "main_module" : "body_part") + " must be a non-empty string");
  const std::string entry_name(entry->as_string());
  auto modules = modules_of(*parts);
  const MultipartPart* main = nullptr;
  for (const auto& [n, p] : modules)
    if (p->filename && *p->filename == entry_name) main = p;
  if (!main)
    for (const auto& [n, p] : modules)
      if (p->name == entry_name) main = p;
  if (!main) return upload_error("No such module " + entry_name + ": the metadata names it but no part carries it");
  if (auto problem = keep_deployed_bindings(ctx.state, account, script, m)) return upload_error(*problem);
  if (auto problem = check_script_metadata(ctx, account, m)) return upload_error(*problem);

  const std::string now = now_rfc3339(true);
  VersionRow v;
  v.id = random_uuid();
  v.created_on = now;
  v.source = upload_source(ctx.request);
  v.author_email = author_email(ctx.state, ctx.who());
  v.content_type = content_type;
  v.etag = sha256_hex(ctx.request.body);
  v.handlers = handlers_of(main->body);
  v.has_modules = has_main;
  v.metadata = m;
  {
    auto n = ctx.state.db.query(
        "SELECT COALESCE(MAX(number),0)+1 FROM workers_versions WHERE account_id=?1 AND script=?2", account, script);
    v.number = n.step() ? n.integer(0) : 1;
  }
  v.blob_id = ctx.state.objects.write(modules_blob(*parts, *boundary));
  Transaction tx(ctx.state.db);
  ctx.state.db
      .query("INSERT INTO workers_versions(account_id,script,id,number,created_on,source,author_email,blob_id,"
             "content_type,etag,metadata,handlers,has_modules) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
             account, script, v.id, v.number, v.created_on, v.source, v.author_email, v.blob_id, v.content_type,
             v.etag, json::serialize(v.metadata), json::serialize(v.handlers), static_cast<int>(v.has_modules))
      .run();
  if (!find_script(ctx.state, account, script))
    ctx.state.db
        .query("INSERT INTO workers_scripts(account_id,name,tag,created_on,modified_on,last_deployed_from,"
               "current_version) VALUES(?1,?2,?3,?4,?4,?5,?6)",
               account, script, random_hex(32), now, v.source, v.id)
        .run();
  tx.commit();
  return v;
}

void remove_script(State& state, const std::string& account, const std::string& name) {
  std::vector<std::string> blobs;
  {
    auto s = state.db.query("SELECT blob_id FROM workers_versions WHERE account_id=?1 AND script=?2", account, name);
    while (s.step()) blobs.push_back(s.text(0));
  }
  Transaction tx(state.db);
  for (std::string_view table : {"workers_versions", "workers_deployments"})
    state.db.query("DELETE FROM " + std::string(table) + " WHERE account_id=?1 AND script=?2", account, name).run();
  state.db.query("DELETE FROM workers_scripts WHERE account_id=?1 AND name=?2", account, name).run();
  tx.commit();
  for (const auto& b : blobs) state.objects.remove(b);
}

VersionRow redeploy_with_metadata(RequestContext& ctx, const std::string& account, const std::string& script,
                                  const VersionRow& base, json::object metadata, const json::object& annotations) {
  VersionRow v = base;
  v.id = random_uuid();
  v.created_on = now_rfc3339(true);
  v.source = upload_source(ctx.request);
  v.author_email = author_email(ctx.state, ctx.who());
  v.metadata = std::move(metadata);
  {
    auto n = ctx.state.db.query(
        "SELECT COALESCE(MAX(number),0)+1 FROM workers_versions WHERE account_id=?1 AND script=?2", account, script);
    v.number = n.step() ? n.integer(0) : 1;
  }
  // Each version owns its modules file (deleting a script removes them all);
  // rebuilt from the modules so a file stored before metadata was left out
  // does not carry old secret values forward.
  const std::string base_blob = read_blob(ctx.state, base.blob_id);
  auto boundary = multipart_boundary(base.content_type);
  auto parts = boundary ? parse_multipart(base_blob, *boundary) : std::nullopt;
  v.blob_id = ctx.state.objects.write(parts ? modules_blob(*parts, *boundary) : base_blob);
  ctx.state.db
      .query("INSERT INTO workers_versions(account_id,script,id,number,created_on,source,author_email,blob_id,"
             "content_type,etag,metadata,handlers,has_modules) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
             account, script, v.id, v.number, v.created_on, v.source, v.author_email, v.blob_id, v.content_type,
             v.etag, json::serialize(v.metadata), json::serialize(v.handlers), static_cast<int>(v.has_modules))
      .run();
  deploy_version(ctx, account, script, v.id, annotations);
  return v;
}

std::string deploy_version(RequestContext& ctx, const std::string& account, const std::string& script,
                           const std::string& version_id, const json::object& annotations) {
  const std::string id = random_uuid();
  const std::string now = now_rfc3339(true);
  json::array versions{json::object{{"version_id", version_id}, {"percentage", 100}}};
  Transaction tx(ctx.state.db);
  ctx.state.db
      .query("INSERT INTO workers_deployments(account_id,script,id,created_on,source,author_email,versions,annotations) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
             account, script, id, now, upload_source(ctx.request), author_email(ctx.state, ctx.who()),
             json::serialize(versions), json::serialize(annotations))
      .run();
  ctx.state.db
      .query("UPDATE workers_scripts SET current_version=?3, modified_on=?4, last_deployed_from=?5 "
             "WHERE account_id=?1 AND name=?2",
             account, script, version_id, now, upload_source(ctx.request))
      .run();
  tx.commit();
  return id;
}

json::array public_bindings(const json::object& metadata) {
  json::array out;
  if (const auto* b = metadata.if_contains("bindings"); b && b->is_array())
    for (auto binding : b->as_array()) {
      if (binding.is_object() && binding.as_object()["type"] == "secret_text") binding.as_object().erase("text");
      out.push_back(std::move(binding));
    }
  return out;
}

std::string author_email(State& state, const Principal& who) {
  if (who.user_id.empty()) return "";
  auto s = state.db.query("SELECT email FROM users WHERE id=?1", who.user_id);
  return s.step() ? s.text(0) : "";
}

std::string upload_source(const Request& req) {
  return req.header("user-agent").value_or("").find("wrangler") != std::string::npos ? "wrangler" : "api";
}

std::optional<DeployedWorker> deployed_worker(State& state, std::string_view account, std::string_view script) {
  auto row = find_script(state, account, script);
  if (!row) return std::nullopt;
  auto version = find_version(state, account, script, row->current_version);
  if (!version) return std::nullopt;
  const std::string body = read_blob(state, version->blob_id);
  auto boundary = multipart_boundary(version->content_type);
  auto parts = boundary ? parse_multipart(body, *boundary) : std::nullopt;
  if (!parts) return std::nullopt;
  DeployedWorker w;
  w.version_id = version->id;
  const auto& m = version->metadata;
  w.es_modules = version->has_modules;
  const auto* entry = m.if_contains(w.es_modules ? "main_module" : "body_part");
  const std::string main = entry && entry->is_string() ? std::string(entry->as_string()) : "";
  if (const auto* d = m.if_contains("compatibility_date"); d && d->is_string()) w.compatibility_date = d->as_string();
  if (const auto* f = m.if_contains("compatibility_flags"); f && f->is_array())
    for (const auto& flag : f->as_array())
      if (flag.is_string()) w.compatibility_flags.emplace_back(flag.as_string());
  if (const auto* b = m.if_contains("bindings"); b && b->is_array()) w.bindings = b->as_array();
  for (const auto& [name, part] : modules_of(*parts)) {
    DeployedWorker::Module mod{name, part->content_type, std::string(part->body)};
    if (name == main || part->name == main) w.modules.insert(w.modules.begin(), std::move(mod));
    else w.modules.push_back(std::move(mod));
  }
  return w;
}

Module workers_module() { return {"workers", install_workers_schema, add_endpoints, nullptr}; }

}  // namespace pw::sandbox
