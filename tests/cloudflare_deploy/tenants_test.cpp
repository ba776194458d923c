// conf/deploy-tenants.json run by the real binary against a sandbox on port
// 0: the tenants file checked whole before any request, one tenant's
// failure isolated from the others, one account per tenant, and a re-run
// that changes nothing that is already deployed.
#define BOOST_TEST_MODULE cloudflare_deploy_tenants
#include "deploy_fixture.hpp"

#include <sstream>

using namespace pw::deploy_test;

namespace {

struct TenantsFixture : DeployFixture {
  // Three small sites under tenants/sites and a tenants file naming them.
  fs::path tenants_file(const std::string& text) {
    for (const char* t : {"acme", "globex", "initech"}) {
      write_file(work.path() / "tenants" / "sites" / t / "index.html", std::string("<h1>") + t + "</h1>\n");
      write_file(work.path() / "tenants" / "sites" / t / "css" / "site.css", std::string("h1{color:red} /*") + t + "*/\n");
    }
    const fs::path file = work.path() / "tenants" / "tenants.json";
    write_file(file, text);
    return file;
  }

  // The token in .env and the bucket, Worker and route, as the platform has them before tenants are deployed.
  void prepare_account() {
    auto token = run(conf_pipeline("create-token.json"));
    BOOST_REQUIRE_MESSAGE(token.exit_code() == 0, token.log());
    auto infra = run(conf_pipeline("deploy-infrastructure.json"));
    BOOST_REQUIRE_MESSAGE(infra.exit_code() == 0, infra.log());
  }

  std::size_t api_requests() {
    auto r = sandbox.client.get("/__sandbox/requests");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    std::size_t n = 0;
    for (const auto& e : r.result().as_array())
      if (e.at("path").as_string().starts_with("/client/v4")) ++n;
    return n;
  }

  static json::array account(const Run& r) {
    for (const auto& e : r.events)
      if (e.at("type") == "run_finished" && e.contains("account")) return e.at("account").as_array();
    return {};
  }

  // A site of `files` files under tenants/sites/<tenant>, and a tenants file holding only it.
  void one_big_tenant(const std::string& tenant, int files) {
    for (int i = 0; i < files; ++i)
      write_file(work.path() / "tenants" / "sites" / tenant / ("page" + std::to_string(i) + ".html"),
                 "<p>page " + std::to_string(i) + " " + std::string(500, 'x') + "</p>\n");
    write_file(work.path() / "tenants" / "tenants.json",
               R"([{"tenant": ")" + tenant + R"(", "domain": "www.)" + tenant + R"(-corp.net", "site": "sites/)" +
                   tenant + R"("}])");
  }

  // The row of `tenant` in the run's `tenants` output.
  static json::object row(const Run& r, const std::string& tenant) {
    for (const auto& v : r.outputs.at("tenants").as_array())
      if (v.at("tenant").as_string() == tenant) return v.as_object();
    BOOST_FAIL("no row for tenant " + tenant);
    return {};
  }
};

const std::string good_three = R"(// three tenants
[
  {"tenant": "acme", "domain": "shop.acme-bakery.net", "site": "sites/acme"},
  {"tenant": "globex", "domain": "store.globex-corp.org", "site": "sites/globex"},
  {"tenant": "initech", "domain": "www.initech-tps.io", "site": "sites/initech"},
]
)";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(deploy_tenants, TenantsFixture)

BOOST_AUTO_TEST_CASE(every_problem_of_the_tenants_file_is_reported_at_file_line_col_before_any_request) {
  const fs::path file = tenants_file(R"([
  {"tenant": "acme", "domain": "shop.acme-bakery.net", "site": "sites/acme"},
  {"tenant": "acme", "domain": "store.globex-corp.org", "site": "sites/globex"},
  {"tenant": "initech", "domain": "shop.acme-bakery.net", "site": "sites/nowhere"},
  {"tenant": "hooli", "domain": "hooli..com", "site": "sites/acme", "region": "eu"},
  {"tenant": "umbrella", "domain": 7, "site": "sites/acme"}
]
)");
  // A token is set, so that only the file can stop the run.
  write_file(work.path() / ".env", "CLOUDFLARE_API_TOKEN=never-sent-because-the-file-is-wrong\n");
  sandbox.client.del("/__sandbox/requests");
  auto r = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}});
  BOOST_TEST(r.exit_code() == 1, r.log());
  const std::string errors = r.errors();
  for (const char* expected : {
           "tenants/tenants.json:3:14: tenant \"acme\" is listed twice (first at 2:14)",
           "tenants/tenants.json:4:35: domain \"shop.acme-bakery.net\" is listed twice (first at 2:32)",
           "tenants/tenants.json:4:67: site directory \"sites/nowhere\" of tenant \"initech\" does not exist",
           "tenants/tenants.json:5:33: domain \"hooli..com\" has an empty label",
           "tenants/tenants.json:5:69: unknown key \"region\" in tenant entry 4",
           "tenants/tenants.json:6:36: \"domain\" of tenant entry 5 must be a string, not a number",
           "6 problem(s) in the tenants file tenants/tenants.json; no tenant was deployed"})
    BOOST_TEST(errors.find(expected) != std::string::npos, expected << "\n" << r.log());
  BOOST_TEST(api_requests() == 0u);
  (void)file;
}

BOOST_AUTO_TEST_CASE(a_refused_tenant_is_named_while_the_others_deploy_and_a_rerun_changes_nothing) {
  prepare_account();
  tenants_file(R"([
  {"tenant": "acme", "domain": "shop.acme-bakery.net", "site": "sites/acme"},
  {"tenant": "globex", "domain": "shop.example.com", "site": "sites/globex"},
  {"tenant": "initech", "domain": "www.initech-tps.io", "site": "sites/initech"}
]
)");
  auto first = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}});
  BOOST_TEST(first.exit_code() == 1, first.log());
  BOOST_REQUIRE_MESSAGE(first.outputs.contains("tenants"), first.log());
  BOOST_TEST(first.integer("ok") == 2);
  BOOST_TEST(first.integer("failed") == 1);
  for (const char* good : {"acme", "initech"}) {
    auto row = TenantsFixture::row(first, good);
    BOOST_TEST(row.at("status").as_string() == "ok");
    BOOST_TEST(row.at("uploaded").to_number<std::int64_t>() == 2);
    BOOST_TEST(row.at("hostname_created").as_bool());
    BOOST_TEST(objects("pipewright-sites", std::string(good) + "/").size() == 2u);
  }
  auto broken = TenantsFixture::row(first, "globex");
  BOOST_TEST(broken.at("status").as_string() == "failed");
  BOOST_TEST(std::string(broken.at("reason").as_string()).find("example.com") != std::string::npos,
             json::serialize(broken));
  BOOST_TEST((!broken.contains("hostname_status") || broken.at("hostname_status").is_null()));
  // The run's own account names the refused step, with its reason.
  const json::array account = TenantsFixture::account(first);
  BOOST_TEST(json::serialize(account).find(R"({"step":"deploy[globex]/hostname","status":"failed")") !=
                 std::string::npos,
             json::serialize(account));

  auto second = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}});
  BOOST_TEST(second.exit_code() == 1, second.log());
  for (const char* good : {"acme", "initech"}) {
    auto row = TenantsFixture::row(second, good);
    BOOST_TEST(row.at("status").as_string() == "ok");
    BOOST_TEST(row.at("uploaded").to_number<std::int64_t>() == 0);
    BOOST_TEST(row.at("unchanged").to_number<std::int64_t>() == 2);
    BOOST_TEST(!row.at("hostname_created").as_bool());
  }
  BOOST_TEST(TenantsFixture::row(second, "globex").at("status").as_string() == "failed");
}

BOOST_AUTO_TEST_CASE(the_example_tenants_file_deploys_and_prints_one_row_per_tenant) {
  prepare_account();
  fs::copy(source_dir() / "examples" / "tenants", work.path() / "example", fs::copy_options::recursive);
  auto text = run_process(conf_pipeline("deploy-tenants.json"), {{"tenants", "example/tenants.json"}}, {});
  BOOST_TEST(text.exit_code == 0, text.out << text.err);
  for (const char* line : {"acme     shop.acme-bakery.net   2         0          0        pending   ok",
                           "3 of 3 tenant(s) deployed"})
    BOOST_TEST(text.out.find(line) != std::string::npos, line << "\n" << text.out);
  // Labels name the tenant, never the whole object.
  BOOST_TEST(text.out.find("deploy[acme]/upload") != std::string::npos);
  BOOST_TEST(text.out.find("deploy[tenant=") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_says_how_many_files_are_up_and_what_did_not_start) {
  prepare_account();
  one_big_tenant("big", 120);
  sandbox.server.set_faults("latency=40ms,methods=PUT");
  pw::test::ProcessOptions options;
  options.args = {"run", conf_pipeline("deploy-tenants.json").string(), "--output", "json",
                  "--input", "tenants=tenants/tenants.json", "--input", "concurrency=2"};
  options.cwd = work.path();
  options.env = environment();
  options.timeout = std::chrono::seconds(60);
  options.signal_when = R"("unit":"files")";  // the first upload is stored
  auto process = pw::test::run_pipewright(options);
  sandbox.server.set_faults("");
  BOOST_TEST(process.exit_code == 130, process.out << process.err);
  json::object finished;
  std::istringstream lines(process.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find(R"("type":"run_finished")") != std::string::npos) finished = json::parse(line).as_object();
  BOOST_REQUIRE_MESSAGE(finished.contains("account"), process.out);
  BOOST_TEST(finished.at("status").as_string() == "interrupted");
  std::int64_t said_up = -1;
  bool report_not_started = false;
  for (const auto& entry : finished.at("account").as_array()) {
    const auto& e = entry.as_object();
    if (e.at("step") == "deploy[big]/upload") {
      BOOST_TEST(e.at("status").as_string() == "cancelled");
      const std::string done(e.at("done").as_string());
      said_up = std::stoll(done);
      BOOST_TEST(done.find(" of 120 files (") != std::string::npos, done);
    }
    if (e.at("step") == "report" && e.at("done") == "not started") report_not_started = true;
  }
  BOOST_TEST(said_up > 0);
  BOOST_TEST(said_up < 120);
  BOOST_TEST(report_not_started, json::serialize(finished));
  // What it says is up, is up (a request in flight may have landed too).
  BOOST_TEST(objects("pipewright-sites", "big/").size() >= static_cast<std::size_t>(said_up));
  BOOST_TEST(objects("pipewright-sites", "big/").size() < 120u);
}

BOOST_AUTO_TEST_CASE(progress_events_carry_files_bytes_rate_eta_and_the_wait_for_the_rate_budget) {
  prepare_account();
  one_big_tenant("paced", 10);
  // 8 requests in 2 s: the limiter holds the uploads back for a while, and says so.
  auto r = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}}, {"--rate-limit", "8/2"});
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  std::size_t reports = 0, waits = 0;
  json::object last;
  for (const auto& e : r.events) {
    if (e.at("type") != "progress" || e.at("step") != "deploy[paced]/upload") continue;
    ++reports;
    if (!e.contains("done")) {  // held back before its first upload
      BOOST_TEST(e.contains("waiting_s"));
      ++waits;
      continue;
    }
    for (const char* key : {"done", "total", "unit", "bytes_done", "bytes_total", "rate_bytes_per_s"})
      BOOST_TEST(e.contains(key), key << " in " << json::serialize(e));
    if (e.contains("waiting_s")) {
      ++waits;
      BOOST_TEST(e.at("waiting_s").to_number<double>() > 0.0);
    }
    last = e;
  }
  BOOST_TEST(reports >= 2u);
  BOOST_TEST(waits >= 1u);
  BOOST_TEST(last.at("done").to_number<std::int64_t>() == 10);
  BOOST_TEST(last.at("bytes_done") == last.at("bytes_total"));
}

// deploy-tenants takes deploy-tenant's optional inputs and hands them to
// every tenant: check_site=false skips each served-site check; transport=s3
// is refused per tenant when the auth has no S3 credentials.
BOOST_AUTO_TEST_CASE(check_site_and_transport_reach_every_tenant) {
  prepare_account();
  tenants_file(good_three);
  auto unchecked = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}, {"check_site", "false"}});
  BOOST_TEST(unchecked.exit_code() == 0, unchecked.log());
  std::size_t skipped = 0;
  for (const auto& e : unchecked.events)
    if (e.at("type") == "step_finished" && std::string(e.at("step").as_string()).ends_with("/site"))
      skipped += e.at("status") == "skipped";
  BOOST_TEST(skipped == 3u, unchecked.log());

  write_file(work.path() / "tenants" / "sites" / "acme" / "new.html", "<p>new</p>\n");
  auto s3 = run(conf_pipeline("deploy-tenants.json"), {{"tenants", "tenants/tenants.json"}, {"transport", "s3"}});
  BOOST_TEST(s3.exit_code() == 1, s3.log());
  BOOST_TEST(TenantsFixture::row(s3, "acme").at("status").as_string() == "failed");
  BOOST_TEST(s3.errors().find("transport s3 cannot be used") != std::string::npos, s3.errors());
}

BOOST_AUTO_TEST_SUITE_END()
