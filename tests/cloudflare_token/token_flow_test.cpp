// Integration tests of the token plugins and pipelines: the real pipewright
// binary and plugins against a `pipewright sandbox` child on a free port.
#define BOOST_TEST_MODULE cloudflare_token_integration
#include <boost/test/unit_test.hpp>

#include "sandbox_child.hpp"
#include "test_support.hpp"  // tests/runtime: TempDir, Events

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using pw::sandbox::test::bearer;
using pw::sandbox::test::policy;
using pw::sandbox::test::user_key;
using pw::sandbox::test::zone_key;
using pw::sandbox::test::account_key;

namespace {

std::string conf(const std::string& name) {
  const char* src = std::getenv("PIPEWRIGHT_SOURCE_DIR");
  return (fs::path(src ? src : PW_TEST_SOURCE_DIR) / "conf" / name).string();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The CLOUDFLARE_API_TOKEN value in a .env file ("" when absent).
std::string dotenv_token(const fs::path& file) {
  std::istringstream in(read_file(file));
  std::string line;
  while (std::getline(in, line)) {
    const std::string key = "CLOUDFLARE_API_TOKEN=";
    if (line.rfind(key, 0) == 0) {
      std::string v = line.substr(key.size());
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

struct World {
  pw::test::TempDir dir;
  pw::cftest::SandboxChild sandbox{dir.path};
  std::vector<std::string> all_output;  // every byte any run printed

  pw::test::ProcessResult run(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    pw::test::ProcessOptions o;
    o.args = std::move(args);
    o.cwd = dir.path;
    o.env = sandbox.env();
    for (auto& [k, v] : extra) o.env[k] = v;
    o.timeout = std::chrono::seconds(120);
    auto r = pw::test::run_pipewright(o);
    all_output.push_back(r.out);
    all_output.push_back(r.err);
    BOOST_TEST_MESSAGE("exit " << r.exit_code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err);
    return r;
  }

  // Tokens of the demo user named `name`, read with the global key.
  std::vector<json::object> tokens_named(const std::string& name) {
    auto client = sandbox.client();
    std::vector<json::object> out;
    for (int page = 1; page < 20; ++page) {
      auto r = client.get("/user/tokens?per_page=50&page=" + std::to_string(page), sandbox.global());
      BOOST_REQUIRE_EQUAL(r.status, 200u);
      if (r.result().as_array().empty()) break;
      for (const auto& t : r.result().as_array())
        if (t.at("name").as_string() == name) out.push_back(t.as_object());
    }
    return out;
  }

  unsigned verify_status(const std::string& token) {
    return sandbox.client().get("/user/tokens/verify", bearer(token)).status;
  }

  // A token made through the sandbox hook, groups by name.
  pw::sandbox::test::CreatedToken make_token(const std::vector<std::string>& account_groups,
                                             const std::vector<std::string>& zone_groups,
                                             const std::vector<std::string>& user_groups = {},
                                             json::object extra = {}) {
    json::array policies;
    if (!account_groups.empty()) policies.push_back(policy(account_groups, account_key(sandbox.id().account_id)));
    if (!zone_groups.empty()) policies.push_back(policy(zone_groups, zone_key(sandbox.id().zone_id)));
    if (!user_groups.empty()) policies.push_back(policy(user_groups, user_key(sandbox.id().user_id)));
    extra["policies"] = std::move(policies);
    if (!extra.contains("name")) extra["name"] = "made by the test";
    auto r = sandbox.client().post("/__sandbox/tokens", json::value(extra));
    if (r.status != 200) throw std::runtime_error("token hook failed: " + r.body);
    return {std::string(r.result().at("id").as_string()), std::string(r.result().at("value").as_string())};
  }

  void set_faults(const std::string& spec) {
    auto r = sandbox.client().post("/__sandbox/faults", json::value(spec));
    BOOST_REQUIRE_MESSAGE(r.status == 200, "setting faults failed: " + r.body);
  }

  // No byte of `secret` appears in anything a run printed.
  void expect_never_printed(const std::string& secret) {
    BOOST_REQUIRE(secret.size() >= 20);
    for (const auto& text : all_output) BOOST_TEST(text.find(secret) == std::string::npos);
  }
};

const std::vector<std::string> account_eight = {"Account Settings Read", "Workers R2 Storage Write",
                                                 "Workers Scripts Read", "Workers Scripts Write"};
const std::vector<std::string> zone_eight = {"Workers Routes Write", "Zone Read", "SSL and Certificates Read",
                                              "SSL and Certificates Write"};

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::string test_pipeline(const std::string& name) {
  return (fs::path(PW_TEST_SOURCE_DIR) / "tests" / "cloudflare_token" / "pipelines" / name).string();
}

// The pipeline outputs of a `--output json` run (empty when it printed none).
json::object run_outputs(const std::string& out) {
  pw::test::Events events(out);
  const auto* finished = events.find("run_finished");
  if (!finished || !finished->contains("outputs") || !finished->at("outputs").is_object()) return {};
  return finished->at("outputs").as_object();
}

// What test-token says about a token cloudflare.auth.api_token refuses.
std::string refusal_of(World& w, const std::string& token) {
  auto r = w.run({"run", conf("test-token.json")}, {{"CLOUDFLARE_API_TOKEN", token}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(!contains(r.out, "tests passed"));
  BOOST_TEST(contains(r.out + r.err, "Cloudflare refused the API token"));
  w.expect_never_printed(token);
  return r.out + r.err;
}

// The request log of the sandbox since it was last cleared.
json::array sandbox_requests(World& w) {
  auto r = w.sandbox.client().get("/__sandbox/requests");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.result().as_array();
}

// docs/cloudflare.md, "The eight permission groups": API name, dashboard row,
// and whether it is granted on the account (else the zone).
struct GroupRow {
  std::string name, dashboard_row;
  bool account;
};
const std::vector<GroupRow> eight_groups = {
    {"Account Settings Read", "Account → Account Settings → Read", true},
    {"Workers R2 Storage Write", "Account → Workers R2 Storage → Edit", true},
    {"Workers Scripts Read", "Account → Workers Scripts → Read", true},
    {"Workers Scripts Write", "Account → Workers Scripts → Edit", true},
    {"Workers Routes Write", "Zone → Workers Routes → Edit", false},
    {"Zone Read", "Zone → Zone → Read", false},
    {"SSL and Certificates Read", "Zone → SSL and Certificates → Read", false},
    {"SSL and Certificates Write", "Zone → SSL and Certificates → Edit", false}};

}  // namespace

BOOST_AUTO_TEST_CASE(global_key_creates_a_token_that_passes_eight_tests_and_is_saved_to_dotenv) {
  World w;
  auto r = w.run({"run", conf("create-token.json"), "--output", "json"});
  BOOST_TEST(r.exit_code == 0);
  pw::test::Events events(r.out);
  BOOST_TEST(events.all_valid);
  BOOST_TEST(contains(r.out, "8/8 tests passed"));

  const std::string token = dotenv_token(w.dir.path / ".env");
  BOOST_REQUIRE(token.rfind("cfut_", 0) == 0);
  BOOST_TEST(w.verify_status(token) == 200u);
  BOOST_TEST(w.tokens_named("pipewright").size() == 1u);
  // mode 0600, as a file holding a secret must be
  BOOST_TEST(((fs::status(w.dir.path / ".env").permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write)));

  // The text view too: run again with roll, then look for both values.
  auto again = w.run({"run", conf("create-token.json"), "--input", "if_exists=roll"});
  BOOST_TEST(again.exit_code == 0);
  const std::string rolled = dotenv_token(w.dir.path / ".env");
  BOOST_TEST(rolled != token);
  w.expect_never_printed(token);
  w.expect_never_printed(rolled);
  w.expect_never_printed(w.sandbox.id().global_key);
}

BOOST_AUTO_TEST_CASE(a_token_with_api_tokens_write_creates_the_token) {
  World w;
  auto creator = w.make_token({}, {}, {"API Tokens Write"});
  auto r = w.run({"run", conf("create-token-with-token.json"), "--output", "json"},
                 {{"CLOUDFLARE_API_TOKEN", creator.value}});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(contains(r.out, "8/8 tests passed"));
  const std::string token = dotenv_token(w.dir.path / ".env");
  BOOST_TEST(!token.empty());
  BOOST_TEST(token != creator.value);
  BOOST_TEST(w.verify_status(token) == 200u);
  BOOST_TEST(w.tokens_named("pipewright").size() == 1u);
  w.expect_never_printed(token);
  w.expect_never_printed(creator.value);
}

BOOST_AUTO_TEST_CASE(a_token_without_api_tokens_write_is_refused_with_a_message_saying_so) {
  World w;
  auto creator = w.make_token(account_eight, zone_eight);
  auto r = w.run({"run", conf("create-token-with-token.json")}, {{"CLOUDFLARE_API_TOKEN", creator.value}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out + r.err, "API Tokens Write"));
  BOOST_TEST(contains(r.out + r.err, "Global API Key"));
  BOOST_TEST(!fs::exists(w.dir.path / ".env"));
  BOOST_TEST(w.tokens_named("pipewright").empty());
  w.expect_never_printed(creator.value);
}

BOOST_AUTO_TEST_CASE(a_token_missing_two_groups_fails_exactly_those_two_tests) {
  World w;
  auto token = w.make_token(account_eight, {"Zone Read", "SSL and Certificates Read"});
  auto r = w.run({"run", conf("test-token.json"), "--output", "json"}, {{"CLOUDFLARE_API_TOKEN", token.value}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out, "6/8 tests passed"));
  const std::string zone = "zone " + w.sandbox.id().zone_id;
  BOOST_TEST(contains(r.out, "Workers Routes Write (" + zone + ")"));
  BOOST_TEST(contains(r.out, "SSL and Certificates Write (" + zone + ")"));
  for (const auto& passed : {"Account Settings Read", "Workers R2 Storage Write", "Workers Scripts Read",
                             "Workers Scripts Write", "Zone Read", "SSL and Certificates Read"}) {
    BOOST_TEST(!contains(r.out, std::string("FAIL ") + passed + " "), passed);
    BOOST_TEST(contains(r.out, std::string("PASS ") + passed + " "), passed);
  }
  BOOST_TEST(contains(r.out, "My Profile → API Tokens"));
  BOOST_TEST(contains(r.out, "pipewright run create-token"));
  w.expect_never_printed(token.value);
}

BOOST_AUTO_TEST_CASE(a_connection_dropped_after_the_create_post_ends_with_exactly_one_token) {
  World w;
  w.set_faults("drop_after=1,path=/client/v4/user/tokens,methods=POST");
  auto r = w.run({"run", conf("create-token.json"), "--output", "json"});
  w.set_faults("");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(w.tokens_named("pipewright").size() == 1u);
  const std::string token = dotenv_token(w.dir.path / ".env");
  BOOST_TEST(w.verify_status(token) == 200u);
  BOOST_TEST(contains(r.out, "adopted"));
  w.expect_never_printed(token);
}

BOOST_AUTO_TEST_CASE(if_exists_fail_refuses_a_second_token_and_leaves_dotenv_alone) {
  World w;
  BOOST_TEST(w.run({"run", conf("create-token.json")}).exit_code == 0);
  const std::string first = read_file(w.dir.path / ".env");
  auto r = w.run({"run", conf("create-token.json")});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out + r.err, "already exists"));
  BOOST_TEST(contains(r.out + r.err, "if_exists"));
  BOOST_TEST(read_file(w.dir.path / ".env") == first);
  BOOST_TEST(w.tokens_named("pipewright").size() == 1u);
}

BOOST_AUTO_TEST_CASE(if_exists_roll_keeps_one_token_and_retires_the_old_value) {
  World w;
  BOOST_TEST(w.run({"run", conf("create-token.json")}).exit_code == 0);
  const std::string first = dotenv_token(w.dir.path / ".env");
  auto r = w.run({"run", conf("create-token.json"), "--input", "if_exists=roll"});
  BOOST_TEST(r.exit_code == 0);
  const std::string second = dotenv_token(w.dir.path / ".env");
  BOOST_TEST(second != first);
  BOOST_TEST(w.verify_status(second) == 200u);
  BOOST_TEST(w.verify_status(first) == 401u);
  BOOST_TEST(w.tokens_named("pipewright").size() == 1u);
  w.expect_never_printed(first);
  w.expect_never_printed(second);
}

BOOST_AUTO_TEST_CASE(expired_and_disabled_tokens_are_refused_before_any_test) {
  World w;
  auto expired = w.make_token(account_eight, zone_eight, {}, {{"expires_on", "2020-01-01T00:00:00Z"}});
  auto disabled = w.make_token(account_eight, zone_eight, {}, {{"status", "disabled"}});
  for (const auto* t : {&expired, &disabled}) {
    auto r = w.run({"run", conf("test-token.json")}, {{"CLOUDFLARE_API_TOKEN", t->value}});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.out + r.err, "refused the API token"));
    BOOST_TEST(!contains(r.out, "tests passed"));
    w.expect_never_printed(t->value);
  }
}

BOOST_AUTO_TEST_CASE(a_global_key_given_as_token_and_a_token_given_as_key_are_named) {
  World w;
  auto r = w.run({"run", conf("test-token.json")}, {{"CLOUDFLARE_API_TOKEN", w.sandbox.id().global_key}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out + r.err, "looks like a Global API Key, not an API token"));

  auto token = w.make_token(account_eight, zone_eight);
  r = w.run({"run", conf("create-token.json")}, {{"CLOUDFLARE_GLOBAL_KEY", token.value}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out + r.err, "looks like an API token, not a Global API Key"));
  BOOST_TEST(!fs::exists(w.dir.path / ".env"));
  w.expect_never_printed(token.value);
  w.expect_never_printed(w.sandbox.id().global_key);
}

BOOST_AUTO_TEST_CASE(thorough_mode_creates_and_removes_its_probes) {
  World w;
  auto token = w.make_token(account_eight, zone_eight);
  const auto& a = w.sandbox.id().account_id;
  const auto& z = w.sandbox.id().zone_id;
  auto resources = [&] {
    auto client = w.sandbox.client();
    auto g = w.sandbox.global();
    return std::vector<std::size_t>{
        client.get("/accounts/" + a + "/r2/buckets", g).result().at("buckets").as_array().size(),
        client.get("/accounts/" + a + "/workers/scripts", g).result().as_array().size(),
        client.get("/zones/" + z + "/workers/routes", g).result().as_array().size(),
        client.get("/zones/" + z + "/custom_hostnames", g).result().as_array().size()};
  };
  const auto before = resources();
  auto r = w.run({"run", conf("test-token.json"), "--input", "mode=thorough"}, {{"CLOUDFLARE_API_TOKEN", token.value}});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(contains(r.out, "8/8 tests passed"));
  BOOST_TEST(resources() == before, boost::test_tools::per_element());
  w.expect_never_printed(token.value);
}

BOOST_AUTO_TEST_CASE(api_token_auth_refuses_an_unknown_token_listing_the_causes_cloudflare_cannot_tell_apart) {
  World w;
  // Well-formed (cfut_ and 48 token characters), never issued.
  const std::string never_issued = "cfut_" + std::string(24, 'Q') + std::string(24, 'z');
  const auto message = refusal_of(w, never_issued);
  BOOST_TEST(contains(message, "unknown"));
  BOOST_TEST(contains(message, "Cloudflare gives the same answer for each"));
  BOOST_TEST(contains(message, "Invalid API Token (1000)"));
}

BOOST_AUTO_TEST_CASE(api_token_auth_refuses_a_disabled_token_with_a_message_naming_disabled) {
  World w;
  auto disabled = w.make_token(account_eight, zone_eight, {}, {{"status", "disabled"}});
  const auto message = refusal_of(w, disabled.value);
  BOOST_TEST(contains(message, "disabled"));
  BOOST_TEST(contains(message, "Invalid API Token (1000)"));
}

BOOST_AUTO_TEST_CASE(api_token_auth_refuses_an_expired_token_with_a_message_naming_expired) {
  World w;
  auto expired = w.make_token(account_eight, zone_eight, {}, {{"expires_on", "2020-01-01T00:00:00Z"}});
  const auto message = refusal_of(w, expired.value);
  BOOST_TEST(contains(message, "expired"));
  BOOST_TEST(contains(message, "Invalid API Token (1000)"));
}

BOOST_AUTO_TEST_CASE(api_token_auth_refuses_a_not_yet_valid_token_with_a_message_naming_not_yet_valid) {
  World w;
  auto early = w.make_token(account_eight, zone_eight, {}, {{"not_before", "2099-01-01T00:00:00Z"}});
  const auto message = refusal_of(w, early.value);
  BOOST_TEST(contains(message, "not yet valid"));
  BOOST_TEST(contains(message, "Invalid API Token (1000)"));
}

BOOST_AUTO_TEST_CASE(token_verify_step_outputs_the_status_id_and_expiry_of_a_valid_token) {
  World w;
  const std::string expires_on = "2035-06-30T12:00:00Z";
  auto token = w.make_token(account_eight, zone_eight, {}, {{"expires_on", expires_on}});
  auto r = w.run({"run", test_pipeline("token-verify.json"), "--output", "json"},
                 {{"CLOUDFLARE_API_TOKEN", token.value}});
  BOOST_TEST(r.exit_code == 0);
  const auto outputs = run_outputs(r.out);
  BOOST_REQUIRE(outputs.contains("status"));
  BOOST_TEST(outputs.at("status") == "active");
  BOOST_TEST(outputs.at("id") == json::value(token.id));
  BOOST_TEST(outputs.at("expires_on") == json::value(expires_on));
  BOOST_TEST(outputs.at("not_before").is_null());
  BOOST_TEST(contains(r.out, "token " + token.id + " is valid and active"));
  w.expect_never_printed(token.value);
}

BOOST_AUTO_TEST_CASE(token_verify_step_fails_a_revoked_token_saying_cloudflare_refused_it) {
  World w;
  auto token = w.make_token(account_eight, zone_eight);
  auto revoke = w.sandbox.client().del("/user/tokens/" + token.id, w.sandbox.global());
  BOOST_REQUIRE_MESSAGE(revoke.status == 200, revoke.body);
  auto r = w.run({"run", test_pipeline("token-verify.json"), "--output", "json"},
                 {{"CLOUDFLARE_API_TOKEN", token.value}});
  BOOST_TEST(r.exit_code == 1);
  pw::test::Events events(r.out);
  const auto* finished = events.find("step_finished", "verify");
  BOOST_REQUIRE(finished != nullptr);
  BOOST_REQUIRE(finished->at("status") == "failed");
  BOOST_TEST(contains(std::string(finished->at("error").as_string()), "Cloudflare refused the API token"));
  BOOST_TEST(contains(r.out, "401 Unauthorized: Invalid API Token (1000)"));
  BOOST_TEST(contains(r.out, "deleted"));
  BOOST_TEST(!contains(r.out, "is valid and active"));
  w.expect_never_printed(token.value);
}

BOOST_AUTO_TEST_CASE(token_guide_step_prints_the_manual_creation_guide_without_any_http) {
  World w;
  const auto& id = w.sandbox.id();
  BOOST_REQUIRE(w.sandbox.client().del("/__sandbox/requests").status == 200);
  auto r = w.run({"run", test_pipeline("token-guide.json")});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(contains(r.out, "My Profile → API Tokens → Create Token → Create Custom Token"));
  BOOST_TEST(contains(r.out, "Account Resources: Include → your account (" + id.account_id + ")"));
  BOOST_TEST(contains(r.out, "Zone Resources: Include → Specific zone → your zone (" + id.zone_id + ")"));
  BOOST_TEST(contains(r.out, "CLOUDFLARE_ACCOUNT_ID=" + id.account_id + " CLOUDFLARE_ZONE_ID=" + id.zone_id +
                                 " pipewright run create-token"));
  for (const auto& g : eight_groups) {
    const std::string scope = g.account ? "account " + id.account_id : "zone " + id.zone_id;
    BOOST_TEST(contains(r.out, g.name + " | " + g.dashboard_row + " | " + scope), g.name);
  }
  BOOST_TEST(sandbox_requests(w).empty());
}

BOOST_AUTO_TEST_CASE(token_guide_step_names_exactly_the_missing_permissions_and_how_to_add_them) {
  World w;
  const auto& id = w.sandbox.id();
  BOOST_REQUIRE(w.sandbox.client().del("/__sandbox/requests").status == 200);
  auto r = w.run({"run", test_pipeline("token-guide.json"), "--output", "json", "--input", "topic=missing",
                  "--input", R"(missing=["Workers Scripts Write","SSL and Certificates Write"])"});
  BOOST_TEST(r.exit_code == 0);
  const auto outputs = run_outputs(r.out);
  BOOST_REQUIRE(outputs.contains("text"));
  const std::string text(outputs.at("text").as_string());
  const std::string edit = "in the dashboard, My Profile → API Tokens → Edit (on the token) → Permissions → add ";
  BOOST_TEST(contains(text, "- Workers Scripts Write (account " + id.account_id + "): " + edit +
                                "Account → Workers Scripts → Edit; Account Resources → Include → your account"),
             text);
  BOOST_TEST(contains(text, "- SSL and Certificates Write (zone " + id.zone_id + "): " + edit +
                                "Zone → SSL and Certificates → Edit; Zone Resources → Include → Specific zone → "
                                "your zone"),
             text);
  for (const auto& g : eight_groups)
    if (g.name != "Workers Scripts Write" && g.name != "SSL and Certificates Write")
      BOOST_TEST(!contains(text, "- " + g.name + " ("), g.name);
  BOOST_TEST(contains(text, "CLOUDFLARE_ACCOUNT_ID=" + id.account_id + " CLOUDFLARE_ZONE_ID=" + id.zone_id +
                                " pipewright run create-token"));
  BOOST_TEST(sandbox_requests(w).empty());
}

BOOST_AUTO_TEST_CASE(token_guide_step_refuses_an_unknown_group_name_with_the_closest_names) {
  World w;
  auto r = w.run({"run", test_pipeline("token-guide.json"), "--input", "topic=missing", "--input",
                  R"(missing=["Zone Reed"])"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(contains(r.out + r.err, "unknown permission group 'Zone Reed'"));
  BOOST_TEST(contains(r.out + r.err, "did you mean"));
  BOOST_TEST(contains(r.out + r.err, "Zone Read"));
}
