// AWS Signature Version 4, as S3 (and R2's S3 API) uses it: one
// implementation for the side that signs (the R2 upload plugin) and the side
// that verifies (the sandbox), so both build the canonical request the same
// way. Only the Authorization-header form; no presigned URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::sigv4 {

using Fields = std::vector<std::pair<std::string, std::string>>;

// What a signature covers. `path` and `query` are decoded (as a server
// reads them); the canonical form encodes them again, which is what every
// AWS SDK signs. `headers` are the ones signed (names in any case); `host`
// must be among them.
struct Request {
  std::string method;
  std::string path = "/";
  Fields query;
  Fields headers;
  std::string payload_hash;  // lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

// The credential scope: "20130524/us-east-1/s3/aws4_request".
struct Scope {
  std::string date;  // YYYYMMDD, the day of `amz_date`
  std::string region;
  std::string service;
  std::string text() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

// RFC 3986 unreserved characters stay, everything else becomes %XX (upper
// case); `/` stays only when `keep_slash` (a path).
std::string uri_encode(std::string_view text, bool keep_slash);
std::string sha256_hex(std::string_view data);

std::string canonical_request(const Request& request);
std::string signed_headers(const Request& request);  // "host;range;x-amz-date"
std::string string_to_sign(std::string_view amz_date, const Scope& scope, std::string_view canonical);
std::string signature(std::string_view secret_access_key, const Scope& scope, std::string_view to_sign);

// The Authorization header's value for `request` sent at `amz_date`
// (YYYYMMDD'T'HHMMSS'Z', also sent as x-amz-date).
std::string authorization(std::string_view access_key_id, std::string_view secret_access_key,
                          const Scope& scope, std::string_view amz_date, const Request& request);

// An Authorization header as a server receives it; nullopt when it is not
// a well-formed AWS4-HMAC-SHA256 one.
struct Authorization {
  std::string access_key_id;
  Scope scope;
  std::vector<std::string> signed_headers;  // lower case, in the order given
  std::string signature;
};
std::optional<Authorization> parse_authorization(std::string_view header);

// Compares two signatures in time independent of where they differ.
bool same_signature(std::string_view a, std::string_view b);

}  // namespace pw::sigv4
