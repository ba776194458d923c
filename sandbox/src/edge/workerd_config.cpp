#include "workerd_config.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

// The R2 binding as a small module over a service binding to the sandbox's
// loopback hook /__sandbox/r2/: get, head and list, read only.
constexpr std::string_view r2_shim = R"js(
const HIDDEN = new Set(["__PW_SANDBOX", "__PW_R2"]);

export function wrapEnv(env) {
  const out = {};
  for (const [name, value] of Object.entries(env)) if (!HIDDEN.has(name)) out[name] = value;
  for (const [name, ref] of Object.entries(env.__PW_R2 ?? {})) out[name] = bucket(env.__PW_SANDBOX, ref);
  return out;
}

const encodeKey = (key) => key.split("/").map(encodeURIComponent).join("/");

function r2Object(m) {
  const http = m.httpMetadata ?? {};
  return {
    key: m.key, size: m.size, etag: m.etag, httpEtag: `"${m.etag}"`, version: m.version,
    uploaded: new Date(m.uploaded), httpMetadata: http, customMetadata: m.customMetadata ?? {},
    storageClass: m.storageClass, checksums: {},
    writeHttpMetadata(headers) {
      if (http.contentType) headers.set("content-type", http.contentType);
      if (http.contentLanguage) headers.set("content-language", http.contentLanguage);
      if (http.contentDisposition) headers.set("content-disposition", http.contentDisposition);
      if (http.contentEncoding) headers.set("content-encoding", http.contentEncoding);
      if (http.cacheControl) headers.set("cache-control", http.cacheControl);
    },
  };
}

function bucket(sandbox, ref) {
  const base = `http://sandbox/__sandbox/r2/${ref.account}/${encodeURIComponent(ref.bucket)}`;
  async function read(key, head) {
    const res = await sandbox.fetch(`${base}/${encodeKey(key)}${head ? "?head=1" : ""}`);
    if (res.status === 404) { await res.body?.cancel(); return null; }
    if (!res.ok) throw new Error(`R2 ${head ? "head" : "get"} ${key}: the sandbox answered ${res.status}`);
    const obj = r2Object(JSON.parse(decodeURIComponent(res.headers.get("x-pw-r2-object"))));
    if (head) { await res.body?.cancel(); return obj; }
    obj.body = res.body;
    obj.arrayBuffer = () => res.arrayBuffer();
    obj.text = () => res.text();
    obj.json = () => res.json();
    obj.blob = () => res.blob();
    return obj;
  }
  return {
    get: (key) => read(key, false),
    head: (key) => read(key, true),
    async list(options = {}) {
      const q = new URLSearchParams();
      if (options.prefix) q.set("prefix", options.prefix);
      if (options.cursor) q.set("cursor", options.cursor);
      if (options.limit) q.set("limit", String(options.limit));
      const res = await sandbox.fetch(`${base}?${q}`);
      if (!res.ok) throw new Error(`R2 list: the sandbox answered ${res.status}`);
      const { result } = await res.json();
      return { objects: result.objects.map(r2Object), truncated: result.truncated, cursor: result.cursor,
               delimitedPrefixes: [] };
    },
  };
}
)js";

std::string capnp_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

void write_private(const std::filesystem::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string());
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// workerd's module kinds by the part's Content-Type (wrangler's names).
std::string module_kind(const DeployedWorker::Module& m) {
  const std::string& t = m.content_type;
  if (t.starts_with("application/javascript+module") || t.empty()) return "esModule";
  if (t.starts_with("application/javascript") || t.starts_with("text/javascript")) return "commonJsModule";
  if (t.starts_with("application/wasm")) return "wasm";
  if (t.starts_with("application/json")) return "json";
  if (t.starts_with("text/")) return "text";
  return "data";
}

}  // namespace

std::vector<std::string> write_workerd_config(const std::filesystem::path& dir, const DeployedWorker& worker,
                                              const std::string& account, std::uint16_t api_port) {
  std::vector<std::string> skipped;
  std::string modules = "    (name = \"__pipewright_entry.js\", esModule = embed \"entry.js\"),\n"
                        "    (name = \"__pipewright_r2.js\", esModule = embed \"r2.js\"),\n";
  for (std::size_t i = 0; i < worker.modules.size(); ++i) {
    const auto file = "module" + std::to_string(i);
    write_private(dir / file, worker.modules[i].body);
    modules += "    (name = " + capnp_string(worker.modules[i].name) + ", " + module_kind(worker.modules[i]) +
               " = embed \"" + file + "\"),\n";
  }
  const std::string main = worker.modules.empty() ? "" : worker.modules.front().name;
  write_private(dir / "entry.js", "import worker from " + json::serialize(json::value(main)) +
                                      ";\nimport { wrapEnv } from \"__pipewright_r2.js\";\n"
                                      "export default {\n  fetch(request, env, ctx) {\n"
                                      "    return worker.fetch(request, wrapEnv(env), ctx);\n  },\n};\n");
  write_private(dir / "r2.js", r2_shim);

  json::object r2;
  std::string bindings = "    (name = \"__PW_SANDBOX\", service = \"sandbox\"),\n";
  for (const auto& b : worker.bindings) {
    if (!b.is_object()) continue;
    const auto& o = b.as_object();
    auto str = [&](std::string_view k) {
      const auto* v = o.if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    const std::string type = str("type"), name = str("name");
    if (type == "plain_text" || type == "secret_text") {
      bindings += "    (name = " + capnp_string(name) + ", text = " + capnp_string(str("text")) + "),\n";
    } else if (type == "json") {
      const auto* v = o.if_contains("json");
      bindings += "    (name = " + capnp_string(name) + ", json = " + capnp_string(v ? json::serialize(*v) : "null") + "),\n";
    } else if (type == "r2_bucket") {
      r2[name] = json::object{{"account", account}, {"bucket", str("bucket_name")}};
    } else {
      skipped.push_back(name + " (" + type + ")");
    }
  }
  bindings += "    (name = \"__PW_R2\", json = " + capnp_string(json::serialize(r2)) + "),\n";

  std::string flags;
  for (const auto& f : worker.compatibility_flags) flags += capnp_string(f) + ", ";
  const std::string date = worker.compatibility_date.empty() ? "2024-01-01" : worker.compatibility_date;
  const std::string config =
      "using Workerd = import \"/workerd/workerd.capnp\";\n"
      "const config :Workerd.Config = (\n"
      "  services = [\n"
      "    (name = \"main\", worker = .worker),\n"
      "    (name = \"sandbox\", external = (address = \"127.0.0.1:" + std::to_string(api_port) + "\", http = ())),\n"
      "  ],\n"
      "  sockets = [(name = \"http\", service = \"main\", http = (cfBlobHeader = \"cf-blob\"))],\n"
      ");\n"
      "const worker :Workerd.Worker = (\n"
      "  modules = [\n" + modules + "  ],\n"
      "  compatibilityDate = " + capnp_string(date) + ",\n"
      "  compatibilityFlags = [" + flags + "],\n"
      "  bindings = [\n" + bindings + "  ],\n"
      ");\n";
  write_private(dir / "config.capnp", config);
  return skipped;
}

}  // namespace pw::sandbox
