// The S3 API's XML as cloudflare.r2.upload writes and reads it, the ETag S3
// gives an object uploaded in parts, the S3 credentials derived from a
// token, and which transport a step uses.
#define BOOST_TEST_MODULE cloudflare_s3_wire
#include <boost/test/unit_test.hpp>

#include "s3_wire.hpp"
#include "site_files.hpp"
#include "transport.hpp"
#include "test_support.hpp"  // tests/runtime: TempDir

#include <pipewright/cloudflare/credentials.hpp>

#include <boost/json.hpp>

#include <fstream>

namespace s3 = pipewright::cloudflare::s3;
namespace site = pipewright::cloudflare::site;

BOOST_AUTO_TEST_CASE(reads_a_list_page_with_its_continuation) {
  std::string error;
  auto page = s3::parse_list_page(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>sites</Name><Prefix>acme/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>abc==</NextContinuationToken>
  <Contents><Key>acme/a &amp; b.html</Key><ETag>"9e107d9d372bb6826bd81d3542a419d6"</ETag><Size>12</Size></Contents>
  <Contents><Key>acme/big.bin</Key><ETag>&quot;61e3716e3a7767581863b67c4e785584-3&quot;</ETag><Size>10</Size></Contents>
  <CommonPrefixes><Prefix>acme/img/</Prefix></CommonPrefixes>
</ListBucketResult>)",
      error);
  BOOST_REQUIRE_MESSAGE(page, error);
  BOOST_REQUIRE_EQUAL(page->objects.size(), 2u);
  BOOST_TEST(page->objects[0].key == "acme/a & b.html");
  BOOST_TEST(page->objects[0].etag == "9e107d9d372bb6826bd81d3542a419d6");
  BOOST_TEST(page->objects[0].size == 12u);
  BOOST_TEST(page->objects[1].etag == "61e3716e3a7767581863b67c4e785584-3");
  BOOST_TEST(page->common_prefixes == std::vector<std::string>{"acme/img/"});
  BOOST_TEST(page->truncated);
  BOOST_TEST(page->next_token == "abc==");
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_a_list_page) {
  std::string error;
  BOOST_TEST(!s3::parse_list_page("<Error><Code>NoSuchBucket</Code></Error>", error));
  BOOST_TEST(error == "the answer is not a ListBucketResult");
  BOOST_TEST(!s3::parse_list_page("{\"json\": true}", error));
  BOOST_TEST(error.find("not XML") != std::string::npos);
  BOOST_TEST(!s3::parse_list_page("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", error));
  BOOST_TEST(error == "the listing is truncated but gives no continuation token");
}

BOOST_AUTO_TEST_CASE(refuses_hostile_xml_before_parsing_it) {
  std::string error;
  // Deep enough to overflow the stack of a recursive parser; must be refused, not parsed.
  std::string deep;
  for (int i = 0; i < 50000; ++i) deep += "<a>";
  BOOST_TEST(!s3::parse_list_page(deep, error));
  BOOST_TEST(error == "the S3 endpoint answered XML nested more than 16 deep");
  BOOST_TEST(!s3::parse_error(deep));
  // Quoted attribute values, comments and CDATA cannot hide open tags from the depth scan.
  std::string hidden;
  for (int i = 0; i < 40; ++i) hidden += "<a x=\"/>\"><!-- </a> --><![CDATA[</a>]]>";
  BOOST_TEST(!s3::parse_list_page(hidden, error));
  BOOST_TEST(error == "the S3 endpoint answered XML nested more than 16 deep");
  std::string big = "<ListBucketResult>" + std::string(5u << 20, ' ') + "</ListBucketResult>";
  BOOST_TEST(!s3::parse_list_page(big, error));
  BOOST_TEST(error.find("bytes of XML, more than the 4194304 accepted") != std::string::npos);
  // Sixteen levels with self-closed elements still parse.
  std::string ok = "<ListBucketResult><IsTruncated>false</IsTruncated><Empty/>";
  for (int i = 0; i < 14; ++i) ok += "<x>";
  for (int i = 0; i < 14; ++i) ok += "</x>";
  ok += "</ListBucketResult>";
  BOOST_TEST(s3::parse_list_page(ok, error).has_value(), error);
}

BOOST_AUTO_TEST_CASE(a_listing_that_cycles_or_never_ends_is_stopped) {
  auto page = [](std::string token) {
    s3::ListPage p;
    p.truncated = true;
    p.next_token = std::move(token);
    return p;
  };
  s3::ListingCursor cycling;
  BOOST_TEST(!cycling.refuse_next(page("A")));
  BOOST_TEST(!cycling.refuse_next(page("B")));
  auto refused = cycling.refuse_next(page("A"));  // not the previous token, one from before
  BOOST_REQUIRE(refused);
  BOOST_TEST(*refused == "the S3 endpoint answered a continuation token it had already given");
  s3::ListingCursor endless(3);
  BOOST_TEST(!endless.refuse_next(page("1")));
  BOOST_TEST(!endless.refuse_next(page("2")));
  refused = endless.refuse_next(page("3"));
  BOOST_REQUIRE(refused);
  BOOST_TEST(*refused == "the listing did not end after 3 pages");
}

BOOST_AUTO_TEST_CASE(reads_error_answers) {
  auto e = s3::parse_error(
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
      "does not match</Message></Error>");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->code == "SignatureDoesNotMatch");
  BOOST_TEST(e->message == "The request signature we calculated does not match");
  BOOST_TEST(!s3::parse_error(""));
  BOOST_TEST(!s3::parse_error("<Error><Message>no code</Message></Error>"));
}

BOOST_AUTO_TEST_CASE(writes_delete_objects_with_escaped_keys_and_reads_failures) {
  BOOST_TEST(s3::delete_objects_body({"a<b>&\"c'.html", "x"}) ==
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
             "<Object><Key>a&lt;b&gt;&amp;&quot;c&apos;.html</Key></Object><Object><Key>x</Key></Object></Delete>");
  std::string error;
  auto failed = s3::parse_delete_result(
      "<DeleteResult><Error><Key>x</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>", error);
  BOOST_REQUIRE(failed);
  BOOST_REQUIRE_EQUAL(failed->size(), 1u);
  BOOST_TEST(failed->front().first == "x");
  BOOST_TEST(failed->front().second.code == "AccessDenied");
  auto none = s3::parse_delete_result("<DeleteResult/>", error);
  BOOST_REQUIRE(none);
  BOOST_TEST(none->empty());
  BOOST_TEST(s3::content_md5("<Delete/>") == "ePbrFwvNFIRnzBrIv+T8Ag==");
}

BOOST_AUTO_TEST_CASE(multipart_upload_bodies) {
  BOOST_TEST(*s3::parse_upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                                  "<UploadId>u-1</UploadId></InitiateMultipartUploadResult>") == "u-1");
  BOOST_TEST(!s3::parse_upload_id("<InitiateMultipartUploadResult/>"));
  BOOST_TEST(s3::complete_multipart_body({"\"e1\"", "e2"}) ==
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>"
             "<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
             "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part></CompleteMultipartUpload>");
}

BOOST_AUTO_TEST_CASE(multipart_etag_is_the_md5_of_the_parts_md5s) {
  pw::test::TempDir dir;
  const auto file = dir.path / "f";
  std::ofstream(file, std::ios::binary) << "0123456789";
  BOOST_TEST(site::multipart_etag(file, 4) == "61e3716e3a7767581863b67c4e785584-3");
  BOOST_TEST(site::multipart_etag(file, 5) == "9a6dbec798b1bfe66cc7659d2bb41720-2");
  BOOST_TEST(site::multipart_etag(file, 10) == "8e938564cd1410f0ec1c1781466a6738-1");
  BOOST_TEST(site::multipart_etag(file, 1 << 20) == "8e938564cd1410f0ec1c1781466a6738-1");
  const auto empty = dir.path / "empty";
  std::ofstream(empty, std::ios::binary).flush();
  BOOST_TEST(site::multipart_etag(empty, 4) == "59adb24ef3cdbe0297f05b395827453f-1");
  BOOST_CHECK_THROW(site::multipart_etag(dir.path / "missing", 4), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(s3_credentials_derive_from_the_tokens_id_and_the_sha256_of_its_value) {
  const auto c = pipewright::cloudflare::s3_credentials_from_token("f267e341f3dd4697bd3b9f71dd96247f", "abc");
  BOOST_TEST(c.access_key_id == "f267e341f3dd4697bd3b9f71dd96247f");
  // SHA-256("abc"), lower-case hex.
  BOOST_TEST(c.secret_access_key == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {
boost::json::object context_with(bool signing, std::string api = "https://api.cloudflare.com/client/v4",
                                 std::string r2 = "") {
  boost::json::object urls{{"cloudflare", api}};
  if (!r2.empty()) urls["r2_s3"] = r2;
  boost::json::object c{{"base_urls", urls}, {"auth", "token"}};
  if (signing) c["signing"] = boost::json::array{"aws-sigv4"};
  return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(auto_chooses_s3_when_the_auth_provides_credentials_and_says_why_not_otherwise) {
  auto s3 = site::choose_transport("auto", context_with(true), 4);
  BOOST_TEST(s3.transport == "s3");
  auto api = site::choose_transport("auto", context_with(false), 4);
  BOOST_TEST(api.transport == "api");
  BOOST_TEST(api.reason.find("no S3 credentials") != std::string::npos);
  auto old_host = site::choose_transport("auto", context_with(true), 3);
  BOOST_TEST(old_host.transport == "api");
  BOOST_TEST(old_host.reason.find("ABI 1.3") != std::string::npos);
  BOOST_TEST(site::choose_transport("api", context_with(true), 4).transport == "api");
}

BOOST_AUTO_TEST_CASE(s3_asked_without_credentials_is_an_error_not_a_fallback) {
  auto c = site::choose_transport("s3", context_with(false), 4);
  BOOST_TEST(c.transport.empty());
  BOOST_TEST(c.error.find("no S3 credentials") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(another_api_than_cloudflares_needs_an_explicit_r2_endpoint_for_s3) {
  auto sandbox = context_with(true, "http://127.0.0.1:8787/client/v4");
  BOOST_TEST(site::choose_transport("auto", sandbox, 4).transport == "api");
  BOOST_TEST(!site::choose_transport("s3", sandbox, 4).error.empty());
  auto named = context_with(true, "http://127.0.0.1:8787/client/v4", "http://127.0.0.1:8787/r2/");
  BOOST_TEST(site::choose_transport("auto", named, 4).transport == "s3");
  BOOST_TEST(site::s3_endpoint(named, "acc") == "http://127.0.0.1:8787/r2");
  BOOST_TEST(site::s3_endpoint(context_with(true), "0123456789abcdef0123456789abcdef") ==
             "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com");
}

BOOST_AUTO_TEST_CASE(an_account_id_that_is_not_32_hex_digits_names_no_s3_host) {
  for (const char* bad : {"0123abcd", "evil.example.com/x", "0123456789ABCDEF0123456789ABCDEF",
                          "0123456789abcdef0123456789abcdef.attacker", ""})
    BOOST_CHECK_THROW(site::s3_endpoint(context_with(true), bad), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(object_urls_are_path_style_with_keys_encoded_as_sigv4_canonicalises_them) {
  BOOST_TEST(site::s3_object_url("http://h:1", "sites", "acme/a b/ü+x.html", "?uploads") ==
             "http://h:1/sites/acme/a%20b/%C3%BC%2Bx.html?uploads");
  BOOST_TEST(site::s3_bucket_url("http://h:1", "sites", "?delete") == "http://h:1/sites?delete");
}

BOOST_AUTO_TEST_CASE(part_sizes_stay_within_ten_thousand_parts) {
  const std::uint64_t mib = 1024 * 1024;
  BOOST_TEST(site::part_size_for(1024 * mib, 16 * mib) == 16 * mib);
  BOOST_TEST(site::parts_for(1024 * mib, 16 * mib) == 64u);
  BOOST_TEST(site::parts_for(16 * mib + 1, 16 * mib) == 2u);
  const std::uint64_t huge = 200000 * mib;
  BOOST_TEST(site::parts_for(huge, site::part_size_for(huge, 16 * mib)) <= 10000u);
}

BOOST_AUTO_TEST_CASE(a_multipart_etag_tells_its_number_of_parts) {
  BOOST_TEST(site::etag_parts("d41d8cd98f00b204e9800998ecf8427e-3") == 3u);
  BOOST_TEST(site::etag_parts("d41d8cd98f00b204e9800998ecf8427e") == 0u);
  BOOST_TEST(site::etag_parts("abc-") == 0u);
  BOOST_TEST(site::etag_parts("abc-x1") == 0u);
}

BOOST_AUTO_TEST_CASE(reads_the_etag_of_a_completed_multipart_upload) {
  BOOST_TEST(s3::parse_complete_etag(R"(<?xml version="1.0"?><CompleteMultipartUploadResult><Bucket>b</Bucket>
    <Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>)") ==
             "3858f62230ac3c915f300c664312c11f-9");
  BOOST_TEST(s3::parse_complete_etag("<Error><Code>InternalError</Code></Error>").empty());
}
