// The S3 door over real sockets, requests signed with pw_sigv4 as the upload
// plugin signs them: what the AWS SDK test (tests/s3_compat) does not reach —
// faults, the rate budget, the request log, framing and part-size rules.
#define BOOST_TEST_MODULE sandbox_s3_door
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <ctime>
#include <pipewright/util/sigv4.hpp>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;
namespace sigv4 = pw::sigv4;
namespace http = boost::beast::http;

namespace {

struct S3Response {
  unsigned status = 0;
  http::fields headers;
  std::string body;
  bool has(std::string_view code) const { return body.find("<Code>" + std::string(code) + "</Code>") != std::string::npos; }
};

std::string amz_now(std::chrono::seconds offset = std::chrono::seconds(0)) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// One signed request on a new connection. `path` is decoded ("/bucket/key");
// `payload` is "UNSIGNED-PAYLOAD", or empty to sign the body's SHA-256.
struct S3Client {
  std::uint16_t port;
  std::string key_id, secret;

  S3Response send(const std::string& method, const std::string& path, sigv4::Fields query = {},
                  std::string body = "", sigv4::Fields headers = {}, std::string payload = "") const {
    const std::string date = amz_now();
    sigv4::Request c;
    c.method = method;
    c.path = path;
    c.query = query;
    c.payload_hash = payload.empty() ? sigv4::sha256_hex(body) : payload;
    c.headers = headers;
    c.headers.emplace_back("host", "127.0.0.1:" + std::to_string(port));
    c.headers.emplace_back("x-amz-date", date);
    c.headers.emplace_back("x-amz-content-sha256", c.payload_hash);
    const sigv4::Scope scope{date.substr(0, 8), "auto", "s3"};
    std::string target = sigv4::uri_encode(path, true);
    for (std::size_t i = 0; i < query.size(); ++i)
      target += (i ? "&" : "?") + sigv4::uri_encode(query[i].first, false) + "=" +
                sigv4::uri_encode(query[i].second, false);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    for (const auto& [k, v] : c.headers) req.set(k, v);
    req.set(http::field::authorization, sigv4::authorization(key_id, secret, scope, date, c));
    req.body() = std::move(body);
    req.prepare_payload();
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    if (method == "HEAD") parser.skip(true);
    http::read(socket, buffer, parser);
    auto res = parser.release();
    S3Response out{res.result_int(), {}, std::move(res.body())};
    for (const auto& f : res) out.headers.insert(f.name_string(), f.value());
    return out;
  }
};

struct S3Fixture {
  explicit S3Fixture(Options o = {}) : f(std::move(o)) {
    BOOST_TEST_REQUIRE(f.client.post("/accounts/" + f.id().account_id + "/r2/buckets",
                                     json::value(json::object{{"name", "assets"}}), f.global())
                           .status == 200u);
    writer = f.make_token({policy({"Workers R2 Storage Write"}, account_key(f.id().account_id))});
  }
  S3Client s3(const CreatedToken& t) const { return {f.server.s3_port(), t.id, sigv4::sha256_hex(t.value)}; }
  S3Client s3() const { return s3(writer); }

  SandboxFixture f;
  CreatedToken writer;
};

}  // namespace

BOOST_AUTO_TEST_CASE(s3_requests_spend_no_rest_budget) {
  Options o;
  o.rate_limit_requests = 3;
  S3Fixture x(o);
  for (int i = 0; i < 10; ++i) BOOST_TEST(x.s3().send("GET", "/assets", {{"list-type", "2"}}).status == 200u);
  for (int i = 0; i < 3; ++i) BOOST_TEST(x.f.client.get("/user/tokens/verify", bearer(x.writer.value)).status == 200u);
  BOOST_TEST(x.f.client.get("/user/tokens/verify", bearer(x.writer.value)).status == 429u);
  BOOST_TEST(x.s3().send("GET", "/assets", {{"list-type", "2"}}).status == 200u);
}

BOOST_AUTO_TEST_CASE(injected_faults_reach_the_s3_door_in_s3_words) {
  S3Fixture x;
  x.f.server.set_faults("429=1,count=1");
  auto throttled = x.s3().send("PUT", "/assets/a.txt", {}, "a");
  BOOST_TEST(throttled.status == 429u);
  BOOST_TEST(throttled.has("SlowDown"));
  BOOST_TEST(std::string(throttled.headers["Retry-After"]) == "1");
  BOOST_TEST(x.s3().send("HEAD", "/assets/a.txt").status == 404u, "the throttled PUT stored nothing");

  x.f.server.set_faults("503=1,count=1,methods=PUT");
  auto unavailable = x.s3().send("PUT", "/assets/a.txt", {}, "a");
  BOOST_TEST(unavailable.status == 503u);
  BOOST_TEST(unavailable.has("ServiceUnavailable"));

  x.f.server.set_faults("drop_before=1,count=1");
  BOOST_CHECK_THROW(x.s3().send("PUT", "/assets/a.txt", {}, "a"), boost::system::system_error);
  BOOST_TEST(x.s3().send("PUT", "/assets/a.txt", {}, "a").status == 200u);

  x.f.server.set_faults("path=/assets/only-this,500=1");
  BOOST_TEST(x.s3().send("GET", "/assets/a.txt").status == 200u, "the path glob matches S3 paths");
  BOOST_TEST(x.s3().send("GET", "/assets/only-this").status == 500u);
}

BOOST_AUTO_TEST_CASE(request_log_names_the_token_never_the_derived_secret) {
  S3Fixture x;
  BOOST_TEST(x.s3().send("PUT", "/assets/logged.txt", {}, "x").status == 200u);
  auto wrong = S3Client{x.f.server.s3_port(), x.writer.id, sigv4::sha256_hex("guess")};
  BOOST_TEST(wrong.send("GET", "/assets/logged.txt").has("SignatureDoesNotMatch"));
  auto log = x.f.client.get("/__sandbox/requests");
  BOOST_TEST(log.body.find("token:" + x.writer.id) != std::string::npos);
  BOOST_TEST(log.body.find("/assets/logged.txt") != std::string::npos);
  BOOST_TEST(log.body.find(sigv4::sha256_hex(x.writer.value)) == std::string::npos);
  BOOST_TEST(log.body.find(x.writer.value) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_body_that_does_not_match_its_signed_hash_is_not_stored) {
  S3Fixture x;
  auto r = x.s3().send("PUT", "/assets/tampered.txt", {}, "the body", {}, sigv4::sha256_hex("another body"));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.has("XAmzContentSHA256Mismatch"));
  BOOST_TEST(x.s3().send("HEAD", "/assets/tampered.txt").status == 404u);
}

BOOST_AUTO_TEST_CASE(head_answers_get_headers_without_a_body) {
  S3Fixture x;
  auto put = x.s3().send("PUT", "/assets/page.html", {}, "<p>hi</p>", {{"content-type", "text/html"}});
  BOOST_TEST(put.status == 200u);
  auto head = x.s3().send("HEAD", "/assets/page.html");
  BOOST_TEST(head.status == 200u);
  BOOST_TEST(std::string(head.headers["Content-Length"]) == "9");
  BOOST_TEST(std::string(head.headers["Content-Type"]) == "text/html");
  BOOST_TEST(std::string(head.headers["ETag"]) == std::string(put.headers["ETag"]));
  BOOST_TEST(std::string(head.headers["ETag"]).size() == 34u);
  BOOST_TEST(head.body.empty());
  auto missing = x.s3().send("HEAD", "/assets/nothing-here");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.body.empty());
}

BOOST_AUTO_TEST_CASE(lists_version_one_and_url_encoded_keys) {
  S3Fixture x;
  for (std::string key : {"a/1", "a/2", "b/1", "c d.txt", "e"})
    BOOST_TEST(x.s3().send("PUT", "/assets/" + key, {}, key).status == 200u);
  auto first = x.s3().send("GET", "/assets", {{"delimiter", "/"}, {"max-keys", "2"}});
  BOOST_TEST(first.body.find("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>") != std::string::npos);
  BOOST_TEST(first.body.find("<IsTruncated>true</IsTruncated>") != std::string::npos);
  BOOST_TEST(first.body.find("<NextMarker>b/</NextMarker>") != std::string::npos);
  auto second = x.s3().send("GET", "/assets", {{"delimiter", "/"}, {"max-keys", "2"}, {"marker", "b/"}});
  BOOST_TEST(second.body.find("<Key>c d.txt</Key>") != std::string::npos);
  BOOST_TEST(second.body.find("<Key>e</Key>") != std::string::npos);
  BOOST_TEST(second.body.find("<Prefix>b/</Prefix>") == std::string::npos, "a NextMarker prefix is not listed again");
  BOOST_TEST(second.body.find("<IsTruncated>false</IsTruncated>") != std::string::npos);
  auto encoded = x.s3().send("GET", "/assets", {{"list-type", "2"}, {"encoding-type", "url"}, {"prefix", "c"}});
  BOOST_TEST(encoded.body.find("<Key>c%20d.txt</Key>") != std::string::npos);
  BOOST_TEST(encoded.body.find("<EncodingType>url</EncodingType>") != std::string::npos);
  BOOST_TEST(x.s3().send("GET", "/assets", {{"list-type", "2"}, {"continuation-token", "zz"}}).has("InvalidArgument"));
}

BOOST_AUTO_TEST_CASE(bucket_item_tokens_reach_their_bucket_only) {
  S3Fixture x;
  BOOST_TEST(x.f.client.post("/accounts/" + x.f.id().account_id + "/r2/buckets",
                             json::value(json::object{{"name", "private"}}), x.f.global())
                 .status == 200u);
  auto item = x.f.make_token({policy({"Workers R2 Storage Bucket Item Write"},
                                     bucket_key(x.f.id().account_id, "default", "assets"))});
  BOOST_TEST(x.s3(item).send("PUT", "/assets/mine.txt", {}, "ok").status == 200u);
  auto other = x.s3(item).send("PUT", "/private/theirs.txt", {}, "no");
  BOOST_TEST(other.status == 403u);
  BOOST_TEST(other.has("AccessDenied"));
  auto buckets = x.s3(item).send("GET", "/");
  BOOST_TEST(buckets.body.find("<Name>assets</Name>") != std::string::npos);
  BOOST_TEST(buckets.body.find("<Name>private</Name>") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_disabled_token_is_an_inactive_access_key) {
  S3Fixture x;
  auto disabled = x.f.make_token({policy({"Workers R2 Storage Write"}, account_key(x.f.id().account_id))},
                                 json::object{{"status", "disabled"}});
  auto refused = x.s3(disabled).send("GET", "/assets", {{"list-type", "2"}});
  BOOST_TEST(refused.status == 403u);
  BOOST_TEST(refused.has("InvalidAccessKeyId"));
}

BOOST_AUTO_TEST_CASE(multipart_parts_but_the_last_must_be_of_one_size) {
  S3Fixture x;
  auto created = x.s3().send("POST", "/assets/big.bin", {{"uploads", ""}});
  auto a = created.body.find("<UploadId>"), b = created.body.find("</UploadId>");
  BOOST_TEST_REQUIRE(a != std::string::npos);
  const std::string id = created.body.substr(a + 10, b - a - 10);
  std::string complete = "<CompleteMultipartUpload>";
  const std::size_t MiB = 1 << 20;
  for (auto [n, size] : std::vector<std::pair<int, std::size_t>>{{1, 6 * MiB}, {2, 5 * MiB}, {3, 10}}) {
    auto part = x.s3().send("PUT", "/assets/big.bin", {{"partNumber", std::to_string(n)}, {"uploadId", id}},
                            std::string(size, static_cast<char>('a' + n)), {}, "UNSIGNED-PAYLOAD");
    BOOST_TEST_REQUIRE(part.status == 200u);
    complete += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" +
                std::string(part.headers["ETag"]) + "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  auto refused = x.s3().send("POST", "/assets/big.bin", {{"uploadId", id}}, complete);
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.has("InvalidPart"));
  BOOST_TEST(refused.body.find("same length") != std::string::npos);
  BOOST_TEST(x.s3().send("DELETE", "/assets/big.bin", {{"uploadId", id}}).status == 204u);
  BOOST_TEST(x.s3().send("DELETE", "/assets/big.bin", {{"uploadId", id}}).has("NoSuchUpload"));
}

BOOST_AUTO_TEST_CASE(delete_objects_refuses_more_than_a_thousand_keys) {
  S3Fixture x;
  std::string body = "<Delete>";
  for (int i = 0; i < 1001; ++i) body += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  body += "</Delete>";
  auto r = x.s3().send("POST", "/assets", {{"delete", ""}}, body);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.has("MalformedXML"));
  BOOST_TEST(x.s3().send("POST", "/assets", {{"delete", ""}}, "<Delete><Object>").has("MalformedXML"));
}

// The XML parser recurses per level: a body nested 200,000 deep is refused
// before it reaches it, and the door still answers afterwards.
BOOST_AUTO_TEST_CASE(deeply_nested_xml_is_refused_not_parsed) {
  S3Fixture x;
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "<a>";
  auto r = x.s3().send("POST", "/assets", {{"delete", ""}}, "<Delete>" + deep);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.has("MalformedXML"));
  auto created = x.s3().send("POST", "/assets/deep.bin", {{"uploads", ""}});
  BOOST_REQUIRE(created.status == 200u);
  const auto at = created.body.find("<UploadId>") + 10;
  const std::string id = created.body.substr(at, created.body.find("</UploadId>") - at);
  auto complete = x.s3().send("POST", "/assets/deep.bin", {{"uploadId", id}}, "<CompleteMultipartUpload>" + deep);
  BOOST_TEST(complete.has("MalformedXML"));
}

BOOST_AUTO_TEST_CASE(ranges_answer_the_bytes_asked_for) {
  S3Fixture x;
  std::string body;
  for (int i = 0; i < 100000; ++i) body += static_cast<char>('a' + i % 26);
  BOOST_TEST(x.s3().send("PUT", "/assets/letters", {}, body).status == 200u);
  auto middle = x.s3().send("GET", "/assets/letters", {}, "", {{"range", "bytes=70000-70009"}});
  BOOST_TEST(middle.status == 206u);
  BOOST_TEST(middle.body == body.substr(70000, 10));
  BOOST_TEST(std::string(middle.headers["Content-Range"]) == "bytes 70000-70009/100000");
  auto suffix = x.s3().send("GET", "/assets/letters", {}, "", {{"range", "bytes=-5"}});
  BOOST_TEST(suffix.body == body.substr(99995));
  auto open_ended = x.s3().send("GET", "/assets/letters", {}, "", {{"range", "bytes=99990-"}});
  BOOST_TEST(open_ended.body == body.substr(99990));
  auto beyond = x.s3().send("GET", "/assets/letters", {}, "", {{"range", "bytes=100000-"}});
  BOOST_TEST(beyond.status == 416u);
  BOOST_TEST(beyond.has("InvalidRange"));
  BOOST_TEST(std::string(beyond.headers["Content-Range"]) == "bytes */100000");
}
