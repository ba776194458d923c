#define BOOST_TEST_MODULE sandbox_s3_auth
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <pipewright/util/sigv4.hpp>
#include <random>

#include "iam/s3_auth.hpp"

using namespace pw::sandbox;
namespace sigv4 = pw::sigv4;

namespace {

const std::string kEmpty = sigv4::sha256_hex("");
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// A request as the connection hands it to the dispatcher: the raw path, the
// decoded query, the headers as sent.
Request server_request(std::string method, std::string target,
                       std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.target = target;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    for (std::size_t start = 0; start <= rest.size();) {
      auto amp = rest.find('&', start);
      std::string pair = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      auto eq = pair.find('=');
      r.query.emplace_back(percent_decode(pair.substr(0, eq)),
                           eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1)));
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  for (auto& [k, v] : headers) r.headers.insert(k, v);
  r.body = std::move(body);
  r.peer_ip = "127.0.0.1";
  return r;
}

// Signs `r` the way a client does (pw_sigv4 from the client side) and adds
// the Authorization header.
void sign(Request& r, std::string_view amz_date, std::string_view payload_hash,
          std::string_view secret = kSecret, std::string_view region = "auto") {
  sigv4::Request c;
  c.method = r.method;
  c.path = percent_decode(r.path);
  c.query = r.query;
  for (const auto& f : r.headers) c.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  c.payload_hash = std::string(payload_hash);
  const sigv4::Scope scope{std::string(amz_date.substr(0, 8)), std::string(region), "s3"};
  r.headers.set("Authorization", sigv4::authorization("AKIAIOSFODNN7EXAMPLE", secret, scope, amz_date, c));
}

std::string expected_signature(const Request& r, const S3Credential& c, std::string_view secret = kSecret) {
  const auto& scope = c.authorization.scope;
  return sigv4::signature(secret, scope,
                          sigv4::string_to_sign(c.amz_date, scope, sigv4::canonical_request(s3_signed_request(r, c))));
}

S3Credential credential_of(const Request& r) {
  auto parsed = parse_s3_credential(r);
  if (auto* d = std::get_if<S3Denial>(&parsed)) BOOST_FAIL("refused: " + d->code + " " + d->message);
  return std::get<S3Credential>(parsed);
}

std::string denial_code(const std::variant<S3Credential, S3Denial>& v) {
  auto* d = std::get_if<S3Denial>(&v);
  return d ? d->code : "";
}

pw::util::Timestamp at(std::string_view rfc3339) { return *pw::util::parse_rfc3339(rfc3339); }

}  // namespace

BOOST_AUTO_TEST_CASE(rebuilds_the_published_s3_example_from_the_server_side) {
  // AWS's documented GET with Range, region us-east-1 (accepted like "auto").
  Request r = server_request("GET", "/test.txt",
                             {{"Host", "examplebucket.s3.amazonaws.com"},
                              {"Range", "bytes=0-9"},
                              {"x-amz-content-sha256", kEmpty},
                              {"x-amz-date", "20130524T000000Z"},
                              {"User-Agent", "not signed"}});
  r.headers.set("Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  auto c = credential_of(r);
  BOOST_TEST(c.authorization.access_key_id == "AKIAIOSFODNN7EXAMPLE");
  BOOST_TEST(expected_signature(r, c) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  // Only the signed headers count: an unsigned header may change in transit.
  r.headers.set("User-Agent", "changed");
  BOOST_TEST(expected_signature(r, c) == c.authorization.signature);
  r.headers.set("Range", "bytes=0-10");
  BOOST_TEST(expected_signature(r, c) != c.authorization.signature);
}

BOOST_AUTO_TEST_CASE(percent_encoded_keys_and_query_verify_as_signed) {
  Request r = server_request("PUT", "/site/docs/cr%C3%A8me%20br%C3%BBl%C3%A9e.html?partNumber=2&uploadId=a%2Fb%2Bc",
                             {{"Host", "127.0.0.1:9000"},
                              {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                              {"x-amz-date", "20260101T000000Z"}});
  sign(r, "20260101T000000Z", "UNSIGNED-PAYLOAD");
  auto c = credential_of(r);
  BOOST_TEST(expected_signature(r, c) == c.authorization.signature);
  BOOST_TEST(expected_signature(r, c, "another secret") != c.authorization.signature);
  r.query[0].second = "3";  // another part number than signed
  BOOST_TEST(expected_signature(r, c) != c.authorization.signature);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_credentials_with_s3_codes) {
  auto base = [] {
    return server_request("GET", "/b/k", {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                                          {"x-amz-date", "20260101T000000Z"}});
  };
  Request anonymous = base();
  BOOST_TEST(denial_code(parse_s3_credential(anonymous)) == "AccessDenied");

  Request bearer = base();
  bearer.headers.set("Authorization", "Bearer abc");
  BOOST_TEST(denial_code(parse_s3_credential(bearer)) == "AuthorizationHeaderMalformed");

  Request region = base();
  sign(region, "20260101T000000Z", "UNSIGNED-PAYLOAD", kSecret, "eu-west-1");
  BOOST_TEST(denial_code(parse_s3_credential(region)) == "AuthorizationHeaderMalformed");

  Request no_hash = base();
  no_hash.headers.erase("x-amz-content-sha256");
  sign(no_hash, "20260101T000000Z", "UNSIGNED-PAYLOAD");
  BOOST_TEST(denial_code(parse_s3_credential(no_hash)) == "InvalidRequest");

  Request chunk_signed = base();
  chunk_signed.headers.set("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  sign(chunk_signed, "20260101T000000Z", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  auto refused = parse_s3_credential(chunk_signed);
  BOOST_TEST(denial_code(refused) == "NotImplemented");
  BOOST_TEST(std::get<S3Denial>(refused).status == 501u);

  Request other_day = base();
  sign(other_day, "20260101T000000Z", "UNSIGNED-PAYLOAD");
  other_day.headers.set("x-amz-date", "20260102T000000Z");
  BOOST_TEST(denial_code(parse_s3_credential(other_day)) == "AuthorizationHeaderMalformed");
}

BOOST_AUTO_TEST_CASE(allows_fifteen_minutes_of_skew_either_way) {
  Request r = server_request("GET", "/b", {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                                           {"x-amz-date", "20260101T120000Z"}});
  sign(r, "20260101T120000Z", "UNSIGNED-PAYLOAD");
  auto c = credential_of(r);
  BOOST_TEST(!check_s3_time(c, at("2026-01-01T12:14:59Z")));
  BOOST_TEST(!check_s3_time(c, at("2026-01-01T11:45:01Z")));
  auto late = check_s3_time(c, at("2026-01-01T12:15:01Z"));
  BOOST_TEST_REQUIRE(late.has_value());
  BOOST_TEST(late->code == "RequestTimeTooSkewed");
  BOOST_TEST(late->status == 403u);
  BOOST_TEST(check_s3_time(c, at("2026-01-01T11:44:59Z"))->code == "RequestTimeTooSkewed");
}

BOOST_AUTO_TEST_CASE(presigned_urls_verify_without_their_signature_and_expire) {
  Request r = server_request(
      "GET",
      "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fauto%2Fs3%2Faws4_request"
      "&X-Amz-Date=20260101T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
      {{"Host", "h"}});
  sigv4::Request c;
  c.method = "GET";
  c.path = "/b/k";
  c.query = r.query;
  c.headers = {{"host", "h"}};
  c.payload_hash = "UNSIGNED-PAYLOAD";
  const sigv4::Scope scope{"20260101", "auto", "s3"};
  const std::string sig =
      sigv4::signature(kSecret, scope, sigv4::string_to_sign("20260101T120000Z", scope, sigv4::canonical_request(c)));
  r.query.emplace_back("X-Amz-Signature", sig);
  auto credential = credential_of(r);
  BOOST_TEST(credential.presigned);
  BOOST_TEST(expected_signature(r, credential) == sig);
  BOOST_TEST(!check_s3_time(credential, at("2026-01-01T12:00:59Z")));
  auto expired = check_s3_time(credential, at("2026-01-01T12:01:01Z"));
  BOOST_TEST_REQUIRE(expired.has_value());
  BOOST_TEST(expired->code == "AccessDenied");

  Request bad_expiry = r;
  for (auto& [k, v] : bad_expiry.query)
    if (k == "X-Amz-Expires") v = "604801";
  BOOST_TEST(denial_code(parse_s3_credential(bad_expiry)) == "AuthorizationQueryParametersError");
}

BOOST_AUTO_TEST_CASE(checks_a_signed_payload_hash_against_the_body) {
  const std::string body = "hello, bucket";
  Request r = server_request("PUT", "/b/k", {{"Host", "h"}, {"x-amz-content-sha256", sigv4::sha256_hex(body)},
                                             {"x-amz-date", "20260101T000000Z"}},
                             body);
  sign(r, "20260101T000000Z", sigv4::sha256_hex(body));
  auto c = credential_of(r);
  BOOST_TEST(!check_s3_payload(r, c));
  r.body = "hello, bucket!";
  auto bad = check_s3_payload(r, c);
  BOOST_TEST_REQUIRE(bad.has_value());
  BOOST_TEST(bad->code == "XAmzContentSHA256Mismatch");
  BOOST_TEST(bad->status == 400u);

  Request empty = server_request("GET", "/b/k", {{"Host", "h"}, {"x-amz-content-sha256", kEmpty},
                                                 {"x-amz-date", "20260101T000000Z"}});
  sign(empty, "20260101T000000Z", kEmpty);
  BOOST_TEST(!check_s3_payload(empty, credential_of(empty)));
}

BOOST_AUTO_TEST_CASE(unsigned_payload_accepts_any_body_but_content_md5_is_checked) {
  Request r = server_request("PUT", "/b/k", {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                                             {"x-amz-date", "20260101T000000Z"}},
                             "abc");
  sign(r, "20260101T000000Z", "UNSIGNED-PAYLOAD");
  auto c = credential_of(r);
  BOOST_TEST(!check_s3_payload(r, c));
  r.headers.set("Content-MD5", "kAFQmDzST7DWlj99KOF/cg==");  // MD5("abc")
  BOOST_TEST(!check_s3_payload(r, c));
  r.body = "abd";
  auto bad = check_s3_payload(r, c);
  BOOST_TEST_REQUIRE(bad.has_value());
  BOOST_TEST(bad->code == "BadDigest");
}

BOOST_AUTO_TEST_CASE(decodes_aws_chunked_bodies_in_memory_and_on_disk) {
  const std::string framed =
      "5\r\nhello\r\n7\r\n, world\r\n0\r\nx-amz-checksum-crc32:/6tyOg==\r\n\r\n";
  Request r = server_request("PUT", "/b/k", {{"Host", "h"},
                                             {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                                             {"x-amz-decoded-content-length", "12"},
                                             {"x-amz-date", "20260101T000000Z"}},
                             framed);
  sign(r, "20260101T000000Z", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  auto c = credential_of(r);
  BOOST_TEST(!check_s3_payload(r, c));
  BOOST_TEST(r.body == "hello, world");

  auto file = std::filesystem::temp_directory_path() / ("pw-s3-chunked-" + std::to_string(std::random_device{}()));
  std::ofstream(file, std::ios::binary) << framed;
  Request on_disk = r;
  on_disk.body.clear();
  on_disk.body_file = file;
  BOOST_TEST(!check_s3_payload(on_disk, c));
  std::ifstream in(file, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(back == "hello, world");
  std::filesystem::remove(file);

  Request wrong_length = r;
  wrong_length.body = framed;
  wrong_length.headers.set("x-amz-decoded-content-length", "13");
  BOOST_TEST(check_s3_payload(wrong_length, c)->code == "IncompleteBody");

  Request truncated = r;
  truncated.body = "5\r\nhel";
  BOOST_TEST(check_s3_payload(truncated, c)->code == "IncompleteBody");

  Request bad_trailer = r;
  bad_trailer.body = "5\r\nhello\r\n7\r\n, World\r\n0\r\nx-amz-checksum-crc32:/6tyOg==\r\n\r\n";
  auto refused = check_s3_payload(bad_trailer, c);
  BOOST_TEST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->code == "BadDigest");
  BOOST_TEST(refused->message.find("CRC32") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(checks_crc32_crc32c_and_sha256_checksum_headers) {
  Request r = server_request("PUT", "/b/k", {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                                             {"x-amz-date", "20260101T000000Z"}},
                             "hello, world");
  sign(r, "20260101T000000Z", "UNSIGNED-PAYLOAD");
  auto c = credential_of(r);
  struct Case {
    const char* header;
    const char* right;  // of "hello, world"
  };
  for (auto [header, right] : {Case{"x-amz-checksum-crc32", "/6tyOg=="}, Case{"x-amz-checksum-crc32c", "aZmkHw=="},
                               Case{"x-amz-checksum-sha256", "Ccp+TqpuiunH0mEWcSkYSINkTQffuny/vEyKLgg2DVs="}}) {
    BOOST_TEST_CONTEXT(header) {
      Request ok = r;
      ok.headers.set(header, right);
      BOOST_TEST(!check_s3_payload(ok, c));
      Request bad = r;
      bad.headers.set(header, "AAAAAA==");
      auto refused = check_s3_payload(bad, c);
      BOOST_TEST_REQUIRE(refused.has_value());
      BOOST_TEST(refused->code == "BadDigest");
    }
  }
}
