// Worker secrets, script settings, versions and deployments by id.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

const std::string secret_value = "do-not-show-9f2c";

json::object metadata() {
  return json::object{{"main_module", "index.js"},
                      {"compatibility_date", "2026-01-15"},
                      {"bindings", json::array{json::object{{"type", "plain_text"}, {"name", "SITE_NAME"}, {"text", "demo"}}}}};
}

void deploy(SandboxFixture& f, const std::string& name) {
  auto w = upload(f.client, scripts(f.id(), "/" + name), module_worker(metadata()), f.global());
  BOOST_TEST_REQUIRE(w.status == 200u, w.body);
}

json::array versions(SandboxFixture& f, const std::string& name) {
  auto r = f.client.get(scripts(f.id(), "/" + name + "/versions?deployable=true"), f.global());
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  return r.result().at("items").as_array();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_secrets)

BOOST_AUTO_TEST_CASE(a_secret_is_a_secret_text_binding_of_a_new_deployed_version_never_shown) {
  SandboxFixture f;
  deploy(f, "api-worker");
  const std::string s = scripts(f.id(), "/api-worker");
  auto put = f.client.put(s + "/secrets", json::object{{"name", "API_KEY"}, {"text", secret_value}, {"type", "secret_text"}},
                          f.global());
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  BOOST_TEST(put.result() == (json::object{{"name", "API_KEY"}, {"type", "secret_text"}}));

  auto list = f.client.get(s + "/secrets", f.global());
  BOOST_TEST(list.result() == (json::array{json::object{{"name", "API_KEY"}, {"type", "secret_text"}}}));
  auto one = f.client.get(s + "/secrets/API_KEY", f.global());
  BOOST_TEST(one.result() == (json::object{{"name", "API_KEY"}, {"type", "secret_text"}}));
  auto settings = f.client.get(s + "/settings", f.global());
  BOOST_TEST(settings.result().at("bindings") ==
             (json::array{json::object{{"type", "plain_text"}, {"name", "SITE_NAME"}, {"text", "demo"}},
                          json::object{{"type", "secret_text"}, {"name", "API_KEY"}}}));
  auto v = versions(f, "api-worker");
  BOOST_TEST_REQUIRE(v.size() == 2u);
  BOOST_TEST(v[0].at("annotations").at("workers/triggered_by").as_string() == "secret");
  auto deployments = f.client.get(s + "/deployments", f.global());
  BOOST_TEST(deployments.result().at("deployments").at(0).at("versions").at(0).at("version_id") == v[0].at("id"),
             "the new version is the deployed one");
  for (const auto& body : {list.body, one.body, settings.body, deployments.body,
                           f.client.get(s + "/versions/" + std::string(v[0].at("id").as_string()), f.global()).body})
    BOOST_TEST(body.find(secret_value) == std::string::npos);

  // A settings change that inherits the secret keeps it bound.
  auto patch = f.client.patch(s + "/settings",
                              json::serialize(json::object{{"bindings", json::array{json::object{{"type", "inherit"}, {"name", "SITE_NAME"}},
                                                                    json::object{{"type", "secret_text"}, {"name", "API_KEY"}}}},
                                           {"logpush", true}}),
                              f.global());
  BOOST_TEST_REQUIRE(patch.status == 200u, patch.body);
  BOOST_TEST(patch.result().at("logpush").as_bool());
  BOOST_TEST(f.client.get(s + "/secrets/API_KEY", f.global()).status == 200u);

  BOOST_TEST(f.client.del(s + "/secrets/API_KEY", f.global()).status == 200u);
  BOOST_TEST(f.client.get(s + "/secrets", f.global()).result().as_array().empty());
  auto gone = f.client.get(s + "/secrets/API_KEY", f.global());
  BOOST_TEST(gone.status == 404u);
  BOOST_TEST(gone.error_code() == 10056);
  BOOST_TEST(f.client.del(s + "/secrets/API_KEY", f.global()).status == 404u);
}

BOOST_AUTO_TEST_CASE(stored_worker_files_never_hold_secret_values) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path();
  SandboxFixture f(o);
  json::object m = metadata();
  m["bindings"].as_array().push_back(json::object{{"type", "secret_text"}, {"name", "UPLOADED"}, {"text", secret_value}});
  auto w = upload(f.client, scripts(f.id(), "/kept-worker"), module_worker(m), f.global());
  BOOST_TEST_REQUIRE(w.status == 200u, w.body);
  const std::string s = scripts(f.id(), "/kept-worker");
  BOOST_TEST_REQUIRE(f.client.del(s + "/secrets/UPLOADED", f.global()).status == 200u);
  BOOST_TEST(f.client.get(s, f.global()).body.find("export default") != std::string::npos, "the modules are kept");
  // Versions' metadata (in the database) keeps each version's own secrets, as
  // a rollback needs them; the module files must hold none.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "objects")) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_TEST(bytes.find(secret_value) == std::string::npos, e.path().string());
  }
  BOOST_TEST(files == 2u, "one modules file per version");
}

BOOST_AUTO_TEST_CASE(an_upload_keeps_the_deployed_bindings_it_is_told_to_keep) {
  SandboxFixture f;
  deploy(f, "keep-worker");
  const std::string s = scripts(f.id(), "/keep-worker");
  BOOST_TEST_REQUIRE(f.client.put(s + "/secrets", json::object{{"name", "API_KEY"}, {"text", secret_value}, {"type", "secret_text"}},
                                  f.global()).status == 200u);
  // wrangler deploy: its own bindings plus keep_bindings for secrets.
  json::object m = metadata();
  m["keep_bindings"] = json::array{"secret_text", "secret_key"};
  auto w = upload(f.client, s, module_worker(m), f.global());
  BOOST_TEST_REQUIRE(w.status == 200u, w.body);
  BOOST_TEST(f.client.get(s + "/secrets", f.global()).result() ==
             (json::array{json::object{{"name", "API_KEY"}, {"type", "secret_text"}}}));
  // Without keep_bindings the upload's bindings are all there is.
  auto plain = upload(f.client, s, module_worker(metadata()), f.global());
  BOOST_TEST_REQUIRE(plain.status == 200u, plain.body);
  BOOST_TEST(f.client.get(s + "/secrets", f.global()).result().as_array().empty());
  // {type: inherit} takes the deployed binding of that name; one that is not there is refused.
  json::object inherit = metadata();
  inherit["bindings"] = json::array{json::object{{"type", "inherit"}, {"name", "SITE_NAME"}}};
  BOOST_TEST(upload(f.client, s, module_worker(inherit), f.global()).status == 200u);
  auto settings = f.client.get(s + "/settings", f.global());
  BOOST_TEST(settings.result().at("bindings") ==
             (json::array{json::object{{"type", "plain_text"}, {"name", "SITE_NAME"}, {"text", "demo"}}}));
  inherit["bindings"] = json::array{json::object{{"type", "inherit"}, {"name", "NOT_THERE"}}};
  auto refused = upload(f.client, s, module_worker(inherit), f.global());
  BOOST_TEST(refused.status == 400u);
  BOOST_TEST(refused.body.find("NOT_THERE") != std::string::npos, refused.body);
}

BOOST_AUTO_TEST_CASE(a_settings_change_is_checked_like_an_upload) {
  SandboxFixture f;
  deploy(f, "checked-worker");
  const std::string s = scripts(f.id(), "/checked-worker");
  for (const auto& bad : {json::object{{"compatibility_date", "2026-13-01"}},
                          json::object{{"compatibility_flags", json::array{"nodejs_compat", 3}}},
                          json::object{{"compatibility_flags", "nodejs_compat"}}}) {
    auto r = f.client.request("PATCH", s + "/settings", f.global(), json::serialize(bad));
    BOOST_TEST(r.status == 400u, r.body);
    BOOST_TEST(r.error_code() == 10021);
  }
  BOOST_TEST(versions(f, "checked-worker").size() == 1u, "nothing was stored");
}

BOOST_AUTO_TEST_CASE(a_secret_may_not_take_the_name_of_another_binding) {
  SandboxFixture f;
  deploy(f, "api-worker");
  auto clash = f.client.put(scripts(f.id(), "/api-worker/secrets"),
                            json::object{{"name", "SITE_NAME"}, {"text", secret_value}, {"type", "secret_text"}}, f.global());
  BOOST_TEST(clash.status == 400u);
  BOOST_TEST(clash.error_code() == 10053);
  BOOST_TEST(versions(f, "api-worker").size() == 1u, "nothing was stored");
  auto missing = f.client.put(scripts(f.id(), "/no-worker/secrets"),
                              json::object{{"name", "K"}, {"text", "v"}, {"type", "secret_text"}}, f.global());
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.error_code() == 10007);
  auto reader = f.make_token({policy({"Workers Scripts Read"}, account_key(f.id().account_id))});
  BOOST_TEST(f.client.put(scripts(f.id(), "/api-worker/secrets"), json::object{{"name", "K"}, {"text", "v"}},
                          bearer(reader.value)).error_code() == 10000);
}

BOOST_AUTO_TEST_CASE(versions_page_newest_first_and_deployments_are_read_by_id) {
  SandboxFixture f;
  for (int i = 0; i < 3; ++i) deploy(f, "paged-worker");
  const std::string s = scripts(f.id(), "/paged-worker");
  auto page = f.client.get(s + "/versions?per_page=2&page=1", f.global());
  BOOST_TEST_REQUIRE(page.status == 200u, page.body);
  BOOST_TEST(page.result().at("items").as_array().size() == 2u);
  BOOST_TEST(page.result().at("items").at(0).at("number").as_int64() == 3);
  BOOST_TEST(page.json.at("result_info").at("total_count").as_int64() == 3);
  auto last = f.client.get(s + "/versions?per_page=2&page=2", f.global());
  BOOST_TEST(last.result().at("items").at(0).at("number").as_int64() == 1);
  BOOST_TEST(f.client.get(s + "/versions/00000000-0000-4000-8000-000000000000", f.global()).status == 404u);

  auto deployments = f.client.get(s + "/deployments", f.global()).result().at("deployments").as_array();
  BOOST_TEST_REQUIRE(deployments.size() == 3u);
  const std::string latest(deployments[0].at("id").as_string()), oldest(deployments[2].at("id").as_string());
  BOOST_TEST(f.client.get(s + "/deployments/" + latest, f.global()).result().at("id").as_string() == latest);
  auto refused = f.client.del(s + "/deployments/" + latest, f.global());
  BOOST_TEST(refused.status == 400u, "the running deployment stays");
  BOOST_TEST(f.client.del(s + "/deployments/" + oldest, f.global()).status == 200u);
  BOOST_TEST(f.client.get(s + "/deployments/" + oldest, f.global()).status == 404u);
}

BOOST_AUTO_TEST_CASE(deleting_the_service_removes_the_worker) {
  SandboxFixture f;
  deploy(f, "gone-worker");
  auto refs = f.client.get(scripts(f.id(), "/gone-worker/references"), f.global());
  BOOST_TEST(refs.result().at("services").at("incoming").as_array().empty());
  auto del = f.client.del("/accounts/" + f.id().account_id + "/workers/services/gone-worker?force=true", f.global());
  BOOST_TEST_REQUIRE(del.status == 200u, del.body);
  BOOST_TEST(f.client.get(scripts(f.id()), f.global()).result().as_array().empty());
  BOOST_TEST(f.client.del("/accounts/" + f.id().account_id + "/workers/services/gone-worker", f.global()).status == 404u);
  auto kv = f.client.get("/accounts/" + f.id().account_id + "/storage/kv/namespaces?per_page=100&order=title&direction=asc&page=1",
                         f.global());
  BOOST_TEST(kv.status == 200u);
  BOOST_TEST(kv.result().as_array().empty());
}

BOOST_AUTO_TEST_SUITE_END()
