#include "iam/s3_auth.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <pipewright/util/text.hpp>
#include <sstream>
#include <vector>

#include "iam/auth.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {
namespace {

constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
constexpr std::string_view streaming_unsigned_trailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

S3Denial malformed(std::string message) {
  return {400, "AuthorizationHeaderMalformed", std::move(message)};
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// YYYYMMDD'T'HHMMSS'Z' -> time point.
std::optional<util::Timestamp> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  return util::parse_rfc3339(std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" +
                             std::string(d.substr(6, 2)) + "T" + std::string(d.substr(9, 2)) + ":" +
                             std::string(d.substr(11, 2)) + ":" + std::string(d.substr(13, 2)) + "Z");
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Reads one CRLF-terminated line (without it); false at end of input.
bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

// aws-chunked: "<hex size>[;ext]\r\n<bytes>\r\n" ... "0\r\n" trailers "\r\n".
// Returns the decoded size, or nullopt when the framing is broken; the
// trailer fields go to `trailers` (names lower case).
std::optional<std::uint64_t> decode_aws_chunked(std::istream& in, std::ostream& out,
                                                std::vector<std::pair<std::string, std::string>>& trailers) {
  std::string line;
  std::vector<char> buf(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    if (!read_line(in, line)) return std::nullopt;
    std::string_view size_text(line);
    size_text = size_text.substr(0, size_text.find(';'));
    std::uint64_t size = 0;
    auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size() || size_text.empty())
      return std::nullopt;
    if (size == 0) break;
    for (std::uint64_t left = size; left > 0;) {
      auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size()));
      if (!in.read(buf.data(), n)) return std::nullopt;
      out.write(buf.data(), n);
      left -= static_cast<std::uint64_t>(n);
    }
    total += size;
    if (!read_line(in, line) || !line.empty()) return std::nullopt;
  }
  // Trailer fields (a checksum the SDK computed) up to an empty line or the end.
  while (read_line(in, line) && !line.empty()) {
    auto colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    trailers.emplace_back(util::lower(line.substr(0, colon)), std::move(value));
  }
  if (!out) return std::nullopt;
  return total;
}

std::optional<S3Denial> decode_body(Request& req, std::vector<std::pair<std::string, std::string>>& trailers) {
  const S3Denial broken{400, "IncompleteBody", "The aws-chunked body is not well formed."};
  std::optional<std::uint64_t> size;
  if (req.body_file) {
    const auto decoded = req.body_file->string() + ".decoded";
    {
      std::ifstream in(*req.body_file, std::ios::binary);
      std::ofstream out(decoded, std::ios::binary);
      size = decode_aws_chunked(in, out, trailers);
    }
    std::error_code ec;
    if (!size) {
      std::filesystem::remove(decoded, ec);
      return broken;
    }
    std::filesystem::rename(decoded, *req.body_file);
  } else {
    std::istringstream in(req.body);
    std::ostringstream out;
    size = decode_aws_chunked(in, out, trailers);
    if (!size) return broken;
    req.body = std::move(out).str();
  }
  if (auto declared = req.header("x-amz-decoded-content-length");
      declared && *declared != std::to_string(*size))
    return S3Denial{400, "IncompleteBody",
                    "The body holds " + std::to_string(*size) +
                        " bytes, x-amz-decoded-content-length says " + *declared + "."};
  return std::nullopt;
}

// CRC-32 (ISO-HDLC, as zlib) and CRC-32C (Castagnoli), reflected, by table.
class Crc32 {
 public:
  explicit Crc32(std::uint32_t polynomial) {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? polynomial ^ (c >> 1) : c >> 1;
      table_[i] = c;
    }
  }
  void update(std::string_view bytes) {
    for (unsigned char b : bytes) crc_ = table_[(crc_ ^ b) & 0xff] ^ (crc_ >> 8);
  }
  // Big-endian bytes, as S3 encodes a checksum before base64.
  std::string digest() const {
    const std::uint32_t v = crc_ ^ 0xffffffffu;
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  }

 private:
  std::uint32_t table_[256];
  std::uint32_t crc_ = 0xffffffffu;
};

// Calls `fn` with the body piece by piece (it may be a file of gigabytes).
template <class Fn>
bool for_each_piece(const Request& req, Fn fn) {
  if (!req.body_file) {
    fn(std::string_view(req.body));
    return true;
  }
  std::ifstream in(*req.body_file, std::ios::binary);
  if (!in) return false;
  std::vector<char> buf(256 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) fn(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  return !in.bad();
}

std::optional<std::string> body_sha256_hex(const Request& req);

std::string raw_from_hex(std::string_view hex) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return raw;
}

// x-amz-checksum-{crc32,crc32c,sha256} (header or aws-chunked trailer):
// base64 of the digest of the (decoded) body. Other algorithms pass unchecked.
std::optional<S3Denial> check_checksums(const Request& req,
                                        const std::vector<std::pair<std::string, std::string>>& trailers) {
  std::vector<std::pair<std::string, std::string>> claimed = trailers;
  for (std::string_view name : {"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha256"})
    if (auto v = req.header(name)) claimed.emplace_back(std::string(name), *v);
  for (const auto& [name, value] : claimed) {
    std::optional<std::string> digest;
    std::string algorithm;
    if (name == "x-amz-checksum-crc32" || name == "x-amz-checksum-crc32c") {
      Crc32 crc(name == "x-amz-checksum-crc32" ? 0xEDB88320u : 0x82F63B78u);
      if (for_each_piece(req, [&](std::string_view piece) { crc.update(piece); })) digest = crc.digest();
      algorithm = name == "x-amz-checksum-crc32" ? "CRC32" : "CRC32C";
    } else if (name == "x-amz-checksum-sha256") {
      if (auto hex = body_sha256_hex(req)) digest = raw_from_hex(*hex);
      algorithm = "SHA256";
    } else {
      continue;
    }
    if (!digest || base64(*digest) != value)
      return S3Denial{400, "BadDigest",
                      "The " + algorithm + " you specified did not match the calculated checksum."};
  }
  return std::nullopt;
}

std::optional<std::string> body_sha256_hex(const Request& req) {
  if (!req.body_file) return sha256_hex(req.body);
  auto digest = file_sha256(*req.body_file);
  if (!digest) return std::nullopt;
  return util::hex(*digest);
}

std::optional<std::string> body_md5(const Request& req) {
  return req.body_file ? file_md5(*req.body_file) : md5(req.body);
}

}  // namespace

std::variant<S3Credential, S3Denial> parse_s3_credential(const Request& req) {
  S3Credential c;
  if (auto header = req.header("Authorization")) {
    auto parsed = sigv4::parse_authorization(*header);
    if (!parsed)
      return malformed(
          "The Authorization header is not AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., "
          "Signature=...");
    c.authorization = std::move(*parsed);
    c.amz_date = req.header("x-amz-date").value_or("");
    if (c.amz_date.empty())
      return S3Denial{403, "AccessDenied",
                      "AWS authentication requires a valid x-amz-date header."};
    auto hash = req.header("x-amz-content-sha256");
    if (!hash)
      return S3Denial{400, "InvalidRequest",
                      "Missing required header for this request: x-amz-content-sha256"};
    c.payload_hash = *hash;
  } else if (req.query_param("X-Amz-Algorithm")) {
    if (req.query_param("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
      return S3Denial{400, "AuthorizationQueryParametersError",
                      "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""};
    auto credential = req.query_param("X-Amz-Credential");
    auto signed_headers = req.query_param("X-Amz-SignedHeaders");
    auto sig = req.query_param("X-Amz-Signature");
    auto date = req.query_param("X-Amz-Date");
    auto expires = req.query_param("X-Amz-Expires");
    if (!credential || !signed_headers || !sig || !date || !expires)
      return S3Denial{400, "AuthorizationQueryParametersError",
                      "A presigned URL needs X-Amz-Credential, X-Amz-SignedHeaders, "
                      "X-Amz-Signature, X-Amz-Date and X-Amz-Expires."};
    auto parsed = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=" + *credential +
                                             ", SignedHeaders=" + *signed_headers +
                                             ", Signature=" + *sig);
    long long seconds = 0;
    auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
    if (!parsed || ec != std::errc() || end != expires->data() + expires->size() || seconds < 1 ||
        seconds > 604800)
      return S3Denial{400, "AuthorizationQueryParametersError",
                      "The presigned URL's X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Expires "
                      "(1 to 604800 seconds) is malformed."};
    c.authorization = std::move(*parsed);
    c.amz_date = *date;
    c.presigned = true;
    c.expires = std::chrono::seconds(seconds);
    c.payload_hash = req.header("x-amz-content-sha256").value_or(std::string(unsigned_payload));
  } else {
    return S3Denial{403, "AccessDenied",
                    "Access Denied: the request is not signed (anonymous access is not enabled)."};
  }
  const auto& scope = c.authorization.scope;
  if (scope.service != "s3")
    return malformed("The credential scope's service must be \"s3\", not \"" + scope.service + "\".");
  // R2 answers in region "auto"; SDKs that insist on an AWS region send us-east-1.
  if (scope.region != "auto" && scope.region != "us-east-1" && !scope.region.empty())
    return malformed("The authorization header is malformed; the region '" + scope.region +
                     "' is wrong; expecting 'auto'");
  if (!parse_amz_date(c.amz_date))
    return S3Denial{403, "AccessDenied", "The x-amz-date \"" + c.amz_date +
                                             "\" is not an ISO 8601 basic date (YYYYMMDDTHHMMSSZ)."};
  if (c.amz_date.substr(0, 8) != scope.date)
    return malformed("The credential scope's date " + scope.date + " is not the day of x-amz-date " +
                     c.amz_date + ".");
  bool has_host = false;
  for (const auto& h : c.authorization.signed_headers) has_host = has_host || h == "host";
  if (!has_host) return malformed("SignedHeaders must include host.");
  const auto& p = c.payload_hash;
  if (p != unsigned_payload && p != streaming_unsigned_trailer && !is_hex64(p)) {
    if (p.starts_with("STREAMING-"))
      return S3Denial{501, "NotImplemented",
                      "x-amz-content-sha256 " + p +
                          " (chunk signatures) is not emulated; send UNSIGNED-PAYLOAD, "
                          "STREAMING-UNSIGNED-PAYLOAD-TRAILER or the body's SHA-256."};
    return S3Denial{400, "InvalidArgument",
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER or a lower-case hex SHA-256."};
  }
  return c;
}

sigv4::Request s3_signed_request(const Request& req, const S3Credential& credential) {
  sigv4::Request out;
  out.method = req.method;
  out.path = percent_decode(req.path);
  for (const auto& [k, v] : req.query)
    if (!(credential.presigned && k == "X-Amz-Signature")) out.query.emplace_back(k, v);
  for (const auto& name : credential.authorization.signed_headers)
    for (const auto& field : req.headers)
      if (util::iequals(field.name_string(), name))
        out.headers.emplace_back(name, std::string(field.value()));
  out.payload_hash = credential.payload_hash;
  return out;
}

std::optional<S3Denial> check_s3_time(const S3Credential& credential, util::Timestamp now) {
  const auto signed_at = *parse_amz_date(credential.amz_date);
  if (credential.presigned) {
    if (signed_at - now > s3_max_skew)
      return S3Denial{403, "RequestTimeTooSkewed",
                      "The difference between the request time and the server's time is too large."};
    if (now > signed_at + credential.expires)
      return S3Denial{403, "AccessDenied", "Request has expired"};
    return std::nullopt;
  }
  const auto skew = signed_at > now ? signed_at - now : now - signed_at;
  if (skew > s3_max_skew)
    return S3Denial{403, "RequestTimeTooSkewed",
                    "The difference between the request time and the server's time is too large "
                    "(more than 15 minutes)."};
  return std::nullopt;
}

std::optional<S3Denial> check_s3_payload(Request& req, const S3Credential& credential) {
  const auto& claimed = credential.payload_hash;
  std::vector<std::pair<std::string, std::string>> trailers;
  if (claimed == streaming_unsigned_trailer) {
    if (auto broken = decode_body(req, trailers)) return broken;
  } else if (is_hex64(claimed)) {
    if (body_sha256_hex(req) != claimed)
      return S3Denial{400, "XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was computed."};
  }
  if (auto content_md5 = req.header("Content-MD5")) {
    auto digest = body_md5(req);
    if (!digest || base64(*digest) != *content_md5)
      return S3Denial{400, "BadDigest",
                      "The Content-MD5 you specified did not match what we received."};
  }
  return check_checksums(req, trailers);
}

std::variant<Principal, S3Denial> authenticate_s3(Db& db, TokenLookup& tokens, Request& req,
                                                  util::Timestamp now) {
  auto parsed = parse_s3_credential(req);
  if (auto* denial = std::get_if<S3Denial>(&parsed)) return std::move(*denial);
  auto& credential = std::get<S3Credential>(parsed);
  auto token = tokens.find_by_id(db, credential.authorization.access_key_id);
  if (!token)
    return S3Denial{403, "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records."};
  if (auto late = check_s3_time(credential, now)) return std::move(*late);
  const auto& scope = credential.authorization.scope;
  const std::string expected = sigv4::signature(
      token->value_sha256, scope,
      sigv4::string_to_sign(credential.amz_date, scope,
                            sigv4::canonical_request(s3_signed_request(req, credential))));
  if (!sigv4::same_signature(expected, credential.authorization.signature))
    return S3Denial{403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your secret access key and signing method."};
  switch (token_problem(token->record, req.peer_ip)) {
    case TokenProblem::none:
      break;
    case TokenProblem::ip_refused:
      return S3Denial{403, "AccessDenied",
                      "Access Denied: the token may not be used from " + req.peer_ip + "."};
    default:
      return S3Denial{403, "InvalidAccessKeyId",
                      "The AWS Access Key Id you provided is not active (the API token is "
                      "disabled, expired or not yet valid)."};
  }
  if (auto bad = check_s3_payload(req, credential)) return std::move(*bad);
  return token_principal(db, std::move(token->record));
}

}  // namespace pw::sandbox
