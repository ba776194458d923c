// Workers scripts and the endpoints wrangler deploy calls (docs/cloudflare-api.md 5.4).
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

const std::string source = "export default { fetch() { return new Response('hi'); } };";

json::object module_metadata(const std::string& bucket = "site-assets") {
  return json::object{{"main_module", "index.js"},
                      {"compatibility_date", "2026-01-15"},
                      {"bindings", json::array{json::object{{"type", "r2_bucket"}, {"name", "ASSETS"}, {"bucket_name", bucket}},
                                               json::object{{"type", "plain_text"}, {"name", "SITE_NAME"}, {"text", "demo"}},
                                               json::object{{"type", "secret_text"}, {"name", "API_SECRET"}, {"text", "s3cr3t-value"}},
                                               json::object{{"type", "json"}, {"name", "CONFIG"}, {"json", json::object{{"a", 1}}}}}}};
}

void make_bucket(SandboxFixture& f, const std::string& name) {
  BOOST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", name}}, f.global()).status == 200u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_scripts)

BOOST_AUTO_TEST_CASE(a_worker_bundle_larger_than_a_megabyte_uploads) {
  // Real bundles pass 1 MB; the HTTP parser's own 1 MB default once closed
  // the connection on them before the route's limit applied.
  SandboxFixture f;
  make_bucket(f, "site-assets");
  std::string source = "export default { fetch() { return new Response('hi'); } };\n";
  source += "// " + std::string(3 << 20, 'x') + "\n";
  auto w = upload(f.client, scripts(f.id(), "/big-worker"), module_worker(module_metadata(), source), f.global());
  BOOST_TEST_REQUIRE(w.status == 200u, w.body.substr(0, 300));
  BOOST_TEST(w.result().at("id").as_string() == "big-worker");
}

BOOST_AUTO_TEST_CASE(a_declared_body_over_the_route_limit_is_413_before_it_is_sent) {
  // JSON routes take up to 64 MiB; the answer comes after the head alone,
  // so a client waiting on Expect: 100-continue (or reading early) is told.
  SandboxFixture f;
  const auto res = raw_exchange(f.server.port(),
                                "POST /client/v4/accounts/" + f.id().account_id + "/r2/buckets HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\nX-Auth-Email: " + f.id().email + "\r\nX-Auth-Key: " +
                                    f.id().global_key + "\r\nContent-Length: " + std::to_string((64u << 20) + 1) +
                                    "\r\nExpect: 100-continue\r\n\r\n");
  BOOST_TEST(res.result_int() == 413u);
  BOOST_TEST(res.body().find("10001") != std::string::npos, res.body());
}

BOOST_AUTO_TEST_CASE(uploads_lists_downloads_and_deletes_in_both_multipart_layouts) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  auto w = upload(f.client, scripts(f.id(), "/site-worker?bindings_inherit=strict&excludeScript=true"),
                  module_worker(module_metadata(), source), f.global());
  BOOST_TEST_REQUIRE(w.status == 200u, w.body);
  BOOST_TEST(w.result().at("id").as_string() == "site-worker");
  BOOST_TEST(!w.result().at("etag").as_string().empty());
  BOOST_TEST(w.result().at("handlers") == (json::array{"fetch"}));
  BOOST_TEST(w.result().at("compatibility_date").as_string() == "2026-01-15");
  BOOST_TEST(w.result().at("usage_model").as_string() == "standard");
  BOOST_TEST(!w.result().at("deployment_id").as_string().empty());
  BOOST_TEST(w.body.find("s3cr3t-value") == std::string::npos);

  // TS SDK v6: metadata as a file part, modules under the part name "files".
  std::vector<FormPart> sdk{{"metadata", "metadata", "application/json",
                             R"({"main_module":"worker.mjs","compatibility_date":"2026-01-15"})"},
                            {"files", "worker.mjs", "application/javascript+module", source},
                            {"files", "lib.mjs", "application/javascript+module", "export const x = 1;"}};
  auto s = upload(f.client, scripts(f.id(), "/sdk_worker"), sdk, f.global());
  BOOST_TEST_REQUIRE(s.status == 200u, s.body);

  auto l = f.client.get(scripts(f.id()), f.global());
  BOOST_TEST(l.status == 200u);
  BOOST_TEST_REQUIRE(l.result().as_array().size() == 2u);
  BOOST_TEST(l.result().at(0).at("id").as_string() == "sdk_worker");
  BOOST_TEST(l.result().at(1).at("has_modules").as_bool());
  BOOST_TEST(!l.json.as_object().contains("result_info"));

  auto g = f.client.get(scripts(f.id(), "/site-worker"), f.global());
  BOOST_TEST(g.status == 200u);
  BOOST_TEST(g.body == source);
  BOOST_TEST(g.header("Content-Type") == "application/javascript+module");
  auto multi = f.client.get(scripts(f.id(), "/sdk_worker"), f.global());
  BOOST_TEST(multi.header("Content-Type").rfind("multipart/form-data; boundary=", 0) == 0u);
  BOOST_TEST(multi.body.find("export const x = 1;") != std::string::npos);

  auto d = f.client.del(scripts(f.id(), "/site-worker?force=true"), f.global());
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.result().is_null());
  auto gone = f.client.get(scripts(f.id(), "/site-worker"), f.global());
  BOOST_TEST(gone.status == 404u);
  BOOST_TEST(gone.error_code() == 10007);
}

BOOST_AUTO_TEST_CASE(accepts_service_worker_syntax_with_body_part) {
  SandboxFixture f;
  std::vector<FormPart> parts{{"metadata", std::nullopt, "", R"({"body_part":"script","compatibility_date":"2026-01-15"})"},
                              {"script", "script.js", "application/javascript", "addEventListener('fetch', e => {});"}};
  auto r = upload(f.client, scripts(f.id(), "/legacy"), parts, f.global());
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  auto l = f.client.get(scripts(f.id()), f.global());
  BOOST_TEST(l.result().at(0).at("has_modules").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(refuses_invalid_uploads_with_10021) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  auto expect_10021 = [&](const HttpResponse& r, const std::string& needle) {
    BOOST_TEST(r.status == 400u, r.body);
    BOOST_TEST(r.error_code() == 10021, r.body);
    BOOST_TEST(r.body.find(needle) != std::string::npos, r.body);
  };
  expect_10021(upload(f.client, scripts(f.id(), "/w"), {{"metadata", std::nullopt, "", "{not json"}, {"index.js", "index.js", "application/javascript+module", source}}, f.global()),
               "metadata");
  expect_10021(upload(f.client, scripts(f.id(), "/w"), {{"index.js", "index.js", "application/javascript+module", source}}, f.global()),
               "metadata");
  auto both = module_metadata();
  both["body_part"] = "index.js";
  expect_10021(upload(f.client, scripts(f.id(), "/w"), module_worker(both, source), f.global()), "exactly one");
  auto missing = module_metadata();
  missing["main_module"] = "main.js";
  expect_10021(upload(f.client, scripts(f.id(), "/w"), module_worker(missing, source), f.global()), "main.js");
  expect_10021(upload(f.client, scripts(f.id(), "/w"), module_worker(module_metadata("no-such-bucket"), source), f.global()),
               "no-such-bucket");
  auto bad_date = module_metadata();
  bad_date["compatibility_date"] = "15/01/2026";
  expect_10021(upload(f.client, scripts(f.id(), "/w"), module_worker(bad_date, source), f.global()), "compatibility_date");
  expect_10021(upload(f.client, scripts(f.id(), "/Bad.Name"), module_worker(module_metadata(), source), f.global()), "name");
  expect_10021(f.client.put(scripts(f.id(), "/w"), json::object{{"main_module", "index.js"}}, f.global()), "multipart");
  BOOST_TEST(f.client.get(scripts(f.id()), f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(invalid_metadata_probe_is_400_with_write_and_403_without) {
  SandboxFixture f;
  auto writer = f.make_token({policy({"Workers Scripts Write"}, account_key(f.id().account_id))});
  auto reader = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  std::vector<FormPart> probe{{"metadata", std::nullopt, "", "not json"}};
  auto w = upload(f.client, scripts(f.id(), "/probe"), probe, bearer(writer.value));
  BOOST_TEST(w.status == 400u);
  BOOST_TEST(w.error_code() == 10021);
  auto r = upload(f.client, scripts(f.id(), "/probe"), probe, bearer(reader.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 10000);
  BOOST_TEST(f.client.get(scripts(f.id()), bearer(reader.value)).status == 200u);
  auto none = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get(scripts(f.id()), bearer(none.value)).error_code() == 10000);
  BOOST_TEST(f.client.get(scripts(f.id()), f.global()).result().as_array().empty());
}

BOOST_AUTO_TEST_CASE(serves_the_wrangler_deploy_sequence) {
  SandboxFixture f;
  make_bucket(f, "site-assets");
  const std::string a = "/accounts/" + f.id().account_id + "/workers";
  auto svc = f.client.get(a + "/services/site-worker", f.global());
  BOOST_TEST(svc.status == 404u);
  BOOST_TEST(svc.error_code() == 10007);
  BOOST_TEST(svc.error_message() == "This Worker does not exist on your account.");
  BOOST_TEST(f.client.get(a + "/scripts/site-worker/deployments", f.global()).error_code() == 10007);

  Headers ua = f.global();
  ua.emplace_back("User-Agent", "wrangler/4.125.0");
  auto put = upload(f.client, a + "/scripts/site-worker?excludeScript=true&bindings_inherit=strict",
                    module_worker(module_metadata(), source), ua);
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);

  svc = f.client.get(a + "/services/site-worker", f.global());
  BOOST_TEST(svc.status == 200u);
  BOOST_TEST(svc.result().at("default_environment").at("environment").as_string() == "production");
  BOOST_TEST(svc.result().at("default_environment").at("script").at("last_deployed_from").as_string() == "wrangler");

  auto secrets = f.client.get(a + "/scripts/site-worker/secrets", f.global());
  BOOST_TEST(secrets.status == 200u);
  BOOST_TEST(secrets.result() == (json::array{json::object{{"name", "API_SECRET"}, {"type", "secret_text"}}}));

  auto deployments = f.client.get(a + "/scripts/site-worker/deployments", f.global());
  BOOST_TEST_REQUIRE(deployments.result().at("deployments").as_array().size() == 1u);
  BOOST_TEST(deployments.result().at("deployments").at(0).at("versions").at(0).at("percentage").to_number<double>() == 100.0);

  auto version = upload(f.client, a + "/scripts/site-worker/versions?bindings_inherit=strict",
                        module_worker(module_metadata(), "export default { fetch() { return new Response('v2'); } };"),
                        ua, "POST");
  BOOST_TEST_REQUIRE(version.status == 200u, version.body);
  std::string version_id(version.result().at("id").as_string());
  BOOST_TEST(version.result().at("number").as_int64() == 2);
  BOOST_TEST(version.body.find("s3cr3t-value") == std::string::npos);
  BOOST_TEST(f.client.get(a + "/scripts/site-worker", f.global()).body == source);  // not deployed yet

  auto deploy = f.client.post(a + "/scripts/site-worker/deployments",
                              json::object{{"strategy", "percentage"},
                                           {"versions", json::array{json::object{{"version_id", version_id}, {"percentage", 100}}}},
                                           {"annotations", json::object{{"workers/message", "v2"}}}},
                              f.global());
  BOOST_TEST_REQUIRE(deploy.status == 200u, deploy.body);
  BOOST_TEST(f.client.get(a + "/scripts/site-worker", f.global()).body.find("v2") != std::string::npos);
  BOOST_TEST(f.client.get(a + "/scripts/site-worker/deployments", f.global()).result().at("deployments").as_array().size() == 2u);

  auto settings = f.client.patch(a + "/scripts/site-worker/script-settings", R"({"logpush":false,"tail_consumers":[]})", f.global());
  BOOST_TEST(settings.status == 200u);
  BOOST_TEST(settings.result().at("logpush").as_bool() == false);

  auto sub = f.client.get(a + "/scripts/site-worker/subdomain", f.global());
  BOOST_TEST(sub.result() == (json::object{{"enabled", false}, {"previews_enabled", false}}));
  auto setsub = f.client.post(a + "/scripts/site-worker/subdomain", json::object{{"enabled", true}, {"previews_enabled", true}},
                              f.global());
  BOOST_TEST(setsub.result().at("enabled").as_bool());
  BOOST_TEST(f.client.get(a + "/scripts/site-worker/subdomain", f.global()).result().at("enabled").as_bool());
  auto account_sub = f.client.get(a + "/subdomain", f.global());
  BOOST_TEST(account_sub.status == 200u);
  BOOST_TEST(!account_sub.result().at("subdomain").as_string().empty());

  auto routes = f.client.put(a + "/scripts/site-worker/routes",
                             json::array{json::object{{"pattern", "shop." + f.id().zone_name + "/*"}, {"zone_name", f.id().zone_name}}},
                             f.global());
  BOOST_TEST_REQUIRE(routes.status == 200u, routes.body);
  BOOST_TEST(routes.result().at(0).at("pattern").as_string() == "shop." + f.id().zone_name + "/*");
  auto zone_routes = f.client.get(zone_path(f.id(), "/workers/routes"), f.global());
  BOOST_TEST_REQUIRE(zone_routes.result().as_array().size() == 1u);
  BOOST_TEST(zone_routes.result().at(0).at("script").as_string() == "site-worker");
}

BOOST_AUTO_TEST_CASE(script_routes_without_routes_write_answer_10000) {
  SandboxFixture f;
  BOOST_TEST_REQUIRE(upload(f.client, scripts(f.id(), "/site-worker"), module_worker(json::object{{"main_module", "index.js"}}), f.global()).status == 200u);
  auto t = f.make_token({policy({"Workers Scripts Write"}, account_key(f.id().account_id))});
  auto r = f.client.put(scripts(f.id(), "/site-worker/routes"), json::array{json::object{{"pattern", f.id().zone_name + "/*"}}},
                        bearer(t.value));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(script_settings_read_back_what_patch_stored) {
  SandboxFixture f;
  BOOST_TEST_REQUIRE(upload(f.client, scripts(f.id(), "/site-worker"), module_worker(json::object{{"main_module", "index.js"}}), f.global())
                         .status == 200u);
  auto fresh = f.client.get(scripts(f.id(), "/site-worker/script-settings"), f.global());
  BOOST_TEST(fresh.status == 200u, fresh.body);
  BOOST_TEST(fresh.result().is_object());
  BOOST_TEST_REQUIRE(f.client.patch(scripts(f.id(), "/site-worker/script-settings"), R"({"logpush":true,"tail_consumers":[]})",
                                    f.global())
                         .status == 200u);
  auto reader = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  auto g = f.client.get(scripts(f.id(), "/site-worker/script-settings"), bearer(reader.value));
  BOOST_TEST(g.status == 200u, g.body);
  BOOST_TEST(g.result().at("logpush").as_bool() == true);
  BOOST_TEST(g.result().at("tail_consumers").as_array().empty());

  auto missing = f.client.get(scripts(f.id(), "/no-such-worker/script-settings"), f.global());
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 10007);
  auto zone_only = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(f.client.get(scripts(f.id(), "/site-worker/script-settings"), bearer(zone_only.value)).error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(schedules_put_replaces_the_crons_of_a_script) {
  SandboxFixture f;
  BOOST_TEST_REQUIRE(upload(f.client, scripts(f.id(), "/cron-worker"), module_worker(json::object{{"main_module", "index.js"}}), f.global())
                         .status == 200u);
  auto first = f.client.put(scripts(f.id(), "/cron-worker/schedules"),
                            json::array{json::object{{"cron", "*/5 * * * *"}}, json::object{{"cron", "0 3 * * 1"}}}, f.global());
  BOOST_TEST_REQUIRE(first.status == 200u, first.body);
  const auto& crons = first.result().at("schedules").as_array();
  BOOST_TEST_REQUIRE(crons.size() == 2u);
  BOOST_TEST(crons[0].at("cron").as_string() == "*/5 * * * *");
  BOOST_TEST(crons[1].at("cron").as_string() == "0 3 * * 1");
  BOOST_TEST(!crons[0].at("created_on").as_string().empty());
  BOOST_TEST(!crons[0].at("modified_on").as_string().empty());

  auto second = f.client.put(scripts(f.id(), "/cron-worker/schedules"), json::array{json::object{{"cron", "0 0 * * *"}}}, f.global());
  BOOST_TEST_REQUIRE(second.status == 200u, second.body);
  BOOST_TEST_REQUIRE(second.result().at("schedules").as_array().size() == 1u);
  BOOST_TEST(second.result().at("schedules").at(0).at("cron").as_string() == "0 0 * * *");

  auto bad = f.client.put(scripts(f.id(), "/cron-worker/schedules"), json::array{json::object{{"schedule", "daily"}}}, f.global());
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(bad.error_code() == 10021);
  auto missing = f.client.put(scripts(f.id(), "/no-such-worker/schedules"), json::array{}, f.global());
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 10007);
  auto reader = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  auto denied = f.client.put(scripts(f.id(), "/cron-worker/schedules"), json::array{}, bearer(reader.value));
  BOOST_TEST(denied.status == 403u);
  BOOST_TEST(denied.error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(script_routes_lists_the_routes_bound_to_the_script) {
  SandboxFixture f;
  const std::string zone = f.id().zone_name;
  BOOST_TEST_REQUIRE(upload(f.client, scripts(f.id(), "/site-worker"), module_worker(json::object{{"main_module", "index.js"}}), f.global())
                         .status == 200u);
  auto empty = f.client.get(scripts(f.id(), "/site-worker/routes"), f.global());
  BOOST_TEST(empty.status == 200u, empty.body);
  BOOST_TEST(empty.result().as_array().empty());

  BOOST_TEST_REQUIRE(f.client.put(scripts(f.id(), "/site-worker/routes"), json::array{json::object{{"pattern", "shop." + zone + "/*"}}},
                                  f.global())
                         .status == 200u);
  // A zone route naming the script counts too; one for another script does not.
  BOOST_TEST_REQUIRE(f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "api." + zone + "/*"}, {"script", "site-worker"}},
                                   f.global())
                         .status == 200u);
  BOOST_TEST_REQUIRE(f.client.post(zone_path(f.id(), "/workers/routes"), json::object{{"pattern", "blog." + zone + "/*"}, {"script", "other"}},
                                   f.global())
                         .status == 200u);

  auto reader = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  auto l = f.client.get(scripts(f.id(), "/site-worker/routes"), bearer(reader.value));
  BOOST_TEST_REQUIRE(l.status == 200u, l.body);
  const auto& routes = l.result().as_array();
  BOOST_TEST_REQUIRE(routes.size() == 2u);
  BOOST_TEST(routes[0].at("pattern").as_string() == "api." + zone + "/*");
  BOOST_TEST(routes[1].at("pattern").as_string() == "shop." + zone + "/*");
  for (const auto& r : routes) {
    BOOST_TEST(r.at("id").as_string().size() == 32u);
    BOOST_TEST(r.at("script").as_string() == "site-worker");
    BOOST_TEST(r.at("zone_id").as_string() == f.id().zone_id);
    BOOST_TEST(r.at("zone_name").as_string() == zone);
  }
  BOOST_TEST(f.client.get(scripts(f.id(), "/no-such-worker/routes"), f.global()).error_code() == 10007);
}

BOOST_AUTO_TEST_SUITE_END()
