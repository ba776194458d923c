// cloudflare.r2.bucket: ensures an R2 bucket exists. Reads it and creates it
// in one round trip; "already exists and you own it" (10004) counts as
// success, so concurrent or repeated runs agree.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>
#include <pipewright/util/text.hpp>

#include <regex>
#include <string>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;
using pipewright::Failure;

constexpr long long bucket_exists_code = 10004;

bool valid_bucket_name(const std::string& name) {
  static const std::regex rule("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$");
  return std::regex_match(name, rule);
}

struct R2Bucket {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.r2.bucket";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "Ensures an R2 bucket exists (creates it when missing)";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "account_id": {"type": "string", "minLength": 1},
      "name": {"type": "string", "description": "bucket name: 3-63 of a-z 0-9 -, alphanumeric at both ends"},
      "location_hint": {"enum": ["apac", "eeur", "enam", "weur", "wnam", "oc"]},
      "storage_class": {"enum": ["Standard", "InfrequentAccess"]},
      "jurisdiction": {"enum": ["default", "eu", "fedramp"]}
    },
    "required": ["account_id", "name"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "name": {"type": "string"},
      "created": {"type": "boolean"},
      "location": {"type": "string"},
      "storage_class": {"type": "string"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto account = cf::string_at(with, "account_id");
    const auto bucket = cf::string_at(with, "name");
    if (!valid_bucket_name(bucket))
      throw Failure("'" + bucket + "' is not a valid R2 bucket name",
                    "use 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit",
                    "/name");
    const auto jurisdiction = cf::string_at(with, "jurisdiction");
    const auto location_hint = cf::string_at(with, "location_hint");
    const auto storage_class = cf::string_at(with, "storage_class");

    const cf::Client client(call);
    json::object headers;
    if (!jurisdiction.empty() && jurisdiction != "default") headers["cf-r2-jurisdiction"] = jurisdiction;

    // The read and the create go out together: one round trip whether the
    // bucket is new or not. The create cannot make a second bucket (an
    // existing one answers 10004), and the read keeps a token that may
    // read the bucket but not create buckets working as before.
    cf::Request get;
    get.path = cf::api_path({"accounts", account, "r2", "buckets", bucket});
    get.headers = headers;
    json::object body{{"name", bucket}};
    if (!location_hint.empty()) body["locationHint"] = location_hint;
    if (!storage_class.empty()) body["storageClass"] = storage_class;
    cf::Request post;
    post.method = "POST";
    post.path = cf::api_path({"accounts", account, "r2", "buckets"});
    post.json = std::move(body);
    post.headers = headers;
    // Repeating the create is harmless: a second one answers 10004.
    post.safe_to_retry = true;
    auto answers = client.batch({get, post}, 2);
    auto& found = answers[0];
    auto& made = answers[1];
    // A create the host sent again (its first answer was lost) that then
    // hears "exists", where the read found nothing: the first one made it.
    const bool resent_into_itself = made.attempts > 1 && made.has_error(bucket_exists_code) && found.status == 404;
    const bool created = made.ok() || resent_into_itself;
    if (made.ok()) {
      found = std::move(made);
    } else if (!found.ok() && made.has_error(bucket_exists_code)) {
      if (!resent_into_itself) call.info("bucket '" + bucket + "' appeared meanwhile; using it");
      found = client.request(get);
    } else if (!found.ok() && found.status == 404) {
      throw Failure("creating the R2 bucket '" + bucket + "' failed", cf::describe(made), "/name");
    }
    if (!found.ok())
      throw Failure("reading the R2 bucket '" + bucket + "' failed", cf::describe(found), "/name");

    json::object info = found.result.is_object() ? found.result.as_object() : json::object();
    auto location = cf::string_at(info, "location");
    auto actual_class = cf::string_at(info, "storage_class");
    if (!created && !location_hint.empty() && !location.empty() && !pw::util::iequals(location, location_hint))
      call.warn("bucket '" + bucket + "' already exists in location " + location +
                "; a bucket's location cannot change, so location_hint " + location_hint + " was not applied");
    if (!created && !storage_class.empty() && !actual_class.empty() && actual_class != storage_class)
      call.warn("bucket '" + bucket + "' already exists with storage class " + actual_class +
                "; it was left unchanged");
    call.info(created ? "created R2 bucket '" + bucket + "'" : "R2 bucket '" + bucket + "' already exists");

    pipewright::set_output(call, "name", json::value(bucket));
    pipewright::set_output(call, "created", json::value(created));
    pipewright::set_output(call, "location", json::value(location));
    pipewright::set_output(call, "storage_class", json::value(actual_class));
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(R2Bucket)
