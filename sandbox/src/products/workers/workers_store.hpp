// Workers scripts state shared by the script handlers and the deploy
// endpoints wrangler calls. A script is a name plus its deployed version;
// every upload (PUT script, POST versions) is a version whose multipart body
// is kept as one blob in the ObjectStore.
#pragma once

#include "server/context.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace pw::sandbox {

void install_workers_schema(Db& db);
void add_workers_script_endpoints(Router& r);
void add_workers_deploy_endpoints(Router& r);
void add_workers_secret_endpoints(Router& r);

inline const GroupNames workers_read{"Workers Scripts Read", "Workers Scripts Write"};
inline const GroupNames workers_write{"Workers Scripts Write"};

// 404 10007 in the two wordings Cloudflare uses.
Response script_not_found();   // "workers.api.error.script_not_found"
Response service_not_found();  // "This Worker does not exist on your account."
Response upload_error(std::string message);  // 400 10021

struct ScriptRow {
  std::string name, tag, created_on, modified_on, last_deployed_from, current_version;
  bool subdomain_enabled = false, previews_enabled = false;
  boost::json::object settings;
};
std::optional<ScriptRow> find_script(State& state, std::string_view account, std::string_view name);

struct VersionRow {
  std::string id, created_on, source, author_email, blob_id, content_type, etag;
  std::int64_t number = 0;
  boost::json::object metadata;  // the uploaded metadata (secret_text values included: never send them)
  boost::json::array handlers;
  bool has_modules = false;
};
std::optional<VersionRow> find_version(State& state, std::string_view account, std::string_view script,
                                       std::string_view version_id);

// Checks a multipart upload (both layouts, docs/cloudflare-api.md 5.4) and stores
// it as a new version of `script` (creating the script row when new). Does not
// deploy it. Errors are 400 10021 with a message saying what to fix.
Outcome<VersionRow> store_upload(RequestContext& ctx, const std::string& account, const std::string& script);

// Makes `version_id` the deployed version and records a 100% deployment;
// returns the deployment id.
std::string deploy_version(RequestContext& ctx, const std::string& account, const std::string& script,
                           const std::string& version_id, const boost::json::object& annotations);

// Stores a copy of `base`'s modules with `metadata` as a new version and
// deploys it: how secret and settings changes reach the running Worker.
// Returns the new version.
VersionRow redeploy_with_metadata(RequestContext& ctx, const std::string& account, const std::string& script,
                                  const VersionRow& base, boost::json::object metadata,
                                  const boost::json::object& annotations);
// Checks metadata.bindings of an upload; a message saying what is wrong, or nullopt.
std::optional<std::string> check_bindings(RequestContext& ctx, const std::string& account,
                                          const boost::json::value* bindings);
// Checks an upload's (or a settings change's) metadata: compatibility_date,
// compatibility_flags and bindings; a message saying what is wrong, or nullopt.
std::optional<std::string> check_script_metadata(RequestContext& ctx, const std::string& account,
                                                 const boost::json::object& metadata);
// Resolves an upload's {type: "inherit", name} bindings and its keep_bindings
// (binding types to carry over, as wrangler deploy sends secret_text and
// secret_key) against the deployed version of `script`; an upload's own
// binding of a name wins. Removes keep_bindings. A message, or nullopt.
std::optional<std::string> keep_deployed_bindings(State& state, const std::string& account, const std::string& script,
                                                  boost::json::object& metadata);
// Deletes the script, its versions, deployments and stored uploads.
void remove_script(State& state, const std::string& account, const std::string& script);
// A version as GET …/versions/{id} shows it (also the answer to POST …/versions).
boost::json::object version_json(State& state, const VersionRow& v, const ScriptRow& script);

// Bindings as the API shows them: secret_text values removed.
boost::json::array public_bindings(const boost::json::object& metadata);
std::string author_email(State& state, const Principal& who);
// "wrangler" for wrangler's User-Agent, else "api".
std::string upload_source(const Request& req);

}  // namespace pw::sandbox
