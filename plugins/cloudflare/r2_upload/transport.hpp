// Which way cloudflare.r2.upload talks to R2 (the `transport` input), and
// where: the REST API, metered by the 1,200 requests per 5 minutes budget,
// or R2's S3 API, signed by the host and not metered. Pure functions,
// unit-tested without a host.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace pipewright::cloudflare::site {

struct TransportChoice {
  std::string transport;  // "s3" or "api"; empty when `error` is set
  std::string reason;     // why, said in the log
  std::string error;      // `s3` was asked for and cannot be used
};

// `asked` is "auto", "s3" or "api"; `context` is the call's context (its
// "signing" lists what the host signs with for this step); `host_minor`
// the host's ABI minor (signing needs 1.4).
TransportChoice choose_transport(std::string_view asked, const boost::json::object& context,
                                 std::uint32_t host_minor);

// The S3 endpoint without a trailing '/': the context's base_urls.r2_s3
// (CLOUDFLARE_R2_ENDPOINT), else https://<account>.r2.cloudflarestorage.com;
// throws std::invalid_argument when the account id is not 32 lowercase hex digits.
std::string s3_endpoint(const boost::json::object& context, std::string_view account_id);

// Path-style URLs: <endpoint>/<bucket>[/<key>], the key encoded as SigV4
// canonicalises it (every byte but unreserved ones and '/'), so the path
// the host signs is the path sent. `query` is appended as given ("?..." or "").
std::string s3_bucket_url(std::string_view endpoint, std::string_view bucket, std::string_view query = {});
std::string s3_object_url(std::string_view endpoint, std::string_view bucket, std::string_view key,
                          std::string_view query = {});

// The part size for a file of `size` bytes: `wanted`, raised when the file
// would need more than S3's 10,000 parts.
std::uint64_t part_size_for(std::uint64_t size, std::uint64_t wanted);
std::uint64_t parts_for(std::uint64_t size, std::uint64_t part_size);

// The number of parts in a multipart ETag ("<hex>-<parts>"); 0 when the
// ETag is a plain MD5 or malformed.
std::uint64_t etag_parts(std::string_view etag);

}  // namespace pipewright::cloudflare::site
