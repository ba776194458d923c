// The ready pipelines (conf/create-test-deploy.json and the files it
// composes) run by the real binary against a sandbox on port 0.
#define BOOST_TEST_MODULE cloudflare_deploy_pipelines
#include "deploy_fixture.hpp"

#include <algorithm>
#include <set>

using namespace pw::deploy_test;

namespace {

const std::map<std::string, std::string> flow_inputs{{"site", "site"}, {"wait_active", "true"}};
// The flow told to roll the existing token instead of keeping the saved one.
const std::map<std::string, std::string> rolling_inputs{{"site", "site"}, {"wait_active", "true"}, {"if_exists", "roll"}};
const std::map<std::string, std::string> tenant_inputs{
    {"site", "site"}, {"tenant", "northwind"}, {"domain", "shop.northwind-bakery.net"}};

std::string all_messages(const Run& r) {
  std::string out;
  for (const auto& e : r.events)
    if (auto* m = e.if_contains("message"); m && m->is_string()) out += std::string(m->as_string()) + "\n";
  return out;
}

// Every regular file under `dir` with its bytes, except `skip` and anything
// under the directories in `skip_dirs`.
std::map<fs::path, std::string> files_under(const fs::path& dir, const fs::path& skip,
                                            const std::vector<fs::path>& skip_dirs = {}) {
  std::map<fs::path, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (std::find(skip_dirs.begin(), skip_dirs.end(), it->path()) != skip_dirs.end()) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path() != skip) out.emplace(it->path(), read_file(it->path()));
  }
  return out;
}

// One entry of GET /__sandbox/requests.
struct LoggedRequest {
  std::string method, path;
  unsigned status = 0;
  std::string text() const { return method + " " + path + " -> " + std::to_string(status); }
};

std::vector<LoggedRequest> request_log(DeployFixture& f) {
  auto r = f.sandbox.client.get("/__sandbox/requests");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  std::vector<LoggedRequest> out;
  for (const auto& e : r.result().as_array())
    out.push_back({std::string(e.at("method").as_string()), std::string(e.at("path").as_string()),
                   static_cast<unsigned>(e.at("status").to_number<std::int64_t>())});
  return out;
}

bool refused(unsigned status) { return status >= 400 && status < 500; }
bool succeeded(unsigned status) { return status >= 200 && status < 300; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(create_test_deploy, DeployFixture)

BOOST_AUTO_TEST_CASE(runs_the_whole_flow_then_creates_and_uploads_nothing) {
  auto first = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto files = static_cast<std::int64_t>(site_files());
  BOOST_TEST(first.integer("permissions_passed") == 8);
  BOOST_TEST(first.integer("permissions_total") == 8);
  BOOST_TEST(all_messages(first).find("8/8") != std::string::npos, first.log());
  BOOST_TEST(first.flag("bucket_created"));
  BOOST_TEST(first.flag("worker_uploaded"));
  BOOST_TEST(first.flag("route_changed"));
  BOOST_TEST(first.flag("hostname_created"));
  BOOST_TEST(first.text("hostname_status") == "active");
  BOOST_TEST(first.integer("uploaded") == files);
  BOOST_TEST(first.integer("verified") == files);

  // The token is in .env and nowhere in the output.
  const auto token = token_in(work.path() / ".env");
  BOOST_REQUIRE(token.size() > 20u);
  BOOST_TEST(first.process.out.find(token) == std::string::npos);
  BOOST_TEST(first.process.err.find(token) == std::string::npos);

  // What the tenant's visitors will be served.
  auto stored = objects("pipewright-sites", "northwind/");
  BOOST_TEST(stored.size() == site_files());
  auto mapping = sandbox.client.get(objects_path("pipewright-sites") + "/_hostnames/shop.northwind-bakery.net", global());
  BOOST_TEST(json::parse(mapping.body).at("tenant") == "northwind");
  auto routes = sandbox.client.get("/zones/" + id().zone_id + "/workers/routes", global());
  BOOST_TEST(routes.result().as_array().size() == 1u);

  auto second = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.integer("permissions_passed") == 8);
  BOOST_TEST(!second.flag("bucket_created"));
  BOOST_TEST(!second.flag("worker_uploaded"));
  BOOST_TEST(!second.flag("route_changed"));
  BOOST_TEST(!second.flag("hostname_created"));
  BOOST_TEST(second.integer("uploaded") == 0);
  BOOST_TEST(second.integer("skipped") == files);
  BOOST_TEST(second.integer("verified") == files);
}

BOOST_AUTO_TEST_CASE(the_upload_starts_once_the_bucket_exists_and_nothing_deploys_before_the_token_is_tested) {
  // Every answer about the zone's Worker routes is slow: the tenant's upload
  // needs only the bucket, so it must not wait for them.
  sandbox.server.set_faults("latency=800ms,path=/client/v4/zones/*/workers/routes*");
  auto r = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  auto at = [&](std::string_view type, std::string_view step) {
    for (std::size_t i = 0; i < r.events.size(); ++i)
      if (r.events[i].at("type").as_string() == type && r.events[i].contains("step") &&
          r.events[i].at("step").as_string() == step)
        return i;
    BOOST_FAIL("no " << type << " event for step " << step);
    return std::size_t{0};
  };
  BOOST_TEST(at("step_started", "infrastructure") > at("step_finished", "token/test"));
  BOOST_TEST(at("step_started", "tenant") > at("step_finished", "token"));
  BOOST_TEST(at("step_started", "tenant/upload") > at("step_finished", "infrastructure/bucket"));
  BOOST_TEST(at("step_started", "tenant/upload") < at("step_finished", "infrastructure/route"));
  // The served-site check waits for the Worker and its route.
  BOOST_TEST(at("step_started", "site") > at("step_finished", "infrastructure"));
  BOOST_TEST(at("step_started", "site") > at("step_finished", "tenant"));
  BOOST_TEST(r.integer("uploaded") == static_cast<std::int64_t>(site_files()));
}

BOOST_AUTO_TEST_CASE(deploy_pipelines_alone_use_the_token_saved_in_env) {
  BOOST_REQUIRE(run(conf_pipeline("create-test-deploy.json"), flow_inputs).exit_code() == 0);

  auto infra = run(conf_pipeline("deploy-infrastructure.json"));
  BOOST_REQUIRE_MESSAGE(infra.exit_code() == 0, infra.log());
  BOOST_TEST(!infra.flag("bucket_created"));
  BOOST_TEST(!infra.flag("worker_uploaded"));
  BOOST_TEST(!infra.flag("route_changed"));

  write_file(site / "index.html", "<h1>new home page</h1>\n");
  auto tenant = run(conf_pipeline("deploy-tenant.json"), tenant_inputs);
  BOOST_REQUIRE_MESSAGE(tenant.exit_code() == 0, tenant.log());
  BOOST_TEST(tenant.integer("uploaded") == 1);
  BOOST_TEST(tenant.integer("skipped") == static_cast<std::int64_t>(site_files()) - 1);
  BOOST_TEST(tenant.integer("verified") == static_cast<std::int64_t>(site_files()));
  auto home = sandbox.client.get(objects_path("pipewright-sites") + "/northwind/index.html", global());
  BOOST_TEST(home.body == "<h1>new home page</h1>\n");
}

BOOST_AUTO_TEST_CASE(a_saas_zone_gets_a_fallback_origin_and_star_route_and_other_zones_a_narrower_route) {
  auto flow = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(flow.exit_code() == 0, flow.log());
  BOOST_TEST(flow.text("route_pattern") == "*/*");
  auto fallback = sandbox.client.get("/zones/" + id().zone_id + "/custom_hostnames/fallback_origin", global());
  BOOST_REQUIRE_MESSAGE(fallback.status == 200u, fallback.body);
  BOOST_TEST(fallback.result().at("origin").as_string() == "service." + id().zone_name);

  auto narrow = run(conf_pipeline("deploy-infrastructure.json"), {{"saas_zone", "false"}});
  BOOST_REQUIRE_MESSAGE(narrow.exit_code() == 0, narrow.log());
  BOOST_TEST(narrow.text("route_pattern") == "*." + id().zone_name + "/*");
  BOOST_TEST(narrow.log().find("deploy/fallback") != std::string::npos);
  BOOST_TEST(narrow.log().find("its `if` condition is false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_second_tenant_shares_the_bucket_under_its_own_prefix) {
  BOOST_REQUIRE(run(conf_pipeline("create-test-deploy.json"), flow_inputs).exit_code() == 0);
  auto other = run(conf_pipeline("deploy-tenant.json"),
                   {{"site", "site"}, {"tenant", "globex"}, {"domain", "www.globex-shop.net"}});
  BOOST_REQUIRE_MESSAGE(other.exit_code() == 0, other.log());
  BOOST_TEST(other.integer("uploaded") == static_cast<std::int64_t>(site_files()));
  BOOST_TEST(objects("pipewright-sites", "globex/").size() == site_files());
  BOOST_TEST(objects("pipewright-sites", "northwind/").size() == site_files());
}

BOOST_AUTO_TEST_CASE(a_run_failing_midway_leaves_env_untouched) {
  const std::string before = "# mine\nKEEP=1\nCLOUDFLARE_API_TOKEN=previous-value\n";
  write_file(work.path() / ".env", before);
  // The token gets created, then its SSL and Certificates test cannot get an
  // answer: the run fails between creating the token and saving it.
  sandbox.server.set_faults("500=1,methods=GET,path=/client/v4/zones/*/custom_hostnames*");
  auto r = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  sandbox.server.set_faults("");
  BOOST_TEST(r.exit_code() == 1, r.log());
  // It failed where intended: after the token was created, in its test.
  BOOST_TEST(tokens_named("pipewright").size() == 1u);
  BOOST_TEST(r.errors().find("SSL and Certificates Read") != std::string::npos, r.log());
  BOOST_TEST(read_file(work.path() / ".env") == before);
  auto buckets = sandbox.client.get("/accounts/" + id().account_id + "/r2/buckets", global());
  BOOST_TEST(buckets.result().at("buckets").as_array().empty());
}

BOOST_AUTO_TEST_CASE(a_second_run_keeps_the_saved_token_and_sends_no_write_but_refused_probes) {
  auto first = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  BOOST_REQUIRE(sandbox.client.del("/__sandbox/requests").status == 200);
  const fs::path env_file = work.path() / ".env";
  const std::string saved = read_file(env_file);
  const auto saved_at = fs::last_write_time(env_file);

  auto second = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.text("token_action") == "kept");
  BOOST_TEST(second.text("token_id") == first.text("token_id"));
  BOOST_TEST(second.integer("permissions_passed") == 8);
  // .env already held the token: left alone, not rewritten.
  BOOST_TEST(read_file(env_file) == saved);
  BOOST_TEST((fs::last_write_time(env_file) == saved_at));

  const std::string api = "/client/v4";
  const std::string account = api + "/accounts/" + id().account_id;
  const std::string zone = api + "/zones/" + id().zone_id;
  // The safe-mode probes: deliberately invalid bodies the server refuses.
  const std::set<std::string> probe_posts{account + "/r2/buckets", zone + "/workers/routes",
                                          zone + "/custom_hostnames"};
  const std::string probe_script = account + "/workers/scripts/pw-probe-";
  const std::string roll = api + "/user/tokens/" + first.text("token_id") + "/value";

  const auto log = request_log(*this);
  BOOST_REQUIRE(!log.empty());
  std::set<std::string> refused_probes;
  int rolls = 0;
  for (const auto& e : log) {
    if (e.method == "POST") {
      BOOST_TEST(probe_posts.count(e.path) == 1u, "a POST that is no probe: " << e.text());
      BOOST_TEST(refused(e.status), "a probe POST was not refused: " << e.text());
      if (refused(e.status)) refused_probes.insert(e.path);
    } else if (e.method == "PUT") {
      BOOST_TEST(e.path.find("/objects/") == std::string::npos, "an object upload: " << e.text());
      if (e.path == roll) {
        BOOST_TEST(succeeded(e.status), e.text());
        ++rolls;
      } else {
        BOOST_TEST(e.path.rfind(probe_script, 0) == 0, "a PUT that is neither the roll nor a probe: " << e.text());
        BOOST_TEST(refused(e.status), "a probe PUT was not refused: " << e.text());
      }
    } else {
      BOOST_TEST((e.method == "GET" || e.method == "HEAD"), "a change: " << e.text());
    }
  }
  BOOST_TEST(rolls == 0);
  // The kept value is verified twice: by token.create to keep it (sent
  // with the token list), and by the permission tests; the auth of the
  // kept token does not ask a third time.
  BOOST_TEST(std::count_if(log.begin(), log.end(), [&](const LoggedRequest& e) {
               return e.path == api + "/user/tokens/verify";
             }) == 2);
  BOOST_TEST(refused_probes == probe_posts, boost::test_tools::per_element());
  BOOST_TEST(tokens_named("pipewright").size() == 1u);
}

// The saved value stopped working (the token was rolled elsewhere): keep
// rolls it for a new value, which is tested and saved; still one token.
BOOST_AUTO_TEST_CASE(a_saved_token_that_no_longer_works_is_rolled_and_saved_again) {
  auto first = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  const auto saved = token_in(work.path() / ".env");
  auto elsewhere = sandbox.client.put("/user/tokens/" + first.text("token_id") + "/value", json::value(json::object()), global());
  BOOST_REQUIRE_MESSAGE(elsewhere.status == 200, elsewhere.body);

  auto second = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(second.exit_code() == 0, second.log());
  BOOST_TEST(second.text("token_action") == "rolled");
  BOOST_TEST(second.text("token_id") == first.text("token_id"));
  BOOST_TEST(second.integer("permissions_passed") == 8);
  BOOST_TEST(all_messages(second).find("Cloudflare refused the current value") != std::string::npos,
             all_messages(second));
  const auto now_saved = token_in(work.path() / ".env");
  BOOST_TEST(now_saved != saved);
  BOOST_TEST(now_saved != std::string(elsewhere.result().as_string()));
  BOOST_TEST(tokens_named("pipewright").size() == 1u);
  BOOST_TEST(second.process.out.find(now_saved) == std::string::npos);
  BOOST_TEST(second.process.err.find(saved) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_token_and_the_global_key_are_in_no_output_and_no_file_but_env) {
  auto text_run = run_process(conf_pipeline("create-test-deploy.json"), flow_inputs, {"-v"});
  BOOST_REQUIRE_MESSAGE(text_run.exit_code == 0, text_run.out + text_run.err);
  BOOST_TEST(text_run.out.find("8/8 tests passed") != std::string::npos, text_run.out);
  const auto created = token_in(work.path() / ".env");
  BOOST_TEST(only_owner_reads_and_writes(work.path() / ".env"));

  auto json_run = run(conf_pipeline("create-test-deploy.json"), rolling_inputs);
  BOOST_REQUIRE_MESSAGE(json_run.exit_code() == 0, json_run.log());
  BOOST_TEST(json_run.text("token_action") == "rolled");
  const auto rolled = token_in(work.path() / ".env");
  // A third run keeps the saved value: it is read from .env and sent, and
  // must stay as masked as the others.
  auto kept_run = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(kept_run.exit_code() == 0, kept_run.log());
  BOOST_TEST(kept_run.text("token_action") == "kept");
  BOOST_TEST(token_in(work.path() / ".env") == rolled);
  BOOST_TEST(only_owner_reads_and_writes(work.path() / ".env"));
  BOOST_REQUIRE(created.size() > 20u);
  BOOST_REQUIRE(rolled.size() > 20u);
  BOOST_REQUIRE(created != rolled);

  std::map<std::string, std::string> written{{"text run stdout", text_run.out},
                                             {"text run stderr", text_run.err},
                                             {"json run stdout", json_run.process.out},
                                             {"json run stderr", json_run.process.err},
                                             {"kept run stdout", kept_run.process.out},
                                             {"kept run stderr", kept_run.process.err}};
  const auto files = files_under(work.path(), work.path() / ".env");
  BOOST_TEST(files.count(work.path() / "site" / "index.html") == 1u);
  for (const auto& [file, bytes] : files) written.emplace(file.string(), bytes);
  const std::map<std::string, std::string> secrets{
      {"the created token", created}, {"the rolled token", rolled}, {"the global key", id().global_key}};
  for (const auto& [what, bytes] : written)
    for (const auto& [secret_name, secret] : secrets)
      BOOST_TEST(bytes.find(secret) == std::string::npos, secret_name << " is in " << what);
}

BOOST_AUTO_TEST_CASE(with_sandbox_state_the_token_is_in_no_output_no_file_and_not_in_the_state) {
  // The embedded sandbox, as the demo runs it: nothing of the fixture's.
  const fs::path state = work.path() / "sandbox-state";
  const std::map<std::string, std::string> env{{"PIPEWRIGHT_CACHE_DIR", (work.path() / "cache").string()}};
  const std::vector<std::string> embedded{"--sandbox", "--sandbox-state", state.string()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), embedded.begin(), embedded.end());
    return args;
  };

  auto text_run = run_process(conf_pipeline("create-test-deploy.json"), flow_inputs, with({"-v"}), &env);
  BOOST_REQUIRE_MESSAGE(text_run.exit_code == 0, text_run.out + text_run.err);
  // A sandbox run keeps its .env with the sandbox state, never in the working directory.
  BOOST_TEST(!fs::exists(work.path() / ".env"));
  const auto created = token_in(state / ".env");
  auto json_run =
      run_process(conf_pipeline("create-test-deploy.json"), rolling_inputs, with({"--output", "json"}), &env);
  BOOST_REQUIRE_MESSAGE(json_run.exit_code == 0, json_run.out + json_run.err);
  const auto rolled = token_in(state / ".env");
  BOOST_REQUIRE(created.size() > 20u);
  BOOST_REQUIRE(rolled.size() > 20u);
  BOOST_REQUIRE(created != rolled);
  BOOST_TEST(only_owner_reads_and_writes(state / ".env"));

  std::map<std::string, std::string> outputs{{"text run stdout", text_run.out},
                                             {"text run stderr", text_run.err},
                                             {"json run stdout", json_run.out},
                                             {"json run stderr", json_run.err}};
  const auto everywhere = files_under(work.path(), state / ".env");
  BOOST_TEST(everywhere.count(state / "sandbox.db") == 1u);
  for (const auto& [where, bytes] : outputs) {
    BOOST_TEST(bytes.find(created) == std::string::npos, "the created token is in " << where);
    BOOST_TEST(bytes.find(rolled) == std::string::npos, "the rolled token is in " << where);
  }
  for (const auto& [file, bytes] : everywhere) {
    BOOST_TEST(bytes.find(created) == std::string::npos, "the created token is in " << file);
    BOOST_TEST(bytes.find(rolled) == std::string::npos, "the rolled token is in " << file);
  }

  // The global key is the sandbox's own seeded credential, which its state
  // must keep to check it; it may be nowhere else.
  std::string global_key;
  {
    pw::sandbox::Options options;
    options.state_dir = state;
    pw::sandbox::Server reopened(options);
    reopened.start();
    global_key = reopened.identity().global_key;
  }
  BOOST_REQUIRE(global_key.size() >= 37u);
  for (const auto& [where, bytes] : outputs)
    BOOST_TEST(bytes.find(global_key) == std::string::npos, "the global key is in " << where);
  for (const auto& [file, bytes] : files_under(work.path(), work.path() / ".env", {state}))
    BOOST_TEST(bytes.find(global_key) == std::string::npos, "the global key is in " << file);
}

BOOST_AUTO_TEST_SUITE_END()
