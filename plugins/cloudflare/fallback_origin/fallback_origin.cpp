// cloudflare.fallback_origin: what a Cloudflare for SaaS zone needs before a
// `*/*` Worker route sees its custom hostnames' traffic: an originless,
// proxied DNS record (`service.<zone> AAAA 100::`) and that record set as
// the zone's fallback origin. Reads first and writes only what differs.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;
using pipewright::Failure;

// An A, AAAA or CNAME record already on `name` (the origin must resolve
// through a proxied record; an existing one is used as it is).
std::optional<json::object> record_on(const cf::ApiResult& listed, const std::string& name) {
  if (!listed.result.is_array()) return std::nullopt;
  for (const auto& item : listed.result.as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    const auto type = cf::string_at(o, "type");
    if (cf::string_at(o, "name") == name && (type == "A" || type == "AAAA" || type == "CNAME")) return o;
  }
  return std::nullopt;
}

struct FallbackOrigin {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.fallback_origin";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Ensures a SaaS zone's fallback origin: a proxied originless DNS record, set as the custom hostnames' fallback";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "zone_id": {"type": "string", "minLength": 1},
      "origin": {"type": "string",
                 "description": "the fallback origin's hostname; empty or absent: service.<zone name>"},
      "zone_name": {"type": "string",
                    "description": "the zone's name when known (CLOUDFLARE_ZONE_NAME), so that the DNS records are read in the same round trip as the zone; checked against the zone"}
    },
    "required": ["zone_id"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "origin": {"type": "string"},
      "status": {"type": "string"},
      "record_created": {"type": "boolean"},
      "changed": {"type": "boolean"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto zone = cf::string_at(with, "zone_id");
    const cf::Client client(call);
    auto origin = cf::string_at(with, "origin");
    const auto fallback_path = cf::api_path({"zones", zone, "custom_hostnames", "fallback_origin"});
    auto records_path = [&](const std::string& name) {
      return cf::with_query(cf::api_path({"zones", zone, "dns_records"}), {{"name", name}});
    };
    // The reads in one round trip; the DNS records too when the origin's
    // name is known before the zone's is read (given, or from `zone_name`).
    const auto zone_name_given = cf::string_at(with, "zone_name");
    const std::string expected = origin.empty() && !zone_name_given.empty() ? "service." + zone_name_given : origin;
    std::vector<cf::Request> batch(2);
    batch[0].path = cf::api_path({"zones", zone});
    batch[1].path = fallback_path;
    if (!expected.empty()) batch.emplace_back().path = records_path(expected);
    auto reads = client.batch(batch, static_cast<int>(batch.size()));
    if (!reads[0].ok() || !reads[0].result.is_object())
      throw Failure("reading zone " + zone + " failed", cf::describe(reads[0]), "/zone_id");
    const auto zone_name = cf::string_at(reads[0].result.as_object(), "name");
    if (origin.empty()) origin = "service." + zone_name;
    if (origin != zone_name && !origin.ends_with("." + zone_name))
      throw Failure("the fallback origin " + origin + " is not a hostname of zone " + zone_name,
                    "use a name inside the zone, e.g. service." + zone_name, "/origin");

    bool record_created = false;
    auto records = reads.size() > 2 && expected == origin ? std::move(reads[2]) : client.get(records_path(origin));
    if (records.forbidden()) {
      // The eight groups of a pipewright token do not include DNS Write.
      call.warn("the token cannot read the zone's DNS records (DNS Write): add " + origin +
                " AAAA 100:: (proxied) yourself, or the fallback origin stays pending_deployment");
    } else if (!records.ok()) {
      throw Failure("listing the DNS records named " + origin + " failed", cf::describe(records), "/origin");
    } else if (!record_on(records, origin)) {
      cf::Request post;
      post.method = "POST";
      post.path = cf::api_path({"zones", zone, "dns_records"});
      post.json = json::object{{"type", "AAAA"}, {"name", origin}, {"content", "100::"}, {"ttl", 1}, {"proxied", true},
                               {"comment", "pipewright: fallback origin for custom hostnames"}};
      auto made = client.create_once(
          post,
          [&]() -> std::optional<json::value> {
            auto found = record_on(client.get(records_path(origin)), origin);
            if (!found) return std::nullopt;
            return json::value(*found);
          },
          "the DNS record " + origin);
      if (!made.ok()) throw Failure("creating the DNS record " + origin + " AAAA 100:: failed", cf::describe(made.result), "/origin");
      record_created = !made.adopted;
      call.info(record_created ? "created DNS record " + origin + " AAAA 100:: (proxied)"
                               : "DNS record " + origin + " exists");
    }

    const auto& current = reads[1];
    std::string status;
    bool changed = false;
    if (current.ok() && current.result.is_object() && cf::string_at(current.result.as_object(), "origin") == origin) {
      status = cf::string_at(current.result.as_object(), "status");
      call.info("fallback origin is already " + origin + " (" + status + ")");
    } else {
      if (!current.ok() && current.status != 404)
        throw Failure("reading the fallback origin of zone " + zone_name + " failed", cf::describe(current), "/zone_id");
      // PUT is idempotent: sending it again after a lost answer is safe.
      auto put = client.send("PUT", fallback_path, json::object{{"origin", origin}}, true);
      if (!put.ok()) throw Failure("setting the fallback origin " + origin + " failed", cf::describe(put), "/origin");
      status = put.result.is_object() ? cf::string_at(put.result.as_object(), "status") : "";
      changed = true;
      call.info("fallback origin set to " + origin + " (" + status + ")");
    }
    pipewright::set_output(call, "origin", json::value(origin));
    pipewright::set_output(call, "status", json::value(status));
    pipewright::set_output(call, "record_created", json::value(record_created));
    pipewright::set_output(call, "changed", json::value(changed));
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(FallbackOrigin)
