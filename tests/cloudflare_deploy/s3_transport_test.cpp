// cloudflare.r2.upload through R2's S3 API, against the sandbox's S3 door:
// the real binary, credentials derived from an API token by the host, and
// the REST API's view of the same store checked afterwards.
#define BOOST_TEST_MODULE cloudflare_s3_transport
#include "deploy_fixture.hpp"

#include <pipewright/util/sigv4.hpp>

#include <chrono>
#include <thread>

using namespace pw::deploy_test;
namespace sbx = pw::sandbox::test;

namespace {

struct S3Fixture : DeployFixture {
  std::string token;
  S3Fixture() { token = make_token({"Workers R2 Storage Write"}); }

  std::string make_token(const std::vector<std::string>& groups) {
    auto t = sandbox.make_token(json::array{sbx::policy(groups, sbx::account_key(id().account_id))});
    extra_env["TEST_API_TOKEN"] = t.value;
    return t.value;
  }

  // Every "http" event of the run, as "METHOD host path".
  static std::vector<std::string> requests(const Run& r) {
    std::vector<std::string> out;
    for (const auto& e : r.events)
      if (e.at("type") == "http")
        out.push_back(std::string(e.at("method").as_string()) + " " + std::string(e.at("host").as_string()) + " " +
                      std::string(e.at("path").as_string()));
    return out;
  }
  static std::size_t count(const std::vector<std::string>& lines, const std::string& needle) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
  // Requests of `method` to the bucket through the S3 door (the bucket step's
  // REST create, sent on every run, is not one).
  static std::size_t count_s3(const std::vector<std::string>& lines, const std::string& method) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.starts_with(method + " ") && l.find(" /s3-sites") != std::string::npos;
    return n;
  }
  // The token and the S3 secret derived from it appear nowhere in the run's
  // output.
  void no_secrets_in(const Run& r) const {
    const auto all = r.process.out + r.process.err;
    BOOST_TEST(all.find(token) == std::string::npos);
    BOOST_TEST(all.find(pw::sigv4::sha256_hex(token)) == std::string::npos);
  }
};

void age_files(const fs::path& site) {
  for (const auto& e : fs::recursive_directory_iterator(site))
    if (e.is_regular_file())
      fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(s3_transport, S3Fixture)

BOOST_AUTO_TEST_CASE(a_deploy_through_s3_sends_no_rest_object_put_and_an_unchanged_rerun_uploads_nothing) {
  auto first = run(test_pipeline("s3-upload.json"));
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  BOOST_TEST(first.text("transport") == "s3");
  BOOST_TEST(first.integer("uploaded") == static_cast<std::int64_t>(site_files()));
  BOOST_TEST(first.integer("verified") == static_cast<std::int64_t>(site_files()));
  const auto sent = requests(first);
  BOOST_TEST(count(sent, "/r2/buckets/s3-sites/objects") == 0u);  // no REST object request at all
  BOOST_TEST(count(sent, "PUT ") == site_files());
  // Written through S3, read through the REST API: the same store.
  const auto stored = objects("s3-sites", "acme/");
  BOOST_TEST(stored.size() == site_files());
  BOOST_TEST(stored.count("acme/index.html") == 1u);
  no_secrets_in(first);

  age_files(site);
  auto again = run(test_pipeline("s3-upload.json"));
  BOOST_REQUIRE_MESSAGE(again.exit_code() == 0, again.log());
  BOOST_TEST(again.integer("uploaded") == 0);
  BOOST_TEST(again.integer("skipped") == static_cast<std::int64_t>(site_files()));
  BOOST_TEST(count(requests(again), "PUT ") == 0u);
  no_secrets_in(again);
}

BOOST_AUTO_TEST_CASE(stale_objects_are_deleted_through_delete_objects) {
  write_file(site / "old" / "gone.html", "<p>old</p>");
  auto first = run(test_pipeline("s3-upload.json"));
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  BOOST_TEST(objects("s3-sites", "acme/").count("acme/old/gone.html") == 1u);
  fs::remove_all(site / "old");
  auto second = run(test_pipeline("s3-upload.json"), {{"delete_stale", "true"}});
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.integer("deleted") == 1);
  BOOST_TEST(count_s3(requests(second), "POST") == 1u);  // one DeleteObjects
  BOOST_TEST(objects("s3-sites", "acme/").count("acme/old/gone.html") == 0u);
}

BOOST_AUTO_TEST_CASE(stale_objects_are_kept_when_an_upload_failed) {
  write_file(site / "old" / "gone.html", "<p>old</p>");
  BOOST_REQUIRE(run(test_pipeline("s3-upload.json")).exit_code() == 0);
  fs::remove_all(site / "old");
  write_file(site / "new.html", "<p>new</p>");
  sandbox.server.set_faults("500=1,methods=PUT,path=/s3-sites/acme/new.html,seed=1");
  auto r = run(test_pipeline("s3-upload.json"), {{"delete_stale", "true"}});
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() != 0);
  BOOST_TEST(r.log().find("kept 1 stale object(s): 1 upload(s) failed, so nothing is deleted") != std::string::npos,
             r.log());
  BOOST_TEST(count_s3(requests(r), "POST") == 0u);  // no DeleteObjects
  BOOST_TEST(objects("s3-sites", "acme/").count("acme/old/gone.html") == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_above_the_threshold_is_uploaded_in_parts_and_then_skipped) {
  std::string big(11 * 1024 * 1024 + 123, '\0');
  std::uint32_t x = 7;
  for (auto& c : big) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  write_file(site / "media" / "big.bin", big);
  const std::map<std::string, std::string> inputs{{"multipart_threshold_mib", "8"}, {"part_size_mib", "5"}};
  auto first = run(test_pipeline("s3-upload.json"), inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto sent = requests(first);
  BOOST_TEST(count(sent, "partNumber=") == 3u);
  BOOST_TEST(count(sent, "?uploads") == 1u);
  BOOST_TEST(first.integer("verified") == static_cast<std::int64_t>(site_files()));
  const auto stored = objects("s3-sites", "acme/");
  BOOST_REQUIRE(stored.count("acme/media/big.bin") == 1u);
  const auto etag = std::string(stored.at("acme/media/big.bin").at("etag").as_string());
  BOOST_TEST(etag.find("-3") != std::string::npos);
  BOOST_TEST(stored.at("acme/media/big.bin").at("size").to_number<std::int64_t>() ==
             static_cast<std::int64_t>(big.size()));

  age_files(site);
  auto again = run(test_pipeline("s3-upload.json"), inputs);
  BOOST_REQUIRE_MESSAGE(again.exit_code() == 0, again.log());
  BOOST_TEST(again.integer("uploaded") == 0);
  BOOST_TEST(count(requests(again), "partNumber=") == 0u);
}

BOOST_AUTO_TEST_CASE(a_multipart_upload_whose_parts_fail_is_aborted_and_leaves_nothing) {
  write_file(site / "media" / "big.bin", std::string(11 * 1024 * 1024, 'x'));
  sandbox.server.set_faults("500=1,methods=PUT,path=/s3-sites/acme/media/big.bin,seed=1");
  sandbox.client.del("/__sandbox/requests");
  auto r = run(test_pipeline("s3-upload.json"), {{"multipart_threshold_mib", "8"}, {"part_size_mib", "5"}});
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() != 0);
  BOOST_TEST(r.errors().find("the multipart upload of acme/media/big.bin failed") != std::string::npos, r.errors());
  std::size_t aborts = 0;
  const auto log = sandbox.client.get("/__sandbox/requests");
  const auto entries = log.result();
  for (const auto& entry : entries.as_array())
    if (entry.at("method") == "DELETE" && entry.at("path").as_string().find("big.bin") != json::string::npos) ++aborts;
  BOOST_TEST(aborts == 1u);
  const auto stored = objects("s3-sites", "acme/");
  BOOST_TEST(stored.count("acme/media/big.bin") == 0u);
  BOOST_TEST(stored.size() == site_files() - 1);  // the rest made it
}

BOOST_AUTO_TEST_CASE(a_token_without_r2_permission_is_told_the_missing_group_on_both_transports) {
  make_token({"Zone Read"});
  for (const std::string transport : {"s3", "api"}) {
    BOOST_TEST_CONTEXT("transport " << transport) {
      auto r = run(test_pipeline("s3-upload.json"), {{"transport", transport}});
      BOOST_TEST(r.exit_code() != 0);
      BOOST_TEST(r.errors().find("Workers R2 Storage Write") != std::string::npos, r.errors());
      no_secrets_in(r);
    }
  }
}

BOOST_AUTO_TEST_CASE(transport_api_uses_the_rest_api_and_says_so) {
  auto r = run(test_pipeline("s3-upload.json"), {{"transport", "api"}});
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.text("transport") == "api");
  BOOST_TEST(count(requests(r), "/r2/buckets/s3-sites/objects/acme/") == site_files());
}

BOOST_AUTO_TEST_CASE(a_global_key_cannot_use_s3_auto_falls_back_and_s3_fails_clearly) {
  auto fallback = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(fallback.exit_code() == 0, fallback.log());
  BOOST_TEST(fallback.text("transport") == "api");
  BOOST_TEST(fallback.process.out.find("Global API Key cannot derive them") != std::string::npos);
  auto refused = run(test_pipeline("tenant.json"), {{"transport", "s3"}});
  BOOST_TEST(refused.exit_code() != 0);
  BOOST_TEST(refused.errors().find("transport s3 cannot be used") != std::string::npos, refused.errors());
}

BOOST_AUTO_TEST_CASE(given_s3_credentials_are_used_and_masked) {
  // Wrong given credentials: R2 refuses them, and the secret never shows.
  extra_env["R2_SECRET"] = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed";
  auto r = run(test_pipeline("s3-upload-given.json"));
  BOOST_TEST(r.exit_code() != 0);
  BOOST_TEST(r.errors().find("R2 refused the S3 credentials") != std::string::npos, r.errors());
  BOOST_TEST((r.process.out + r.process.err).find(extra_env["R2_SECRET"]) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
