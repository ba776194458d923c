// R2 buckets and objects (docs/cloudflare-api.md 5.2, 5.3).
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

void make_bucket(SandboxFixture& f, const std::string& name) {
  auto r = f.client.post(r2(f.id()), json::object{{"name", name}}, f.global());
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
}

HttpResponse put_object(SandboxFixture& f, const std::string& bucket, const std::string& raw_key, std::string body,
                        Headers h = {}) {
  for (const auto& g : f.global()) h.push_back(g);
  return f.client.request("PUT", r2(f.id(), "/" + bucket + "/objects/" + raw_key), h, std::move(body));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(r2_buckets)

BOOST_AUTO_TEST_CASE(creates_gets_lists_and_deletes_a_bucket) {
  SandboxFixture f;
  // wrangler sends the JSON body without a JSON Content-Type.
  auto c = f.client.post(r2(f.id()), std::string(R"({"name":"site-assets","locationHint":"WEUR","storageClass":"InfrequentAccess"})"),
                         Headers{{"Content-Type", "text/plain;charset=UTF-8"}, f.global()[0], f.global()[1]});
  BOOST_TEST_REQUIRE(c.status == 200u, c.body);
  BOOST_TEST(c.result().at("name").as_string() == "site-assets");
  BOOST_TEST(c.result().at("location").as_string() == "WEUR");
  BOOST_TEST(c.result().at("storage_class").as_string() == "InfrequentAccess");
  BOOST_TEST(c.result().at("jurisdiction").as_string() == "default");
  BOOST_TEST(c.result().at("creation_date").as_string().size() > 19u);

  auto lower = f.client.post(r2(f.id()), json::object{{"name", "other-assets"}, {"locationHint", "apac"}}, f.global());
  BOOST_TEST(lower.result().at("location").as_string() == "APAC");

  auto g = f.client.get(r2(f.id(), "/site-assets"), f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.result().at("name").as_string() == "site-assets");

  auto l = f.client.get(r2(f.id()), f.global());
  BOOST_TEST(l.status == 200u);
  BOOST_TEST(l.result().at("buckets").as_array().size() == 2u);
  BOOST_TEST(l.json.at("result_info").at("cursor").as_string() == "");

  auto d = f.client.del(r2(f.id(), "/site-assets"), f.global());
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.success());
  BOOST_TEST(d.result().is_object());
  auto gone = f.client.get(r2(f.id(), "/site-assets"), f.global());
  BOOST_TEST(gone.status == 404u);
  BOOST_TEST(gone.error_code() == 10006);
  BOOST_TEST(f.client.del(r2(f.id(), "/site-assets"), f.global()).error_code() == 10006);
}

BOOST_AUTO_TEST_CASE(refuses_bad_names_and_existing_buckets) {
  SandboxFixture f;
  for (const std::string& bad : std::vector<std::string>{"Upper-Case", "ab", "-leading", "trailing-", "has_underscore", std::string(64, 'a')}) {
    auto r = f.client.post(r2(f.id()), json::object{{"name", bad}}, f.global());
    BOOST_TEST(r.status == 400u, bad);
    BOOST_TEST(r.error_code() == 10005, bad);
  }
  make_bucket(f, "site-assets");
  auto again = f.client.post(r2(f.id()), json::object{{"name", "site-assets"}}, f.global());
  BOOST_TEST(again.status == 409u);
  BOOST_TEST(again.error_code() == 10004);
  auto eu = f.client.post(r2(f.id()), json::object{{"name", "site-assets"}},
                          Headers{{"cf-r2-jurisdiction", "eu"}, f.global()[0], f.global()[1]});
  BOOST_TEST(eu.status == 200u);
  BOOST_TEST(eu.result().at("jurisdiction").as_string() == "eu");
}

BOOST_AUTO_TEST_CASE(invalid_name_probe_is_400_with_write_and_403_without) {
  SandboxFixture f;
  auto writer = f.make_token({policy({"Workers R2 Storage Write"}, account_key(f.id().account_id))});
  auto reader = f.make_token({policy({"Workers R2 Storage Read"}, account_key(f.id().account_id))});
  auto zone_only = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  auto bad = json::object{{"name", "NOT VALID"}};
  auto w = f.client.post(r2(f.id()), bad, bearer(writer.value));
  BOOST_TEST(w.status == 400u);
  BOOST_TEST(w.error_code() == 10005);
  auto r = f.client.post(r2(f.id()), bad, bearer(reader.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 10000);
  BOOST_TEST(f.client.get(r2(f.id()), bearer(reader.value)).status == 200u);
  auto z = f.client.get(r2(f.id()), bearer(zone_only.value));
  BOOST_TEST(z.status == 403u);
  BOOST_TEST(z.error_code() == 10000);
  BOOST_TEST(f.client.get(r2(f.id()), f.global()).result().at("buckets").as_array().empty());
}

BOOST_AUTO_TEST_CASE(lists_buckets_by_cursor_until_the_cursor_is_empty) {
  SandboxFixture f;
  for (auto n : {"alpha-1", "alpha-2", "beta-1", "beta-2", "gamma-1"}) make_bucket(f, n);
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = f.client.get(r2(f.id(), "?per_page=2" + (cursor.empty() ? "" : "&cursor=" + cursor)), f.global());
    BOOST_TEST_REQUIRE(r.status == 200u);
    for (const auto& b : r.result().at("buckets").as_array()) seen.emplace_back(b.at("name").as_string());
    BOOST_TEST(r.json.at("result_info").at("per_page").as_int64() == 2);
    cursor = std::string(r.json.at("result_info").at("cursor").as_string());
    BOOST_REQUIRE(++pages < 10);
  } while (!cursor.empty());
  BOOST_TEST(pages == 3);
  BOOST_TEST(seen == (std::vector<std::string>{"alpha-1", "alpha-2", "beta-1", "beta-2", "gamma-1"}));

  auto contains = f.client.get(r2(f.id(), "?name_contains=beta"), f.global());
  BOOST_TEST(contains.result().at("buckets").as_array().size() == 2u);
  auto after = f.client.get(r2(f.id(), "?start_after=beta-2"), f.global());
  BOOST_TEST(after.result().at("buckets").as_array().size() == 1u);
  BOOST_TEST(after.result().at("buckets").at(0).at("name").as_string() == "gamma-1");
}

BOOST_AUTO_TEST_CASE(refuses_to_delete_a_non_empty_bucket) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  BOOST_TEST(put_object(f, "site-assets", "index.html", "<h1>hi</h1>").status == 200u);
  auto d = f.client.del(r2(f.id(), "/site-assets"), f.global());
  BOOST_TEST(d.status == 409u);
  BOOST_TEST(d.error_code() == 10008);
  BOOST_TEST(f.client.del(r2(f.id(), "/site-assets/objects/index.html"), f.global()).status == 200u);
  BOOST_TEST(f.client.del(r2(f.id(), "/site-assets"), f.global()).status == 200u);
}

BOOST_AUTO_TEST_CASE(patch_sets_the_storage_class_from_the_header) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  auto with_class = [&](Headers h, const std::string& storage_class) {
    h.emplace_back("cf-r2-storage-class", storage_class);
    return h;
  };
  auto p = f.client.patch(r2(f.id(), "/site-assets"), "", with_class(f.global(), "InfrequentAccess"));
  BOOST_TEST_REQUIRE(p.status == 200u, p.body);
  BOOST_TEST(p.result().at("name").as_string() == "site-assets");
  BOOST_TEST(p.result().at("storage_class").as_string() == "InfrequentAccess");
  BOOST_TEST(p.result().at("location").as_string() == "ENAM");
  BOOST_TEST(p.result().at("jurisdiction").as_string() == "default");
  BOOST_TEST(!p.result().at("creation_date").as_string().empty());
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets"), f.global()).result().at("storage_class").as_string() ==
             "InfrequentAccess");

  auto bad = f.client.patch(r2(f.id(), "/site-assets"), "", with_class(f.global(), "Glacier"));
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(bad.error_code() == 10040);
  BOOST_TEST(bad.error_message().find("cf-r2-storage-class") != std::string::npos);
  BOOST_TEST(f.client.patch(r2(f.id(), "/site-assets"), "", f.global()).error_code() == 10040);
  auto missing = f.client.patch(r2(f.id(), "/no-such-bucket"), "", with_class(f.global(), "Standard"));
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 10006);

  auto reader = f.make_token({policy({"Workers R2 Storage Read"}, account_key(f.id().account_id))});
  auto denied = f.client.patch(r2(f.id(), "/site-assets"), "", with_class(bearer(reader.value), "Standard"));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 10000);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets"), f.global()).result().at("storage_class").as_string() ==
             "InfrequentAccess");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(r2_objects)

BOOST_AUTO_TEST_CASE(put_get_delete_with_md5_etag_and_if_none_match) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  auto p = put_object(f, "site-assets", "hello.txt", "hello world",
                      {{"Content-Type", "text/plain"}, {"Cache-Control", "max-age=60"}});
  BOOST_TEST_REQUIRE(p.status == 200u, p.body);
  BOOST_TEST(p.result().at("key").as_string() == "hello.txt");
  BOOST_TEST(p.result().at("size").as_string() == "11");  // a string, not a number
  BOOST_TEST(p.result().at("etag").as_string() == "5eb63bbbe01eeed093cb22bb8f5acdc3");
  std::string version(p.result().at("version").as_string());
  BOOST_TEST(std::regex_match(version, std::regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")));
  BOOST_TEST(p.result().at("storage_class").as_string() == "Standard");

  auto g = f.client.get(r2(f.id(), "/site-assets/objects/hello.txt"), f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.body == "hello world");
  BOOST_TEST(g.header("Content-Type") == "text/plain");
  BOOST_TEST(g.header("ETag") == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  BOOST_TEST(g.header("Cache-Control") == "max-age=60");

  Headers inm = f.global();
  inm.emplace_back("If-None-Match", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  auto nm = f.client.get(r2(f.id(), "/site-assets/objects/hello.txt"), inm);
  BOOST_TEST(nm.status == 304u);
  BOOST_TEST(nm.body.empty());
  Headers other = f.global();
  other.emplace_back("If-None-Match", "\"0000\"");
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/objects/hello.txt"), other).status == 200u);

  auto d = f.client.del(r2(f.id(), "/site-assets/objects/hello.txt"), f.global());
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.result().at("key").as_string() == "hello.txt");
  auto missing = f.client.get(r2(f.id(), "/site-assets/objects/hello.txt"), f.global());
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 10007);
  auto again = f.client.del(r2(f.id(), "/site-assets/objects/hello.txt"), f.global());
  BOOST_TEST(again.status == 200u);  // idempotent, still with a body
  BOOST_TEST(again.result().at("key").as_string() == "hello.txt");
}

BOOST_AUTO_TEST_CASE(default_content_type_and_missing_bucket) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  auto h = f.global();
  BOOST_TEST(f.client.request("PUT", r2(f.id(), "/site-assets/objects/blob.bin"), h, std::string("\x01\x02", 2)).status == 200u);
  auto g = f.client.get(r2(f.id(), "/site-assets/objects/blob.bin"), f.global());
  BOOST_TEST(g.header("Content-Type") == "application/octet-stream");
  BOOST_TEST(g.body == std::string("\x01\x02", 2));
  auto nb = put_object(f, "no-such-bucket", "x.txt", "x");
  BOOST_TEST(nb.status == 404u);
  BOOST_TEST(nb.error_code() == 10006);
}

BOOST_AUTO_TEST_CASE(raw_and_encoded_keys_name_the_same_object) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  BOOST_TEST_REQUIRE(put_object(f, "site-assets", "a/b%20c.html", "first").status == 200u);
  auto g = f.client.get(r2(f.id(), "/site-assets/objects/a%2Fb%20c.html"), f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.body == "first");
  auto p = put_object(f, "site-assets", "a%2Fb%20c.html", "second");
  BOOST_TEST(p.result().at("key").as_string() == "a/b c.html");
  auto l = f.client.get(r2(f.id(), "/site-assets/objects"), f.global());
  BOOST_TEST_REQUIRE(l.result().as_array().size() == 1u);
  BOOST_TEST(l.result().at(0).at("key").as_string() == "a/b c.html");
  BOOST_TEST(l.result().at(0).at("size").as_int64() == 6);
  BOOST_TEST(f.client.get(r2(f.id(), "/site-assets/objects/a/b%20c.html"), f.global()).body == "second");
}

// The listing is written as text, not through a JSON DOM: keys, prefixes
// and metadata that need escaping must come back exactly as stored.
BOOST_AUTO_TEST_CASE(lists_keys_that_need_escaping_exactly) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  const std::vector<std::pair<std::string, std::string>> keys{
      {"t/quote\"d.html", "t/quote%22d.html"},       {"t/back\\slash.html", "t/back%5Cslash.html"},
      {"t/tab\tand\nnewline", "t/tab%09and%0Anewline"}, {"t/ctl\x01\x1f.bin", "t/ctl%01%1F.bin"},
      {"t/caf\xc3\xa9 \xe2\x82\xac.html", "t/caf%C3%A9%20%E2%82%AC.html"},
      {"t/dir\"x/inner.html", "t/dir%22x/inner.html"}};
  for (const auto& [key, encoded] : keys) {
    auto p = put_object(f, "site-assets", encoded, key, {{"Content-Type", "text/html; charset=\"utf-8\""}});
    BOOST_TEST_REQUIRE(p.status == 200u, p.body);
    BOOST_TEST(p.result().at("key").as_string() == key);
  }
  auto l = f.client.get(r2(f.id(), "/site-assets/objects?prefix=t/"), f.global());
  BOOST_TEST_REQUIRE(l.status == 200u, l.body);
  std::set<std::string> listed;
  for (const auto& o : l.result().as_array()) {
    listed.emplace(o.at("key").as_string());
    BOOST_TEST(o.at("http_metadata").at("contentType").as_string() == "text/html; charset=\"utf-8\"");
  }
  std::set<std::string> expected;
  for (const auto& k : keys) expected.insert(k.first);
  BOOST_TEST(listed == expected, boost::test_tools::per_element());

  auto d = f.client.get(r2(f.id(), "/site-assets/objects?prefix=t/&delimiter=/"), f.global());
  BOOST_TEST_REQUIRE(d.status == 200u, d.body);
  BOOST_TEST(d.json.at("result_info").at("delimited") == (json::array{"t/dir\"x/"}));
  BOOST_TEST(d.result().as_array().size() == keys.size() - 1);
}

BOOST_AUTO_TEST_CASE(lists_with_prefix_delimiter_and_cursor_until_not_truncated) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  for (auto k : {"t1/index.html", "t1/css/a.css", "t1/css/b.css", "t1/img/x.png", "t2/index.html", "root.txt"})
    BOOST_TEST_REQUIRE(put_object(f, "site-assets", k, k).status == 200u);

  auto d = f.client.get(r2(f.id(), "/site-assets/objects?prefix=t1/&delimiter=/"), f.global());
  BOOST_TEST_REQUIRE(d.status == 200u);
  BOOST_TEST(d.result().as_array().size() == 1u);
  BOOST_TEST(d.result().at(0).at("key").as_string() == "t1/index.html");
  BOOST_TEST(d.result().at(0).at("http_metadata").at("contentType").as_string() == "application/octet-stream");
  const auto& info = d.json.at("result_info");
  BOOST_TEST(info.at("delimited") == (json::array{"t1/css/", "t1/img/"}));
  BOOST_TEST(info.at("is_truncated").as_bool() == false);
  BOOST_TEST(info.at("cursor").as_string() == "");

  std::vector<std::string> keys;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto r = f.client.get(r2(f.id(), "/site-assets/objects?per_page=4" + (cursor.empty() ? "" : "&cursor=" + cursor)), f.global());
    BOOST_TEST_REQUIRE(r.status == 200u);
    for (const auto& o : r.result().as_array()) keys.emplace_back(o.at("key").as_string());
    ++pages;
    bool truncated = r.json.at("result_info").at("is_truncated").as_bool();
    cursor = std::string(r.json.at("result_info").at("cursor").as_string());
    BOOST_TEST(truncated == !cursor.empty());
    if (!truncated) break;
    BOOST_REQUIRE(pages < 10);
  }
  BOOST_TEST(pages == 2);
  BOOST_TEST(keys.size() == 6u);
  BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));

  auto after = f.client.get(r2(f.id(), "/site-assets/objects?start_after=t2/index.html"), f.global());
  BOOST_TEST(after.result().as_array().empty());
  BOOST_TEST(after.json.at("result_info").at("is_truncated").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(bucket_item_groups_apply_to_their_bucket_only) {
  SandboxFixture f;
  make_bucket(f, "tenant-a");
  make_bucket(f, "tenant-b");
  BOOST_TEST_REQUIRE(put_object(f, "tenant-a", "x.txt", "a").status == 200u);
  BOOST_TEST_REQUIRE(put_object(f, "tenant-b", "x.txt", "b").status == 200u);
  auto reader = f.make_token({policy({"Workers R2 Storage Bucket Item Read"},
                                     bucket_key(f.id().account_id, "default", "tenant-a"))});
  BOOST_TEST(f.client.get(r2(f.id(), "/tenant-a/objects/x.txt"), bearer(reader.value)).body == "a");
  BOOST_TEST(f.client.get(r2(f.id(), "/tenant-a/objects"), bearer(reader.value)).status == 200u);
  auto other = f.client.get(r2(f.id(), "/tenant-b/objects/x.txt"), bearer(reader.value));
  BOOST_TEST(other.status == 403u);
  BOOST_TEST(other.error_code() == 10000);
  auto write = f.client.request("PUT", r2(f.id(), "/tenant-a/objects/y.txt"), bearer(reader.value), "y");
  BOOST_TEST(write.status == 403u);
  BOOST_TEST(write.error_code() == 10000);
  auto buckets = f.client.get(r2(f.id()), bearer(reader.value));
  BOOST_TEST(buckets.status == 403u);

  auto writer = f.make_token({policy({"Workers R2 Storage Bucket Item Write"},
                                     bucket_key(f.id().account_id, "default", "tenant-a"))});
  BOOST_TEST(f.client.request("PUT", r2(f.id(), "/tenant-a/objects/y.txt"), bearer(writer.value), "y").status == 200u);
  BOOST_TEST(f.client.del(r2(f.id(), "/tenant-a/objects/y.txt"), bearer(writer.value)).status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
