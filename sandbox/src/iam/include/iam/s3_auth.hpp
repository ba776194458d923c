// Authentication on R2's S3 API (docs/sandbox.md "The S3 door"): AWS
// Signature Version 4, in the Authorization header or presigned in the
// query. The access key id is an API token's id, the secret the hex SHA-256
// of its value, which is what the token store keeps. Verification rebuilds
// the canonical request with pw_sigv4, the code the upload plugin signs with.
#pragma once

#include <chrono>
#include <optional>
#include <pipewright/util/rfc3339.hpp>
#include <pipewright/util/sigv4.hpp>
#include <string>
#include <variant>

#include "iam/principal.hpp"
#include "iam/token_store.hpp"
#include "store/db.hpp"
#include "wire/http_types.hpp"

namespace pw::sandbox {

// An S3 error to answer: status, S3 code (e.g. "SignatureDoesNotMatch") and
// a message that never holds a secret.
struct S3Denial {
  unsigned status = 403;
  std::string code;
  std::string message;
};

// How far a request's date may be from the server's clock (S3: 15 minutes).
inline constexpr std::chrono::minutes s3_max_skew{15};

// The credential a request presents, before the secret is known.
struct S3Credential {
  sigv4::Authorization authorization;
  std::string amz_date;   // YYYYMMDD'T'HHMMSS'Z'
  bool presigned = false;
  std::chrono::seconds expires{0};  // presigned only: X-Amz-Expires
  std::string payload_hash;         // as signed: hex, UNSIGNED-PAYLOAD, STREAMING-...
};

std::variant<S3Credential, S3Denial> parse_s3_credential(const Request& req);
// The request as the client signed it: method, decoded path and query (the
// presigned signature itself left out), the signed headers' values.
sigv4::Request s3_signed_request(const Request& req, const S3Credential& credential);
// RequestTimeTooSkewed, or AccessDenied for an expired presigned URL.
std::optional<S3Denial> check_s3_time(const S3Credential& credential, util::Timestamp now);
// Checks the body against x-amz-content-sha256 (XAmzContentSHA256Mismatch),
// Content-MD5 and x-amz-checksum-crc32/-crc32c/-sha256 in a header or an
// aws-chunked trailer (BadDigest), and decodes an aws-chunked body
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) in place, in memory or in its file.
std::optional<S3Denial> check_s3_payload(Request& req, const S3Credential& credential);

// All of the above, with the token lookup and its status/IP checks.
std::variant<Principal, S3Denial> authenticate_s3(Db& db, TokenLookup& tokens, Request& req,
                                                  util::Timestamp now);

}  // namespace pw::sandbox
