// cloudflare.workers.script: uploads an ES-module Worker with its bindings.
// Idempotent: the uploaded module ends with a comment carrying the hash of
// module + metadata; when the deployed script already carries the same hash
// nothing is uploaded.
#include "site_router_js.hpp"
#include "worker_upload.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace cf = pipewright::cloudflare;
namespace worker = pipewright::cloudflare::worker;
using pipewright::Failure;

constexpr std::string_view default_compatibility_date = "2026-01-15";

bool valid_script_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!((name.front() >= 'a' && name.front() <= 'z') || (name.front() >= '0' && name.front() <= '9') ||
        name.front() == '_'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

worker::Module load_module(const pipewright::Call& call, const std::string& main_module) {
  if (main_module.empty())
    return {std::string(worker::site_router_name), std::string(worker::site_router_js)};
  fs::path path(main_module);
  if (path.is_relative()) {
    auto workdir = cf::string_at(pipewright::context_object(call), "workdir");
    path = (workdir.empty() ? fs::current_path() : fs::path(workdir)) / path;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Failure("cannot read the Worker module " + path.string(),
                  "`main_module` is relative to the run's working directory unless absolute; "
                  "leave it out to deploy the built-in site router",
                  "/main_module");
  std::ostringstream text;
  text << in.rdbuf();
  worker::Module module{path.filename().string(), text.str()};
  if (!worker::valid_module_name(module.name))
    throw Failure("the Worker module name '" + module.name + "' cannot be uploaded",
                  "use a file name of letters, digits, '.', '_' or '-' ending in .js or .mjs",
                  "/main_module");
  return module;
}

json::array checked_bindings(const json::object& with) {
  json::array out;
  const auto* bindings = cf::array_at(with, "bindings");
  if (!bindings) return out;
  for (std::size_t i = 0; i < bindings->size(); ++i) {
    const auto pointer = "/bindings/" + std::to_string(i);
    const auto& b = (*bindings)[i];
    if (!b.is_object()) throw Failure("a binding must be an object", {}, pointer);
    const auto& o = b.as_object();
    auto type = cf::string_at(o, "type");
    auto name = cf::string_at(o, "name");
    if (name.empty()) throw Failure("a binding needs a `name`", {}, pointer + "/name");
    if (type == "r2_bucket") {
      auto bucket = cf::string_at(o, "bucket_name");
      if (bucket.empty()) throw Failure("an r2_bucket binding needs `bucket_name`", {}, pointer + "/bucket_name");
      json::object binding{{"type", type}, {"name", name}, {"bucket_name", bucket}};
      if (auto j = cf::string_at(o, "jurisdiction"); !j.empty()) binding["jurisdiction"] = j;
      out.push_back(std::move(binding));
    } else if (type == "plain_text") {
      const auto* text = o.if_contains("text");
      if (!text || !text->is_string())
        throw Failure("a plain_text binding needs a `text` string", {}, pointer + "/text");
      out.push_back(json::object{{"type", type}, {"name", name}, {"text", *text}});
    } else {
      throw Failure("unsupported binding type '" + type + "'", "use r2_bucket or plain_text", pointer + "/type");
    }
  }
  return out;
}

struct WorkersScript {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.workers.script";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Uploads an ES-module Worker with R2 and text bindings, skipping an unchanged deployment";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "account_id": {"type": "string", "minLength": 1},
      "name": {"type": "string", "minLength": 1, "maxLength": 63, "description": "Worker script name"},
      "main_module": {"type": "string",
                      "description": "module file, relative to the working directory unless absolute; empty or absent: the built-in site router"},
      "compatibility_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "default": "2026-01-15"},
      "compatibility_flags": {"type": "array", "items": {"type": "string"}},
      "bindings": {
        "type": "array",
        "items": {
          "type": "object",
          "properties": {
            "type": {"enum": ["r2_bucket", "plain_text"]},
            "name": {"type": "string", "minLength": 1},
            "bucket_name": {"type": "string"},
            "jurisdiction": {"type": "string"},
            "text": {"type": "string"}
          },
          "required": ["type", "name"],
          "additionalProperties": false
        }
      }
    },
    "required": ["account_id", "name"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "name": {"type": "string"},
      "etag": {"type": "string"},
      "uploaded": {"type": "boolean", "description": "false when the deployed script was already current"},
      "deploy_hash": {"type": "string"},
      "main_module": {"type": "string"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto account = cf::string_at(with, "account_id");
    const auto script = cf::string_at(with, "name");
    if (!valid_script_name(script))
      throw Failure("'" + script + "' is not a valid Worker name",
                    "use lower-case letters, digits, '-' and '_' (at most 63), not starting with '-'", "/name");
    const auto module = load_module(call, cf::string_at(with, "main_module"));
    auto date = cf::string_at(with, "compatibility_date");
    if (date.empty()) date = default_compatibility_date;

    json::object metadata{{"main_module", module.name},
                          {"compatibility_date", date},
                          {"compatibility_flags", json::array()},
                          {"bindings", checked_bindings(with)}};
    if (const auto* flags = cf::array_at(with, "compatibility_flags")) metadata["compatibility_flags"] = *flags;
    const auto metadata_json = json::serialize(metadata);
    const auto hash = worker::deploy_hash(metadata_json, module);

    const cf::Client client(call);
    const auto script_path = cf::api_path({"accounts", account, "workers", "scripts", script});
    // The deployed script and the list (where its etag is) in one round
    // trip: an unchanged Worker, the common case on a re-run, needs both;
    // a changed one has read the list for nothing.
    cf::Request script_read, list_read;
    script_read.path = script_path;
    list_read.path = cf::api_path({"accounts", account, "workers", "scripts"});
    auto reads = client.batch({script_read, list_read}, 2);
    const auto& current = reads[0];
    bool uploaded = false;
    std::string etag;
    if (current.status == 200 && worker::find_hash_marker(current.body) == hash) {
      call.info("Worker '" + script + "' is already deployed with this module and configuration");
      etag = listed_etag(reads[1], script);
    } else if (current.status == 200 || current.status == 404) {
      const worker::Module marked{module.name, worker::with_hash_marker(module.content, hash)};
      const auto boundary = worker::boundary_for(metadata_json, marked);
      cf::Request put;
      put.method = "PUT";
      put.path = script_path;
      put.body = worker::multipart_body(metadata_json, marked, boundary);
      put.content_type = "multipart/form-data; boundary=" + boundary;
      auto result = client.request(put);
      if (!result.ok())
        throw Failure("uploading the Worker '" + script + "' failed", cf::describe(result), "/name");
      if (result.result.is_object()) etag = cf::string_at(result.result.as_object(), "etag");
      uploaded = true;
      call.info("uploaded Worker '" + script + "' (" + module.name + ", " +
                std::to_string(module.content.size()) + " bytes)");
    } else {
      throw Failure("reading the deployed Worker '" + script + "' failed", cf::describe(current), "/name");
    }

    pipewright::set_output(call, "name", json::value(script));
    pipewright::set_output(call, "etag", json::value(etag));
    pipewright::set_output(call, "uploaded", json::value(uploaded));
    pipewright::set_output(call, "deploy_hash", json::value(hash));
    pipewright::set_output(call, "main_module", json::value(module.name));
  }

 private:
  // `listed` is the answer of GET /accounts/{a}/workers/scripts.
  static std::string listed_etag(const cf::ApiResult& listed, const std::string& script) {
    if (!listed.ok() || !listed.result.is_array()) return {};
    for (const auto& item : listed.result.as_array())
      if (item.is_object() && cf::string_at(item.as_object(), "id") == script)
        return cf::string_at(item.as_object(), "etag");
    return {};
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(WorkersScript)
