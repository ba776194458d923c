// Each deploy plugin, run by the real pipewright binary against a sandbox
// on port 0: what it creates, that a second run changes nothing, and what it
// refuses.
#define BOOST_TEST_MODULE cloudflare_deploy_plugins
#include "deploy_fixture.hpp"

#include <chrono>
#include <thread>

using namespace pw::deploy_test;

namespace {

std::string routes_script(DeployFixture& f, const std::string& pattern) {
  auto r = f.sandbox.client.get("/zones/" + f.id().zone_id + "/workers/routes", f.global());
  for (const auto& route : r.result().as_array())
    if (route.at("pattern") == pattern.c_str())
      return route.at("script").is_string() ? std::string(route.at("script").as_string()) : "";
  return "<none>";
}

json::object hostname_record(DeployFixture& f, const std::string& hostname) {
  auto r = f.sandbox.client.get("/zones/" + f.id().zone_id + "/custom_hostnames?hostname=" + hostname, f.global());
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  for (const auto& h : r.result().as_array())
    if (h.at("hostname") == hostname.c_str()) return h.as_object();
  return {};
}

// The upload step's plan line: "N files under ...; M MD5s from the hash cache".
std::string upload_plan(const Run& r) {
  for (const auto& e : r.events) {
    const auto* type = e.if_contains("type");
    const auto* step = e.if_contains("step");
    const auto* message = e.if_contains("message");
    if (type && *type == "log" && step && *step == "upload" && message && message->is_string() &&
        message->as_string().find("from the hash cache") != json::string::npos)
      return std::string(message->as_string());
  }
  return "<no plan line>";
}

// Every site file an hour old, and its ctime (which cannot be set back)
// older than the hash cache's 50 ms margin by the time the next run starts.
void age_files(const fs::path& site) {
  for (const auto& e : fs::recursive_directory_iterator(site))
    if (e.is_regular_file())
      fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(infrastructure, DeployFixture)

BOOST_AUTO_TEST_CASE(creates_bucket_worker_and_route_then_changes_nothing) {
  auto first = run(test_pipeline("infrastructure.json"));
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  BOOST_TEST(first.flag("bucket_created"));
  BOOST_TEST(first.flag("worker_uploaded"));
  BOOST_TEST(first.flag("route_changed"));
  const std::string pattern = "*." + id().zone_name + "/*";
  BOOST_TEST(first.text("route_pattern") == pattern);
  BOOST_TEST(routes_script(*this, pattern) == "test-router");

  // The deployed module is the built-in site router, with its R2 binding.
  auto content = sandbox.client.get("/accounts/" + id().account_id + "/workers/scripts/test-router", global());
  BOOST_TEST(content.status == 200u);
  BOOST_TEST(content.body.find("hostMetadata") != std::string::npos);
  BOOST_TEST(content.body.find("pipewright:deploy-hash=") != std::string::npos);

  auto second = run(test_pipeline("infrastructure.json"));
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(!second.flag("bucket_created"));
  BOOST_TEST(!second.flag("worker_uploaded"));
  BOOST_TEST(!second.flag("route_changed"));
  BOOST_TEST(second.text("worker_etag") == first.text("worker_etag"));
}

BOOST_AUTO_TEST_CASE(uploads_the_worker_again_when_a_binding_changes) {
  BOOST_REQUIRE(run(test_pipeline("infrastructure.json")).exit_code() == 0);
  auto changed = run(test_pipeline("infrastructure.json"), {{"site_name", "renamed"}});
  BOOST_REQUIRE_MESSAGE(changed.exit_code() == 0, changed.log());
  BOOST_TEST(changed.flag("worker_uploaded"));
  BOOST_TEST(!changed.flag("bucket_created"));
}

BOOST_AUTO_TEST_CASE(refuses_a_route_bound_to_another_worker_unless_steal) {
  const std::string pattern = "shop." + id().zone_name + "/*";
  auto first = run(test_pipeline("infrastructure.json"), {{"worker", "first-router"}, {"pattern", pattern}});
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());

  auto refused = run(test_pipeline("infrastructure.json"), {{"worker", "second-router"}, {"pattern", pattern}});
  BOOST_TEST(refused.exit_code() == 1);
  BOOST_TEST(refused.errors().find("first-router") != std::string::npos, refused.log());
  BOOST_TEST(refused.errors().find("steal") != std::string::npos, refused.log());
  BOOST_TEST(routes_script(*this, pattern) == "first-router");

  auto stolen = run(test_pipeline("infrastructure.json"),
                    {{"worker", "second-router"}, {"pattern", pattern}, {"steal", "true"}});
  BOOST_REQUIRE_MESSAGE(stolen.exit_code() == 0, stolen.log());
  BOOST_TEST(stolen.flag("route_changed"));
  BOOST_TEST(stolen.text("route_previous") == "first-router");
  BOOST_TEST(routes_script(*this, pattern) == "second-router");
}

BOOST_AUTO_TEST_CASE(refuses_an_invalid_bucket_name_before_any_request) {
  auto r = run(test_pipeline("infrastructure.json"), {{"bucket", "Bad_Name"}});
  BOOST_TEST(r.exit_code() == 1);
  BOOST_TEST(r.errors().find("not a valid R2 bucket name") != std::string::npos, r.log());
  auto buckets = sandbox.client.get("/accounts/" + id().account_id + "/r2/buckets", global());
  BOOST_TEST(buckets.result().at("buckets").as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(tenant, DeployFixture)

BOOST_AUTO_TEST_CASE(uploads_every_file_with_its_key_and_type_then_skips_them_all) {
  auto first = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto files = static_cast<std::int64_t>(site_files());
  BOOST_TEST(first.integer("files") == files);
  BOOST_TEST(first.integer("uploaded") == files);
  BOOST_TEST(first.integer("skipped") == 0);

  auto stored = objects("test-sites", "acme/");
  BOOST_TEST(stored.size() == site_files());
  BOOST_REQUIRE(stored.contains("acme/docs/price list.txt"));
  BOOST_REQUIRE(stored.contains("acme/docs/crème-brûlée.html"));
  BOOST_REQUIRE(stored.contains("acme/img/logo.png"));
  BOOST_TEST(stored["acme/img/logo.png"].at("http_metadata").at("contentType") == "image/png");
  BOOST_TEST(stored["acme/index.html"].at("http_metadata").at("contentType") == "text/html; charset=utf-8");
  auto png = sandbox.client.get(objects_path("test-sites") + "/acme/img/logo.png", global());
  BOOST_TEST(png.body == read_file(site / "img" / "logo.png"));
  auto spaced = sandbox.client.get(objects_path("test-sites") + "/acme/docs/price%20list.txt", global());
  BOOST_TEST(spaced.body == read_file(site / "docs" / "price list.txt"));

  auto second = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.integer("uploaded") == 0);
  BOOST_TEST(second.integer("skipped") == files);
  BOOST_TEST(second.integer("bytes") == 0);
  BOOST_TEST(!second.flag("hostname_created"));
  BOOST_TEST(!second.flag("hostname_changed"));
  BOOST_TEST(second.text("hostname_id") == first.text("hostname_id"));
}

BOOST_AUTO_TEST_CASE(changing_one_file_uploads_exactly_that_file) {
  BOOST_REQUIRE(run(test_pipeline("tenant.json")).exit_code() == 0);
  write_file(site / "css" / "site.css", "body { color: rebeccapurple; }\n");
  auto r = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.integer("uploaded") == 1);
  BOOST_TEST(r.integer("skipped") == static_cast<std::int64_t>(site_files()) - 1);
  auto css = sandbox.client.get(objects_path("test-sites") + "/acme/css/site.css", global());
  BOOST_TEST(css.body == "body { color: rebeccapurple; }\n");
}

BOOST_AUTO_TEST_CASE(unchanged_rerun_reads_no_file_and_a_same_size_edit_is_uploaded) {
  age_files(site);
  auto first = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto files = static_cast<std::int64_t>(site_files());
  BOOST_TEST(first.integer("uploaded") == files);
  auto plan = upload_plan(first);
  BOOST_TEST(plan.find("; 0 MD5s from the hash cache") != std::string::npos, plan);

  auto second = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.integer("uploaded") == 0);
  BOOST_TEST(second.integer("skipped") == files);
  plan = upload_plan(second);
  BOOST_TEST(plan.find(", 0 to upload") != std::string::npos, plan);
  BOOST_TEST(
      plan.find("; " + std::to_string(files) + " MD5s from the hash cache") != std::string::npos,
      plan);

  // Same size, same mtime: only the ctime says the file changed.
  const auto css = site / "css" / "site.css";
  const auto before = read_file(css);
  const auto mtime = fs::last_write_time(css);
  std::string edited(before.size(), '*');
  edited.replace(0, 2, "/*");
  edited.replace(edited.size() - 2, 2, "*/");
  BOOST_REQUIRE(edited != before);
  write_file(css, edited);
  fs::last_write_time(css, mtime);
  BOOST_REQUIRE(fs::file_size(css) == before.size());

  auto third = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(third.exit_code() == 0, third.log());
  BOOST_TEST(third.integer("uploaded") == 1);
  BOOST_TEST(third.integer("skipped") == files - 1);
  plan = upload_plan(third);
  BOOST_TEST(plan.find(", 1 to upload") != std::string::npos, plan);
  BOOST_TEST(plan.find("; " + std::to_string(files - 1) + " MD5s from the hash cache") !=
                 std::string::npos,
             plan);
  auto stored = sandbox.client.get(objects_path("test-sites") + "/acme/css/site.css", global());
  BOOST_TEST(stored.body == edited);
}

BOOST_AUTO_TEST_CASE(a_wrong_remembered_md5_is_read_again_not_uploaded_on_every_run) {
  age_files(site);
  BOOST_REQUIRE(run(test_pipeline("tenant.json")).exit_code() == 0);
  BOOST_REQUIRE(run(test_pipeline("tenant.json")).exit_code() == 0);  // every MD5 recorded
  // Damage the cache: right format, wrong values.
  std::vector<fs::path> caches;
  for (const auto& e : fs::directory_iterator(work.path() / "cache" / "r2-upload")) caches.push_back(e.path());
  BOOST_REQUIRE(caches.size() == 1u);
  auto doc = json::parse(read_file(caches.front())).as_object();
  for (auto& [relative, entry] : doc.at("files").as_object())
    entry.as_array()[5] = "ffffffffffffffffffffffffffffffff";
  write_file(caches.front(), json::serialize(doc));

  const auto files = static_cast<std::int64_t>(site_files());
  auto healed = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(healed.exit_code() == 0, healed.log());
  BOOST_TEST(healed.integer("uploaded") == 0);
  BOOST_TEST(healed.integer("skipped") == files);
  auto after = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(after.exit_code() == 0, after.log());
  auto plan = upload_plan(after);
  BOOST_TEST(plan.find("; " + std::to_string(files) + " MD5s from the hash cache") != std::string::npos, plan);
}

BOOST_AUTO_TEST_CASE(a_local_problem_is_reported_before_a_failed_listing) {
  // The walk and the listing run at once; the file name is what to fix.
  write_file(site / std::string("bad\xff.html"), "x");
  sandbox.server.set_faults("500=1,methods=GET,path=/client/v4/accounts/*/r2/buckets/test-sites/objects");
  auto r = run(test_pipeline("tenant.json"));
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 1, r.log());
  BOOST_TEST(r.errors().find("not valid UTF-8") != std::string::npos, r.log());
  BOOST_TEST(r.errors().find("listing the objects") == std::string::npos, r.log());
}

BOOST_AUTO_TEST_CASE(deletes_stale_objects_of_its_prefix_only_when_asked) {
  BOOST_REQUIRE(run(test_pipeline("tenant.json")).exit_code() == 0);
  BOOST_REQUIRE(sandbox.client.put(objects_path("test-sites") + "/acme/old.html", std::string("old"),
                                   {{"X-Auth-Email", id().email}, {"X-Auth-Key", id().global_key},
                                    {"Content-Type", "text/html"}}).status == 200u);
  BOOST_REQUIRE(sandbox.client.put(objects_path("test-sites") + "/acme2/index.html", std::string("other"),
                                   {{"X-Auth-Email", id().email}, {"X-Auth-Key", id().global_key},
                                    {"Content-Type", "text/html"}}).status == 200u);

  auto kept = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(kept.exit_code() == 0, kept.log());
  BOOST_TEST(kept.integer("deleted") == 0);
  BOOST_TEST(objects("test-sites", "acme/").contains("acme/old.html"));

  auto pruned = run(test_pipeline("tenant.json"), {{"delete_stale", "true"}});
  BOOST_REQUIRE_MESSAGE(pruned.exit_code() == 0, pruned.log());
  BOOST_TEST(pruned.integer("deleted") == 1);
  BOOST_TEST(pruned.integer("uploaded") == 0);
  BOOST_TEST(!objects("test-sites", "acme/").contains("acme/old.html"));
  BOOST_TEST(objects("test-sites", "acme2/").contains("acme2/index.html"));
}

BOOST_AUTO_TEST_CASE(stale_objects_are_kept_when_an_upload_failed) {
  BOOST_REQUIRE(run(test_pipeline("tenant.json")).exit_code() == 0);
  BOOST_REQUIRE(sandbox.client.put(objects_path("test-sites") + "/acme/old.html", std::string("old"),
                                   {{"X-Auth-Email", id().email}, {"X-Auth-Key", id().global_key},
                                    {"Content-Type", "text/html"}}).status == 200u);
  write_file(site / "new.html", "<p>new</p>");
  sandbox.server.set_faults("500=1,methods=PUT,path=/client/v4/accounts/*/objects/acme/new.html");
  auto r = run(test_pipeline("tenant.json"), {{"delete_stale", "true"}});
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 1);
  BOOST_TEST(r.log().find("kept 1 stale object(s)") != std::string::npos, r.log());
  BOOST_TEST(objects("test-sites", "acme/").contains("acme/old.html"));
}

BOOST_AUTO_TEST_CASE(a_failed_put_fails_the_step_naming_the_key_after_the_others_finish) {
  BOOST_REQUIRE(run(test_pipeline("infrastructure.json")).exit_code() == 0);  // the bucket
  sandbox.server.set_faults("500=1,methods=PUT,path=/client/v4/accounts/*/objects/acme/css/site.css");
  auto r = run(test_pipeline("tenant.json"));
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 1);
  BOOST_TEST(r.errors().find("acme/css/site.css") != std::string::npos, r.log());
  auto stored = objects("test-sites", "acme/");
  BOOST_TEST(stored.size() == site_files() - 1);
  BOOST_TEST(!stored.contains("acme/css/site.css"));

  auto retried = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(retried.exit_code() == 0, retried.log());
  BOOST_TEST(retried.integer("uploaded") == 1);
}

BOOST_AUTO_TEST_CASE(refuses_a_hostname_of_another_tenant_unless_adopt) {
  const std::string domain = "shop.acme-bakery.net";
  BOOST_REQUIRE(run(test_pipeline("tenant.json"), {{"domain", domain}}).exit_code() == 0);
  BOOST_TEST(hostname_record(*this, domain).at("custom_metadata").at("tenant") == "acme");

  auto refused = run(test_pipeline("tenant.json"), {{"tenant", "globex"}, {"domain", domain}});
  BOOST_TEST(refused.exit_code() == 1);
  BOOST_TEST(refused.errors().find("belongs to tenant 'acme'") != std::string::npos, refused.log());
  BOOST_TEST(refused.errors().find("adopt") != std::string::npos, refused.log());
  BOOST_TEST(hostname_record(*this, domain).at("custom_metadata").at("tenant") == "acme");

  auto adopted = run(test_pipeline("tenant.json"), {{"tenant", "globex"}, {"domain", domain}, {"adopt", "true"}});
  BOOST_REQUIRE_MESSAGE(adopted.exit_code() == 0, adopted.log());
  BOOST_TEST(adopted.flag("hostname_changed"));
  BOOST_TEST(hostname_record(*this, domain).at("custom_metadata").at("tenant") == "globex");
  auto mapping = sandbox.client.get(objects_path("test-sites") + "/_hostnames/" + domain, global());
  BOOST_TEST(mapping.status == 200u);
  BOOST_TEST(json::parse(mapping.body).at("tenant") == "globex");
}

BOOST_AUTO_TEST_CASE(waits_until_the_hostname_is_active) {
  auto r = run(test_pipeline("tenant.json"), {{"wait_active", "true"}});
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.flag("hostname_active"));
  BOOST_TEST(r.text("hostname_status") == "active");
  BOOST_TEST(r.text("ssl_status") == "active");
}

BOOST_AUTO_TEST_CASE(reports_validation_records_of_a_pending_hostname) {
  auto r = run(test_pipeline("tenant.json"));
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.flag("hostname_created"));
  BOOST_TEST(r.text("hostname_status") != "active");
  BOOST_TEST(r.outputs.at("validation_records").is_array());
  BOOST_TEST(r.text("mapping_key") == "_hostnames/shop.acme-bakery.net");
}

BOOST_AUTO_TEST_SUITE_END()
