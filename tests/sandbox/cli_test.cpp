// `pipewright sandbox` through the real binary (docs/sandbox.md "Running
// it"): what it prints, and how --state, --seed, --rate-limit, --faults and
// bad values behave.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.hpp"  // tests/runtime: run_pipewright()
#include "sandbox_process.hpp"
#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

// `out` has the line `line`.
bool prints_line(const std::string& out, const std::string& line) {
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);)
    if (l == line) return true;
  return false;
}

std::string text(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

TestClient client_for(const json::object& identity) {
  return TestClient("127.0.0.1", static_cast<std::uint16_t>(identity.at("port").to_number<int>()));
}

Headers global_key(const json::object& identity) {
  return {{"X-Auth-Email", text(identity, "email")}, {"X-Auth-Key", text(identity, "global_key")}};
}

// A run that must refuse to start: exit code and stderr, bounded to 10 s.
pw::test::ProcessResult refused_run(std::vector<std::string> args) {
  pw::test::ProcessOptions o;
  o.args = {"sandbox"};
  o.args.insert(o.args.end(), args.begin(), args.end());
  o.timeout = std::chrono::milliseconds(10000);
  return pw::test::run_pipewright(o);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_cli)

BOOST_AUTO_TEST_CASE(text_output_prints_the_base_url_and_demo_identity) {
  TempDir dir;
  SandboxProcess sandbox(dir.path(), "text", {});
  const std::string out = sandbox.wait_for_output("# Press Ctrl-C to stop.");
  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_search(out, m, std::regex(R"(listening on (http://127\.0\.0\.1:(\d+)/client/v4) )")), out);
  const std::string base_url = m[1];
  TestClient client("127.0.0.1", static_cast<std::uint16_t>(std::stoi(m[2])));
  auto hook = client.get("/__sandbox/identity");
  BOOST_TEST_REQUIRE(hook.status == 200u);
  const auto& id = hook.result().as_object();
  BOOST_TEST(text(id, "email") == "demo@pipewright.dev");
  // Exactly the names the pipelines and the real clients read, as export lines.
  for (const auto& line :
       {"export CLOUDFLARE_API_BASE_URL=" + base_url, "export CLOUDFLARE_BASE_URL=" + base_url,
        "export CLOUDFLARE_EMAIL=" + text(id, "email"), "export CLOUDFLARE_GLOBAL_KEY=" + text(id, "global_key"),
        "export CLOUDFLARE_API_KEY=" + text(id, "global_key"), "export CLOUDFLARE_ACCOUNT_ID=" + text(id, "account_id"),
        "export CLOUDFLARE_ZONE_ID=" + text(id, "zone_id"), "export CLOUDFLARE_ZONE_NAME=" + text(id, "zone_name")}) {
    BOOST_TEST(prints_line(out, line), "no line \"" << line << "\" in:\n" << out);
  }
  // Every other line is a shell comment: the whole banner can be pasted.
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);)
    BOOST_TEST((l.starts_with("export ") || l.starts_with("# ")), l);
  // The printed URL and key are the ones that work.
  auto zones = client.get("/zones", global_key(id));
  BOOST_TEST(zones.status == 200u);
  BOOST_TEST(zones.result().at(0).at("id").as_string() == text(id, "zone_id"));
  BOOST_TEST(sandbox.stop() == 0);
  BOOST_TEST(sandbox.err().empty(), sandbox.err());
}

// The S3 door's endpoint is printed in both outputs and answers in S3's words.
BOOST_AUTO_TEST_CASE(both_outputs_name_the_r2_s3_endpoint) {
  TempDir dir;
  SandboxProcess text_sandbox(dir.path(), "s3-text", {});
  const std::string out = text_sandbox.wait_for_output("Press Ctrl-C to stop.");
  BOOST_TEST(std::regex_search(out, std::regex(R"(\nexport CLOUDFLARE_R2_ENDPOINT=http://127\.0\.0\.1:\d+\n)")), out);
  BOOST_TEST(text_sandbox.stop() == 0);

  SandboxProcess sandbox(dir.path(), "s3-json", {"--output", "json"});
  auto id = sandbox.json_identity();
  const std::string endpoint = text(id, "r2_s3_endpoint");
  const auto s3_port = static_cast<std::uint16_t>(id.at("s3_port").as_int64());
  BOOST_TEST(endpoint == "http://127.0.0.1:" + std::to_string(s3_port));
  BOOST_TEST(s3_port != static_cast<std::uint16_t>(id.at("port").as_int64()));
  auto unsigned_request = raw_exchange(s3_port, "GET /some-bucket HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(unsigned_request.result_int() == 403u);
  BOOST_TEST(unsigned_request.body().find("<Code>AccessDenied</Code>") != std::string::npos, unsigned_request.body());
  BOOST_TEST(sandbox.stop() == 0);
}

BOOST_AUTO_TEST_CASE(state_dir_keeps_identity_and_data_across_a_restart) {
  TempDir dir;
  const auto state = dir.path() / "state";
  json::object first;
  {
    SandboxProcess sandbox(dir.path(), "first", {"--state", state.string(), "--output", "json"});
    first = sandbox.json_identity();
    auto c = client_for(first);
    BOOST_TEST_REQUIRE(c.post("/accounts/" + text(first, "account_id") + "/r2/buckets", json::object{{"name", "kept-bucket"}},
                              global_key(first))
                           .status == 200u);
    BOOST_TEST(sandbox.stop() == 0);
  }
  BOOST_TEST(std::filesystem::exists(state / "sandbox.db"));
  SandboxProcess again(dir.path(), "second", {"--state", state.string(), "--output", "json"});
  const auto second = again.json_identity();
  for (const char* key : {"user_id", "email", "global_key", "account_id", "account_name", "zone_id", "zone_name"})
    BOOST_TEST(text(second, key) == text(first, key), key);
  auto c = client_for(second);
  auto buckets = c.get("/accounts/" + text(second, "account_id") + "/r2/buckets", global_key(second));
  BOOST_TEST_REQUIRE(buckets.status == 200u, buckets.body);
  BOOST_TEST_REQUIRE(buckets.result().at("buckets").as_array().size() == 1u);
  BOOST_TEST(buckets.result().at("buckets").at(0).at("name").as_string() == "kept-bucket");
  BOOST_TEST(again.stop() == 0);
}

BOOST_AUTO_TEST_CASE(seed_file_sets_the_email) {
  TempDir dir;
  const auto seed = dir.path() / "seed.json";
  std::ofstream(seed) << R"({"email": "ops@pipewright.dev", "zone_name": "ops-demo.net"})";
  SandboxProcess sandbox(dir.path(), "seeded", {"--seed", seed.string(), "--output", "json"});
  const auto id = sandbox.json_identity();
  BOOST_TEST(text(id, "email") == "ops@pipewright.dev");
  BOOST_TEST(text(id, "zone_name") == "ops-demo.net");
  auto c = client_for(id);
  auto user = c.get("/user", global_key(id));
  BOOST_TEST(user.status == 200u, user.body);
  BOOST_TEST(user.result().at("email").as_string() == "ops@pipewright.dev");
  BOOST_TEST(sandbox.stop() == 0);
}

BOOST_AUTO_TEST_CASE(rate_limit_option_makes_the_third_request_a_429_971) {
  TempDir dir;
  SandboxProcess sandbox(dir.path(), "limited", {"--rate-limit", "2/60", "--output", "json"});
  const auto id = sandbox.json_identity();
  auto c = client_for(id);
  for (int i = 0; i < 2; ++i) {
    auto r = c.get("/zones", global_key(id));
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.header("Ratelimit-Policy") == "\"burst\";q=2;w=60");
  }
  auto limited = c.get("/zones", global_key(id));
  BOOST_TEST(limited.status == 429u, limited.body);
  BOOST_TEST(limited.error_code() == 971);
  BOOST_TEST_REQUIRE(!limited.header("Retry-After").empty());
  const int retry_after = std::stoi(limited.header("Retry-After"));
  BOOST_TEST(retry_after >= 1);
  BOOST_TEST(retry_after <= 60);
  BOOST_TEST(sandbox.stop() == 0);
}

BOOST_AUTO_TEST_CASE(faults_option_with_a_503_share_of_1_answers_503) {
  TempDir dir;
  SandboxProcess sandbox(dir.path(), "faulty", {"--faults", "503=1", "--output", "json"});
  const auto id = sandbox.json_identity();
  auto c = client_for(id);
  auto r = c.get("/zones", global_key(id));
  BOOST_TEST(r.status == 503u, r.body);
  BOOST_TEST(r.error_code() == 10003);
  BOOST_TEST(!r.success());
  BOOST_TEST(c.get("/__sandbox/faults").result().at("faults").as_string() == "503=1");  // hooks are never faulted
  BOOST_TEST(sandbox.stop() == 0);
}

BOOST_AUTO_TEST_CASE(bad_listen_or_rate_limit_values_exit_2_with_a_message) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"--listen", "127.0.0.1"}, "--listen \"127.0.0.1\" is not ADDRESS:PORT"},
      {{"--listen", "127.0.0.1:99999"}, "--listen \"127.0.0.1:99999\" is not ADDRESS:PORT"},
      {{"--listen", "127.0.0.1:0", "--rate-limit", "fast"}, "--rate-limit \"fast\" is not N/SECONDS"},
      {{"--listen", "127.0.0.1:0", "--rate-limit", "2/0"}, "--rate-limit \"2/0\" is not N/SECONDS"},
      {{"--listen", "127.0.0.1:0", "--faults", "503=lots"}, "503"},
  };
  for (const auto& c : cases) {
    std::string shown;
    for (const auto& a : c.args) shown += a + " ";
    BOOST_TEST_CONTEXT(shown) {
      auto r = refused_run(c.args);
      BOOST_TEST(!r.timed_out);
      BOOST_TEST(r.exit_code == 2, r.err);
      BOOST_TEST(r.err.find(c.message) != std::string::npos, r.err);
      BOOST_TEST(r.out.empty(), r.out);
    }
  }
  // A port already in use is a bind failure: one line on stderr, exit 2.
  SandboxFixture f;
  auto busy = refused_run({"--listen", "127.0.0.1:" + std::to_string(f.server.port())});
  BOOST_TEST(!busy.timed_out);
  BOOST_TEST(busy.exit_code == 2, busy.err);
  BOOST_TEST(busy.err.find(std::to_string(f.server.port())) != std::string::npos, busy.err);
  BOOST_TEST(std::count(busy.err.begin(), busy.err.end(), '\n') == 1, busy.err);
  // So is a busy S3 port.
  auto busy_s3 = refused_run({"--listen", "127.0.0.1:0", "--s3-port", std::to_string(f.server.port())});
  BOOST_TEST(busy_s3.exit_code == 2, busy_s3.err);
  BOOST_TEST(busy_s3.err.find(std::to_string(f.server.port())) != std::string::npos, busy_s3.err);
}

BOOST_AUTO_TEST_CASE(a_large_object_put_is_streamed_to_disk_not_held_in_memory) {
  TempDir dir;
  SandboxProcess sandbox(dir.path(), "large", {"--state", (dir.path() / "state").string(), "--output", "json"});
  const auto id = sandbox.json_identity();
  // A 96 MiB file, uploaded by the real binary (the host streams it from disk too).
  const auto site = dir.path() / "site";
  std::filesystem::create_directories(site);
  {
    std::ofstream big(site / "big.bin", std::ios::binary);
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 96; ++i) {
      block[0] = static_cast<char>('a' + i % 26);
      big.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  const auto pipeline = dir.path() / "upload.json";
  std::ofstream(pipeline) << R"({
    "pipewright": 1,
    "auth": {"global": {"uses": "cloudflare.auth.global_key",
                        "with": {"email": "${{ env.CLOUDFLARE_EMAIL }}", "key": "${{ secrets.CLOUDFLARE_GLOBAL_KEY }}"}}},
    "steps": [
      {"id": "bucket", "uses": "cloudflare.r2.bucket", "auth": "global",
       "with": {"account_id": "${{ env.CLOUDFLARE_ACCOUNT_ID }}", "name": "large-objects"}},
      {"id": "upload", "uses": "cloudflare.r2.upload", "auth": "global", "needs": ["bucket"],
       "with": {"account_id": "${{ env.CLOUDFLARE_ACCOUNT_ID }}", "bucket": "large-objects",
                "directory": "site", "prefix": "t", "hash_cache": false}}
    ],
    "outputs": {"uploaded": "${{ steps.upload.outputs.uploaded }}", "verified": "${{ steps.upload.outputs.verified }}"}
  })";
  const long before = status_kib(sandbox.pid(), "VmHWM");
  BOOST_TEST_REQUIRE(before > 0);
  pw::test::ProcessOptions o;
  o.args = {"run", pipeline.string(), "--output", "json"};
  o.cwd = dir.path();
  o.env = {{"CLOUDFLARE_API_BASE_URL", text(id, "base_url")},
           {"CLOUDFLARE_EMAIL", text(id, "email")},
           {"CLOUDFLARE_GLOBAL_KEY", text(id, "global_key")},
           {"CLOUDFLARE_ACCOUNT_ID", text(id, "account_id")},
           {"PIPEWRIGHT_CACHE_DIR", "off"}};
  o.timeout = std::chrono::seconds(60);
  const auto run = pw::test::run_pipewright(o);
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.out + run.err);
  BOOST_TEST(run.out.find(R"("uploaded":1)") != std::string::npos, run.out);
  BOOST_TEST(run.out.find(R"("verified":1)") != std::string::npos, run.out);
  const long after = status_kib(sandbox.pid(), "VmHWM");
  // Holding the body would add at least its 96 MiB; streaming adds buffers.
  BOOST_TEST(after - before < 32 * 1024, "peak RSS grew by " << (after - before) << " KiB");
  BOOST_TEST(sandbox.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
