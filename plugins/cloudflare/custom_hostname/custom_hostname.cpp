// cloudflare.custom_hostname: ensures a Cloudflare-for-SaaS custom hostname
// exists for a tenant (custom_metadata {"tenant": ...}), optionally records
// hostname -> tenant in R2 for the site router, and optionally waits until
// the hostname and its certificate are active. A hostname carrying another
// (or no) tenant is refused unless `adopt: true`.
#include "site_files.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;
using pipewright::Failure;

constexpr long long duplicate_hostname_code = 1406;
// The site router reads "<mapping prefix><hostname>" when a request carries
// no custom hostname metadata. Keep in sync with worker/site-router.js.
constexpr std::string_view mapping_prefix = "_hostnames/";

bool valid_hostname(const std::string& hostname) {
  static const std::regex rule("^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$");
  return std::regex_match(hostname, rule);
}

bool valid_tenant(const std::string& tenant) {
  static const std::regex rule("^[a-z0-9][a-z0-9_-]{0,62}$");
  return std::regex_match(tenant, rule);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return text;
}

std::string tenant_of(const json::object& hostname) {
  if (const auto* meta = cf::object_at(hostname, "custom_metadata")) return cf::string_at(*meta, "tenant");
  return {};
}

const json::object& ssl_of(const json::object& hostname) {
  static const json::object none;
  const auto* ssl = cf::object_at(hostname, "ssl");
  return ssl ? *ssl : none;
}

bool is_active(const json::object& hostname) {
  return cf::string_at(hostname, "status") == "active" && cf::string_at(ssl_of(hostname), "status") == "active";
}

// Where the hostname -> tenant object lives.
struct Mapping {
  std::string bucket;
  std::string key;   // "_hostnames/<hostname>"
  std::string path;  // its REST API path
};

struct Settings {
  std::string zone;
  std::string hostname;
  std::string tenant;
  json::object ssl;  // as sent: method, type, settings?, bundle_method?
  bool adopt = false;
};

Mapping mapping_of(const json::object& mapping, const Settings& s) {
  Mapping m;
  m.bucket = cf::string_at(mapping, "bucket");
  m.key = std::string(mapping_prefix) + s.hostname;
  m.path = cf::site::object_path(cf::string_at(mapping, "account_id"), m.bucket, m.key);
  return m;
}

class CustomHostnames {
 public:
  CustomHostnames(const cf::Client& client, std::string zone) : client_(client), zone_(std::move(zone)) {}

  // The first page of the lookup, to send in a batch with other reads.
  cf::Request lookup(const std::string& hostname) const {
    cf::Request r;
    r.path = cf::with_query(lookup_path(hostname), {{"page", "1"}, {"per_page", std::to_string(per_page)}});
    return r;
  }

  // `page_one`: the answer to lookup(hostname), when it was sent already.
  std::optional<json::object> find(const std::string& hostname,
                                   std::optional<cf::ApiResult> page_one = std::nullopt) const {
    json::array items;
    auto listed = page_one ? client_.list_pages(lookup_path(hostname), items, per_page, 200, std::move(*page_one))
                           : client_.list_pages(lookup_path(hostname), items, per_page);
    if (!listed.ok())
      throw Failure("looking up the custom hostname " + hostname + " failed", cf::describe(listed), "/zone_id");
    // ?hostname= may match more than the exact name; only an exact match counts.
    for (const auto& item : items)
      if (item.is_object() && lower(cf::string_at(item.as_object(), "hostname")) == hostname)
        return item.as_object();
    return std::nullopt;
  }

  cf::Request create_request(const Settings& s) const {
    cf::Request r;
    r.method = "POST";
    r.path = cf::api_path({"zones", zone_, "custom_hostnames"});
    r.json = json::object{{"hostname", s.hostname}, {"ssl", s.ssl}, {"custom_metadata", {{"tenant", s.tenant}}}};
    return r;
  }

  json::object patch(const std::string& id, const json::object& body, const std::string& what) const {
    auto result = client_.send("PATCH", cf::api_path({"zones", zone_, "custom_hostnames", id}), body, true);
    if (!result.ok() || !result.result.is_object())
      throw Failure(what + " failed", cf::describe(result), "/hostname");
    return result.result.as_object();
  }

  cf::ApiResult get(const std::string& id) const {
    return client_.get(cf::api_path({"zones", zone_, "custom_hostnames", id}));
  }

 private:
  static constexpr int per_page = 50;

  std::string lookup_path(const std::string& hostname) const {
    return cf::with_query(cf::api_path({"zones", zone_, "custom_hostnames"}), {{"hostname", hostname}});
  }

  const cf::Client& client_;
  std::string zone_;
};

struct CustomHostname {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.custom_hostname";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Ensures a tenant's custom hostname (Cloudflare for SaaS) exists, optionally waiting until it is active";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "zone_id": {"type": "string", "minLength": 1},
      "hostname": {"type": "string", "minLength": 1, "description": "the tenant's hostname, e.g. shop.customer-site.net"},
      "tenant": {"type": "string", "minLength": 1, "description": "tenant id, stored as custom_metadata.tenant"},
      "ssl": {
        "type": "object",
        "properties": {
          "method": {"enum": ["http", "txt", "email"], "default": "http"},
          "type": {"enum": ["dv"], "default": "dv"},
          "settings": {"type": "object"},
          "bundle_method": {"enum": ["ubiquitous", "optimal", "force"]}
        },
        "additionalProperties": false
      },
      "adopt": {"type": "boolean", "default": false,
                "description": "take over an existing hostname that carries another or no tenant"},
      "wait_active": {"type": "boolean", "default": false},
      "timeout": {"type": "integer", "minimum": 1, "default": 300, "description": "seconds to wait for active"},
      "mapping": {
        "type": "object",
        "description": "also record hostname -> tenant in this R2 bucket for the site router",
        "properties": {
          "account_id": {"type": "string", "minLength": 1},
          "bucket": {"type": "string", "minLength": 3}
        },
        "required": ["account_id", "bucket"],
        "additionalProperties": false
      }
    },
    "required": ["zone_id", "hostname", "tenant"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "hostname": {"type": "string"},
      "tenant": {"type": "string"},
      "status": {"type": "string"},
      "ssl_status": {"type": "string"},
      "active": {"type": "boolean"},
      "created": {"type": "boolean"},
      "changed": {"type": "boolean"},
      "ownership_verification": {"type": "object"},
      "validation_records": {"type": "array"},
      "verification_errors": {"type": "array"},
      "mapping_key": {"type": "string"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    Settings s;
    s.zone = cf::string_at(with, "zone_id");
    s.hostname = lower(cf::string_at(with, "hostname"));
    s.tenant = cf::string_at(with, "tenant");
    s.adopt = cf::bool_at(with, "adopt", false);
    if (!valid_hostname(s.hostname))
      throw Failure("'" + s.hostname + "' is not a valid hostname",
                    "use a fully qualified ASCII name (punycode for international names), e.g. shop.customer-site.net",
                    "/hostname");
    if (!valid_tenant(s.tenant))
      throw Failure("'" + s.tenant + "' is not a valid tenant id",
                    "use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit", "/tenant");
    s.ssl = json::object{{"method", "http"}, {"type", "dv"}};
    if (const auto* ssl = cf::object_at(with, "ssl"))
      for (const auto& member : *ssl) s.ssl[member.key()] = member.value();

    const cf::Client client(call);
    const CustomHostnames api(client, s.zone);
    bool created = false;
    bool changed = false;
    // Both reads in one round trip: an unchanged tenant needs nothing else.
    const auto* mapping = cf::object_at(with, "mapping");
    std::vector<cf::Request> reads{api.lookup(s.hostname)};
    std::optional<Mapping> target;
    if (mapping) {
      target = mapping_of(*mapping, s);
      reads.emplace_back().path = target->path;
    }
    auto answers = client.batch(reads, static_cast<int>(reads.size()));
    auto current = api.find(s.hostname, std::move(answers[0]));
    if (!current) {
      auto made = client.create_once(
          api.create_request(s),
          [&]() -> std::optional<json::value> {
            if (auto found = api.find(s.hostname)) return json::value(std::move(*found));
            return std::nullopt;
          },
          "the custom hostname " + s.hostname);
      if (made.adopted) {
        // Nothing was there before the create, so one with this tenant is
        // what our lost request made; another tenant's is another writer's,
        // which reconcile() below refuses unless adopting.
        current = made.adopted->as_object();
        if (tenant_of(*current) == s.tenant) {
          created = changed = true;
          call.info("created custom hostname " + s.hostname + " for tenant '" + s.tenant + "'");
        }
      } else if (made.result.ok() && made.result.result.is_object()) {
        current = made.result.result.as_object();
        created = changed = true;
        call.info("created custom hostname " + s.hostname + " for tenant '" + s.tenant + "'");
      } else if (made.result.has_error(duplicate_hostname_code)) {
        // Created meanwhile by someone else.
        current = api.find(s.hostname);
        if (!current)
          throw Failure("creating the custom hostname " + s.hostname + " failed", cf::describe(made.result),
                        "/hostname");
      } else {
        throw Failure("creating the custom hostname " + s.hostname + " failed", cf::describe(made.result),
                      "/hostname");
      }
    }
    if (!created) changed = reconcile(call, api, s, *current);

    // The mapping is written only now that the hostname is proven to be this
    // tenant's (a create refused as a duplicate must not remap another
    // tenant's hostname), and before waiting, so the site router serves the
    // hostname as soon as it goes active.
    std::string mapping_key;
    if (target) mapping_key = write_mapping(call, client, *target, answers[1], s);

    const auto id = cf::string_at(*current, "id");
    if (cf::bool_at(with, "wait_active", false) && !is_active(*current))
      *current = wait_active(call, api, s, id, with);

    const auto& ssl = ssl_of(*current);
    pipewright::set_output(call, "id", json::value(id));
    pipewright::set_output(call, "hostname", json::value(s.hostname));
    pipewright::set_output(call, "tenant", json::value(s.tenant));
    pipewright::set_output(call, "status", json::value(cf::string_at(*current, "status")));
    pipewright::set_output(call, "ssl_status", json::value(cf::string_at(ssl, "status")));
    pipewright::set_output(call, "active", json::value(is_active(*current)));
    pipewright::set_output(call, "created", json::value(created));
    pipewright::set_output(call, "changed", json::value(changed));
    const auto* ownership = cf::object_at(*current, "ownership_verification");
    pipewright::set_output(call, "ownership_verification", ownership ? json::value(*ownership) : json::object());
    const auto* records = cf::array_at(ssl, "validation_records");
    pipewright::set_output(call, "validation_records", records ? json::value(*records) : json::array());
    const auto* errors = cf::array_at(*current, "verification_errors");
    pipewright::set_output(call, "verification_errors", errors ? json::value(*errors) : json::array());
    pipewright::set_output(call, "mapping_key", json::value(mapping_key));
  }

 private:
  // An existing hostname: refuse someone else's unless adopting; bring the
  // tenant metadata and SSL method/type in line. Returns whether it changed.
  static bool reconcile(const pipewright::Call& call, const CustomHostnames& api, const Settings& s,
                        json::object& current) {
    const auto owner = tenant_of(current);
    const auto id = cf::string_at(current, "id");
    bool changed = false;
    if (owner != s.tenant) {
      if (!s.adopt)
        throw Failure("the custom hostname " + s.hostname + " already exists and " +
                          (owner.empty() ? std::string("was not created for a tenant")
                                         : "belongs to tenant '" + owner + "'"),
                      "refusing to use it for tenant '" + s.tenant + "'; set `adopt: true` to take it over",
                      "/hostname");
      current = api.patch(id, json::object{{"custom_metadata", {{"tenant", s.tenant}}}},
                          "adopting the custom hostname " + s.hostname);
      call.warn("custom hostname " + s.hostname + " adopted for tenant '" + s.tenant + "'" +
                (owner.empty() ? std::string() : " (was '" + owner + "')"));
      changed = true;
    }
    const auto& ssl = ssl_of(current);
    if (cf::string_at(ssl, "method") != cf::string_at(s.ssl, "method") ||
        cf::string_at(ssl, "type") != cf::string_at(s.ssl, "type")) {
      current = api.patch(id, json::object{{"ssl", s.ssl}}, "updating the SSL settings of " + s.hostname);
      call.info("custom hostname " + s.hostname + ": SSL validation method set to " + cf::string_at(s.ssl, "method"));
      changed = true;
    }
    if (!changed) call.info("custom hostname " + s.hostname + " already exists for tenant '" + s.tenant + "'");
    return changed;
  }

  static json::object wait_active(const pipewright::Call& call, const CustomHostnames& api, const Settings& s,
                                  const std::string& id, const json::object& with) {
    using clock = std::chrono::system_clock;
    std::int64_t timeout_s = 300;
    if (const auto* t = with.if_contains("timeout"); t && t->is_int64()) timeout_s = t->as_int64();
    auto deadline = clock::now() + std::chrono::seconds(timeout_s);
    if (auto step_deadline = call.deadline_ms(); step_deadline > 0)
      deadline = std::min(deadline, clock::time_point(std::chrono::milliseconds(step_deadline)));
    auto delay = std::chrono::milliseconds(500);
    json::object last;
    for (int poll = 1;; ++poll) {
      auto got = api.get(id);
      if (!got.ok() || !got.result.is_object())
        throw Failure("reading the custom hostname " + s.hostname + " failed", cf::describe(got), "/hostname");
      last = got.result.as_object();
      if (is_active(last)) {
        call.info("custom hostname " + s.hostname + " is active");
        return last;
      }
      json::object progress{{"done", 0}, {"total", 1},
                            {"message", "waiting for " + s.hostname + ": " + cf::string_at(last, "status") +
                                            ", certificate " + cf::string_at(ssl_of(last), "status")}};
      call.progress(json::serialize(progress));
      if (clock::now() + delay > deadline) break;
      // Sleep in short slices so a cancelled run stops promptly.
      for (auto slept = std::chrono::milliseconds(0); slept < delay; slept += std::chrono::milliseconds(100)) {
        call.throw_if_cancelled();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      delay = std::min(delay * 2, std::chrono::milliseconds(15000));
    }
    std::string detail = "status " + cf::string_at(last, "status") + ", certificate " +
                         cf::string_at(ssl_of(last), "status");
    if (const auto* errors = cf::array_at(last, "verification_errors"); errors && !errors->empty())
    {
      std::string said;
      for (const auto& e : *errors) said += (said.empty() ? "" : "; ") + (e.is_string() ? std::string(e.as_string()) : json::serialize(e));
      detail += "\nverification errors: " + said;
    }
    if (const auto* ov = cf::object_at(last, "ownership_verification"))
      detail += "\nprove ownership with the DNS record " + cf::string_at(*ov, "type") + " " +
                cf::string_at(*ov, "name") + " = " + cf::string_at(*ov, "value");
    detail += "\nand point " + s.hostname + " (CNAME) at the SaaS zone; then run the step again";
    throw Failure("the custom hostname " + s.hostname + " did not become active within " +
                      std::to_string(timeout_s) + " s",
                  detail, "/timeout");
  }

  // `existing` is the answer to GET <target.path>: raw bytes, not an envelope.
  static std::string write_mapping(const pipewright::Call& call, const cf::Client& client, const Mapping& target,
                                   const cf::ApiResult& existing, const Settings& s) {
    if (existing.status == 200) {
      boost::system::error_code ec;
      auto stored = json::parse(existing.body, ec);
      if (!ec && stored.is_object() && cf::string_at(stored.as_object(), "tenant") == s.tenant) return target.key;
    } else if (existing.status != 404) {
      throw Failure("reading the hostname mapping " + target.key + " from bucket " + target.bucket + " failed",
                    cf::describe(existing), "/mapping/bucket");
    }
    cf::Request put;
    put.method = "PUT";
    put.path = target.path;
    put.body = json::serialize(json::object{{"tenant", s.tenant}});
    put.content_type = "application/json";
    auto written = client.request(put);
    if (!written.ok())
      throw Failure("writing the hostname mapping " + target.key + " to bucket " + target.bucket + " failed",
                    cf::describe(written), "/mapping/bucket");
    call.info("mapped " + s.hostname + " to tenant '" + s.tenant + "' in bucket " + target.bucket);
    return target.key;
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(CustomHostname)
