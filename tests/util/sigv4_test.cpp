#define BOOST_TEST_MODULE sigv4
#include <boost/test/unit_test.hpp>
#include <pipewright/util/sigv4.hpp>

using namespace pw::sigv4;

namespace {

const std::string kEmpty = sha256_hex("");

// AWS's published example: GET the first ten bytes of test.txt.
Request s3_get_example() {
  Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmpty},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = kEmpty;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(signs_the_published_s3_example) {
  const Scope scope{"20130524", "us-east-1", "s3"};
  const std::string header = authorization("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", scope,
                                           "20130524T000000Z", s3_get_example());
  BOOST_TEST(header ==
             "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
             "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
             "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

BOOST_AUTO_TEST_CASE(signs_the_test_suites_vanilla_get) {
  Request r;
  r.method = "GET";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = kEmpty;
  const Scope scope{"20150830", "us-east-1", "service"};
  BOOST_TEST(canonical_request(r) == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                     "host;x-amz-date\n" + kEmpty);
  BOOST_TEST(signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope,
                       string_to_sign("20150830T123600Z", scope, canonical_request(r))) ==
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

BOOST_AUTO_TEST_CASE(canonical_form_encodes_sorts_and_trims) {
  Request r;
  r.method = "PUT";
  r.path = "/site/docs/crème brûlée.html";
  r.query = {{"uploadId", "a/b+c"}, {"partNumber", "2"}, {"empty", ""}};
  r.headers = {{"Host", "h"}, {"X-Amz-Meta-A", "  one   two "}, {"x-amz-meta-a", "three"}};
  r.payload_hash = "UNSIGNED-PAYLOAD";
  BOOST_TEST(canonical_request(r) ==
             "PUT\n/site/docs/cr%C3%A8me%20br%C3%BBl%C3%A9e.html\n"
             "empty=&partNumber=2&uploadId=a%2Fb%2Bc\n"
             "host:h\nx-amz-meta-a:one two,three\n\nhost;x-amz-meta-a\nUNSIGNED-PAYLOAD");
  BOOST_TEST(uri_encode("a~b_c-d.e/f g", true) == "a~b_c-d.e/f%20g");
  BOOST_TEST(uri_encode("a/b", false) == "a%2Fb");
}

BOOST_AUTO_TEST_CASE(a_server_reads_back_what_a_client_signed) {
  const Scope scope{"20130524", "auto", "s3"};
  const std::string header = authorization("id", "secret", scope, "20130524T000000Z", s3_get_example());
  auto parsed = parse_authorization(header);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->access_key_id == "id");
  BOOST_TEST(parsed->scope.text() == scope.text());
  BOOST_TEST(parsed->signed_headers == (std::vector<std::string>{"host", "range", "x-amz-content-sha256", "x-amz-date"}));
  // Rebuilt from what arrived, with the right secret it matches; with
  // another secret, or a changed header, it does not.
  const auto to_sign = string_to_sign("20130524T000000Z", parsed->scope, canonical_request(s3_get_example()));
  BOOST_TEST(same_signature(signature("secret", parsed->scope, to_sign), parsed->signature));
  BOOST_TEST(!same_signature(signature("other", parsed->scope, to_sign), parsed->signature));
  Request changed = s3_get_example();
  changed.headers[1].second = "bytes=0-10";
  BOOST_TEST(!same_signature(
      signature("secret", parsed->scope, string_to_sign("20130524T000000Z", parsed->scope, canonical_request(changed))),
      parsed->signature));
}

BOOST_AUTO_TEST_CASE(malformed_authorization_headers_are_refused) {
  const std::string sig(64, 'a');
  const std::vector<std::string> malformed{
      "Bearer x", "AWS4-HMAC-SHA256 Credential=id/20130524/auto/s3/aws4_request,SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=id/2013052/auto/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
        "AWS4-HMAC-SHA256 Credential=id/20130524/auto/s3,SignedHeaders=host,Signature=" + sig,
        "AWS4-HMAC-SHA256 Credential=id/20130524/auto/s3/aws4_request,SignedHeaders=host;;x,Signature=" + sig,
        "AWS4-HMAC-SHA256 Credential=id/20130524/auto/s3/aws4_request,SignedHeaders=host,Signature=abc"};
  for (const auto& bad : malformed)
    BOOST_TEST(!parse_authorization(bad).has_value(), bad);
  BOOST_TEST(parse_authorization("AWS4-HMAC-SHA256 Credential=id/20130524/auto/s3/aws4_request, "
                                 "SignedHeaders=host, Signature=" + sig)
                 .has_value());
}
