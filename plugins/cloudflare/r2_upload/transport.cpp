#include "transport.hpp"

#include <algorithm>
#include <stdexcept>

#include <pipewright/util/sigv4.hpp>

#include <boost/json.hpp>

#include <charconv>

namespace pipewright::cloudflare::site {

namespace json = boost::json;

namespace {

constexpr std::uint32_t signing_minor = 4;
constexpr std::uint64_t max_parts = 10000;
constexpr std::string_view cloudflare_api = "https://api.cloudflare.com/client/v4";

bool can_sign(const json::object& context) {
  const auto* signing = context.if_contains("signing");
  if (!signing || !signing->is_array()) return false;
  for (const auto& s : signing->as_array())
    if (s.is_string() && s.as_string() == "aws-sigv4") return true;
  return false;
}

// Where the REST API is not Cloudflare's (a sandbox, a proxy), R2's own
// endpoint would be another service than the API's: S3 then needs an
// endpoint named explicitly.
bool endpoint_known(const json::object& context) {
  const auto* urls = context.if_contains("base_urls");
  if (!urls || !urls->is_object()) return true;
  const auto& o = urls->as_object();
  if (const auto* r2 = o.if_contains("r2_s3"); r2 && r2->is_string() && !r2->as_string().empty()) return true;
  const auto* api = o.if_contains("cloudflare");
  return !api || !api->is_string() || api->as_string() == cloudflare_api;
}

}  // namespace

TransportChoice choose_transport(std::string_view asked, const json::object& context, std::uint32_t host_minor) {
  TransportChoice out;
  std::string missing;
  if (host_minor < signing_minor)
    missing = "this pipewright host (ABI 1." + std::to_string(host_minor) +
              ") cannot sign S3 requests; 1.4 or later can";
  else if (!can_sign(context))
    missing = context.contains("auth")
                  ? "the step's auth provides no S3 credentials (a Global API Key cannot derive them; an API "
                    "token auth derives them unless verify is false without token_id)"
                  : "the step names no auth";
  else if (!endpoint_known(context))
    missing = "the API base URL is not Cloudflare's and CLOUDFLARE_R2_ENDPOINT is not set, so R2's S3 endpoint "
              "for that API is unknown";
  if (asked == "api") {
    out.transport = "api";
    out.reason = "transport: api";
  } else if (missing.empty()) {
    out.transport = "s3";
    out.reason = asked == "s3" ? "transport: s3" : "transport auto: S3 credentials are available";
  } else if (asked == "s3") {
    out.error = missing;
  } else {
    out.transport = "api";
    out.reason = "transport auto: " + missing;
  }
  return out;
}

std::string s3_endpoint(const json::object& context, std::string_view account_id) {
  if (const auto* urls = context.if_contains("base_urls"); urls && urls->is_object())
    if (const auto* r2 = urls->as_object().if_contains("r2_s3"); r2 && r2->is_string() && !r2->as_string().empty()) {
      std::string endpoint(r2->as_string());
      while (endpoint.ends_with('/')) endpoint.pop_back();
      return endpoint;
    }
  // The id becomes part of a hostname: anything but a Cloudflare account id (32 lowercase hex
  // digits) could point the signed requests at another host.
  const bool hex32 = account_id.size() == 32 && std::all_of(account_id.begin(), account_id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!hex32) throw std::invalid_argument("the account id is not 32 lowercase hex digits, so it names no R2 S3 host");
  return "https://" + std::string(account_id) + ".r2.cloudflarestorage.com";
}

std::string s3_bucket_url(std::string_view endpoint, std::string_view bucket, std::string_view query) {
  return std::string(endpoint) + "/" + pw::sigv4::uri_encode(bucket, false) + std::string(query);
}

std::string s3_object_url(std::string_view endpoint, std::string_view bucket, std::string_view key,
                          std::string_view query) {
  return std::string(endpoint) + "/" + pw::sigv4::uri_encode(bucket, false) + "/" + pw::sigv4::uri_encode(key, true) +
         std::string(query);
}

std::uint64_t parts_for(std::uint64_t size, std::uint64_t part_size) {
  return size == 0 ? 1 : (size + part_size - 1) / part_size;
}

std::uint64_t part_size_for(std::uint64_t size, std::uint64_t wanted) {
  if (parts_for(size, wanted) <= max_parts) return wanted;
  return (size + max_parts - 1) / max_parts;
}

std::uint64_t etag_parts(std::string_view etag) {
  const auto dash = etag.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == etag.size()) return 0;
  std::uint64_t parts = 0;
  const auto* end = etag.data() + etag.size();
  auto [ptr, ec] = std::from_chars(etag.data() + dash + 1, end, parts);
  return ec == std::errc() && ptr == end ? parts : 0;
}

}  // namespace pipewright::cloudflare::site
