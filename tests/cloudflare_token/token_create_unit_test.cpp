// cloudflare.token.create loaded on the fake host (tests/fixtures): the
// never-twice rule and the permission messages, with scripted API answers.
#define BOOST_TEST_MODULE cloudflare_token_create_unit
#include <boost/test/unit_test.hpp>

#include "fake_host.hpp"

#include <boost/json.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

const std::string secret_value = "cfut_" + std::string(40, 'S') + "0badc0de";
const std::string rolled_value = "cfut_" + std::string(40, 'R') + "0badc0de";

// The plugin, loaded once for the whole test program.
struct LoadedPlugin {
  void* handle = nullptr;
  const pw_plugin_v1* plugin = nullptr;
  LoadedPlugin() {
    const std::string path = std::string(PW_TEST_BINARY_DIR) + "/plugins/cloudflare.token.create.so";
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error("cannot load " + path);
    auto negotiate = reinterpret_cast<pw_plugin_negotiate_v1_fn>(::dlsym(handle, PW_ENTRY_SYMBOL_V1));
    pw_negotiate_v1 n{};
    n.struct_size = sizeof n;
    n.host_abi_major = 1;
    n.host_abi_minor = PW_ABI_MINOR;
    n.host = pw::test::fake_services();
    if (!negotiate || negotiate(&n) != PW_STATUS_OK) throw std::runtime_error("negotiation failed");
    plugin = n.plugin;
  }
  ~LoadedPlugin() {
    if (handle) ::dlclose(handle);
  }
};

LoadedPlugin& plugin() {
  static LoadedPlugin loaded;
  return loaded;
}

std::string envelope(const json::value& result, const json::object& info = {}) {
  json::object o{{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", result}};
  if (!info.empty()) o["result_info"] = info;
  return json::serialize(o);
}
std::string error_envelope(int code, const std::string& message) {
  return json::serialize(json::object{{"success", false},
                                      {"errors", json::array{json::object{{"code", code}, {"message", message}}}},
                                      {"messages", json::array()},
                                      {"result", nullptr}});
}
std::pair<std::string, std::string> answer(int status, std::string body, std::string outcome = "ok") {
  json::object meta{{"index", 0}, {"status", status}, {"headers", json::object()}, {"outcome", outcome}};
  if (status == 0) meta["error"] = "connection reset by peer";
  return {json::serialize(meta), std::move(body)};
}

json::object token(const std::string& id, const std::string& name) {
  return {{"id", id}, {"name", name}, {"status", "active"}, {"expires_on", nullptr}};
}

// A scripted Cloudflare: a token list, and what POST does.
struct FakeCloudflare {
  json::array tokens;
  int posts = 0;
  int rolls = 0;
  std::function<std::pair<std::string, std::string>()> on_post;  // default: creates and answers
  // GET /user/tokens/verify: the token each Bearer value authenticates as.
  std::map<std::string, json::object> verifies;
  std::vector<json::object> verify_requests;

  std::pair<std::string, std::string> handle(std::string_view request_json) {
    auto req = json::parse(request_json).as_object();
    const std::string method(req.at("method").as_string());
    std::string url(req.at("url").as_string());
    const std::string path = url.substr(url.find("/client/v4") + 10);
    if (method == "GET" && path.rfind("/user/tokens/permission_groups", 0) == 0) {
      json::array groups{json::object{{"id", "c8fed203ed3043cba015a93ad1616f1f"}, {"name", "Zone Read"},
                                      {"scopes", json::array{"com.cloudflare.api.account.zone"}}}};
      return answer(200, envelope(groups));
    }
    if (method == "GET" && path.rfind("/user/tokens?", 0) == 0) {
      const bool first_page = path.find("page=1&") != std::string::npos;
      return answer(200, envelope(first_page ? tokens : json::array()));
    }
    if (method == "GET" && path == "/user/tokens/verify") {
      verify_requests.push_back(req);
      std::string bearer;
      if (const auto* h = req.if_contains("headers"))
        if (const auto* a = h->as_object().if_contains("Authorization")) bearer = std::string(a->as_string());
      for (const auto& [value, t] : verifies)
        if (bearer == "Bearer " + value) return answer(200, envelope(t));
      return answer(401, error_envelope(1000, "Invalid API Token"));
    }
    if (method == "POST" && path == "/user/tokens") {
      ++posts;
      if (on_post) return on_post();
      tokens.push_back(token("00000000000000000000000000000001", "deploy"));
      auto created = token("00000000000000000000000000000001", "deploy");
      created["value"] = secret_value;
      return answer(200, envelope(created));
    }
    if (method == "PUT" && path.size() > 6 && path.substr(path.size() - 6) == "/value") {
      ++rolls;
      return answer(200, envelope(json::value(rolled_value)));
    }
    return answer(404, error_envelope(7000, "No route for that URI"));
  }
};

struct Run {
  pw::test::FakeCall call;
  pw_status status = PW_STATUS_FAILED;

  Run(FakeCloudflare& cf, const std::string& with) {
    call.http = [&cf](std::string_view request) { return cf.handle(request); };
    const std::string context = R"({"step_id":"create","base_urls":{"cloudflare":"http://127.0.0.1:1/client/v4"},"attempt":1})";
    status = plugin().plugin->run(nullptr, call.handle(), {with.data(), with.size()}, {context.data(), context.size()});
  }
  std::string output(std::string_view name) const {
    const auto* o = call.output(name);
    return o ? o->json : std::string();
  }
  // Everything the plugin said, outputs excepted.
  std::string said() const {
    std::string all;
    for (const auto& l : call.logs) all += l + "\n";
    for (const auto& d : call.diagnostics) all += d.summary + "\n" + d.detail + "\n" + d.pointer + "\n";
    return all;
  }
};

const std::string with_zone_read =
    R"({"name":"deploy","zone_id":"fedcba9876543210fedcba9876543210","permissions":["Zone Read"]})";

}  // namespace

BOOST_AUTO_TEST_CASE(creates_once_and_publishes_the_value_as_secret) {
  FakeCloudflare cf;
  Run run(cf, with_zone_read);
  BOOST_TEST(run.status == PW_STATUS_OK);
  BOOST_TEST(cf.posts == 1);
  const auto* value = run.call.output("value");
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(value->secret);
  BOOST_TEST(value->json == "\"" + secret_value + "\"");
  BOOST_TEST(run.output("action") == "\"created\"");
  BOOST_TEST(run.said().find(secret_value) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_lost_answer_adopts_the_new_token_and_rolls_it_instead_of_posting_again) {
  FakeCloudflare cf;
  cf.on_post = [&cf] {
    cf.tokens.push_back(token("00000000000000000000000000000002", "deploy"));  // it did happen
    return answer(0, "", "unknown");
  };
  Run run(cf, with_zone_read);
  BOOST_TEST(run.status == PW_STATUS_OK);
  BOOST_TEST(cf.posts == 1);
  BOOST_TEST(cf.rolls == 1);
  BOOST_TEST(run.output("id") == "\"00000000000000000000000000000002\"");
  BOOST_TEST(run.output("action") == "\"adopted\"");
  BOOST_TEST(run.call.output("value")->secret);
  BOOST_TEST(run.said().find(rolled_value) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_lost_answer_that_created_nothing_posts_again) {
  FakeCloudflare cf;
  cf.on_post = [&cf] {
    if (cf.posts == 1) return answer(0, "", "unknown");
    cf.tokens.push_back(token("00000000000000000000000000000003", "deploy"));
    auto created = token("00000000000000000000000000000003", "deploy");
    created["value"] = secret_value;
    return answer(200, envelope(created));
  };
  Run run(cf, with_zone_read);
  BOOST_TEST(run.status == PW_STATUS_OK);
  BOOST_TEST(cf.posts == 2);
  BOOST_TEST(run.output("action") == "\"created\"");
}

BOOST_AUTO_TEST_CASE(an_existing_name_fails_by_default_and_rolls_on_request) {
  FakeCloudflare cf;
  cf.tokens.push_back(token("00000000000000000000000000000009", "deploy"));
  Run refused(cf, with_zone_read);
  BOOST_TEST(refused.status == PW_STATUS_FAILED);
  BOOST_TEST(cf.posts == 0);
  BOOST_REQUIRE(!refused.call.diagnostics.empty());
  BOOST_TEST(refused.call.diagnostics[0].summary.find("already exists") != std::string::npos);
  BOOST_TEST(refused.call.diagnostics[0].pointer == "/name");

  std::string roll = with_zone_read;
  roll.insert(roll.size() - 1, R"(,"if_exists":"roll")");
  Run rolled(cf, roll);
  BOOST_TEST(rolled.status == PW_STATUS_OK);
  BOOST_TEST(cf.posts == 0);
  BOOST_TEST(cf.rolls == 1);
  BOOST_TEST(rolled.output("action") == "\"rolled\"");
}

BOOST_AUTO_TEST_CASE(a_creator_without_api_tokens_write_gets_told_which_permission_it_needs) {
  pw::test::FakeCall call;
  call.http = [](std::string_view) {
    return answer(403, error_envelope(9109, "Unauthorized to access requested resource"));
  };
  const std::string context = R"({"base_urls":{"cloudflare":"http://127.0.0.1:1/client/v4"}})";
  auto status = plugin().plugin->run(nullptr, call.handle(), {with_zone_read.data(), with_zone_read.size()},
                                     {context.data(), context.size()});
  BOOST_TEST(status == PW_STATUS_FAILED);
  BOOST_REQUIRE(!call.diagnostics.empty());
  BOOST_TEST(call.diagnostics[0].summary.find("API Tokens Write") != std::string::npos);
  BOOST_TEST(call.diagnostics[0].detail.find("Global API Key") != std::string::npos);
  BOOST_TEST(call.diagnostics[0].detail.find("User → API Tokens → Edit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_group_name_points_at_it_and_suggests_names) {
  FakeCloudflare cf;
  Run run(cf, R"({"name":"deploy","zone_id":"fedcba9876543210fedcba9876543210","permissions":["Zone Read","Zone Raed"]})");
  BOOST_TEST(run.status == PW_STATUS_FAILED);
  BOOST_REQUIRE(!run.call.diagnostics.empty());
  BOOST_TEST(run.call.diagnostics[0].pointer == "/permissions/1");
  BOOST_TEST(run.call.diagnostics[0].detail.find("Zone Read") != std::string::npos);
  BOOST_TEST(cf.posts == 0);
}

// if_exists keep: the value the caller holds is checked with its own
// credential (the step's auth left out), and kept only when it is this
// token's and active; anything else rolls, and nothing is ever created.
BOOST_AUTO_TEST_CASE(keep_keeps_a_held_value_that_still_works_and_rolls_otherwise) {
  const std::string existing_id = "00000000000000000000000000000009";
  const std::string held = "cfut_" + std::string(40, 'H') + "0badc0de";
  const std::string other = "cfut_" + std::string(40, 'O') + "0badc0de";
  const std::string stale = "cfut_" + std::string(40, 'X') + "0badc0de";
  FakeCloudflare cf;
  cf.tokens.push_back(token(existing_id, "deploy"));
  cf.verifies[held] = json::object{{"id", existing_id}, {"status", "active"}, {"expires_on", "2027-01-01T00:00:00Z"}};
  cf.verifies[other] = json::object{{"id", "0000000000000000000000000000000a"}, {"status", "active"}};
  auto with_keep = [&](const std::string& current) {
    std::string w = with_zone_read;
    w.insert(w.size() - 1, R"(,"if_exists":"keep","current_value":")" + current + "\"");
    return w;
  };

  Run kept(cf, with_keep(held));
  BOOST_TEST(kept.status == PW_STATUS_OK, kept.said());
  BOOST_TEST(kept.output("action") == "\"kept\"");
  BOOST_TEST(kept.output("id") == "\"" + existing_id + "\"");
  BOOST_TEST(kept.output("expires_on") == "\"2027-01-01T00:00:00Z\"");
  BOOST_REQUIRE(kept.call.output("value"));
  BOOST_TEST(kept.call.output("value")->secret);
  BOOST_TEST(kept.output("value") == "\"" + held + "\"");
  BOOST_TEST(cf.rolls == 0);
  BOOST_TEST(cf.posts == 0);
  BOOST_REQUIRE_EQUAL(cf.verify_requests.size(), 1u);
  BOOST_TEST(cf.verify_requests[0].at("step_auth") == json::value(false));
  BOOST_TEST((std::find(kept.call.secrets.begin(), kept.call.secrets.end(), held) != kept.call.secrets.end()));
  BOOST_TEST(kept.said().find(held) == std::string::npos);

  struct Case {
    std::string current, why;
  };
  for (const auto& c : {Case{other, "belongs to another token"}, Case{stale, "refused the current value"},
                        Case{"", "no current value"}, Case{"not a token", "not shaped like an API token"}}) {
    const int rolls = cf.rolls;
    const auto verifies = cf.verify_requests.size();
    Run rolled(cf, with_keep(c.current));
    BOOST_TEST(rolled.status == PW_STATUS_OK, rolled.said());
    BOOST_TEST(rolled.output("action") == "\"rolled\"", c.why);
    BOOST_TEST(rolled.output("value") == "\"" + rolled_value + "\"", c.why);
    BOOST_TEST(cf.rolls == rolls + 1, c.why);
    BOOST_TEST(rolled.said().find(c.why) != std::string::npos, rolled.said());
    const bool sent = c.current.size() > 20;
    BOOST_TEST(cf.verify_requests.size() == verifies + (sent ? 1u : 0u), c.why);
    if (!c.current.empty()) BOOST_TEST(rolled.said().find(c.current) == std::string::npos, c.why);
  }
  BOOST_TEST(cf.posts == 0);

  // A held value is masked in every mode, not only when it is checked.
  std::string roll = with_zone_read;
  roll.insert(roll.size() - 1, R"(,"if_exists":"roll","current_value":")" + other + "\"");
  Run rolled_anyway(cf, roll);
  BOOST_TEST(rolled_anyway.output("action") == "\"rolled\"");
  BOOST_TEST((std::find(rolled_anyway.call.secrets.begin(), rolled_anyway.call.secrets.end(), other) !=
              rolled_anyway.call.secrets.end()));

  // A disabled token is not kept either.
  cf.verifies[held]["status"] = "disabled";
  Run disabled(cf, with_keep(held));
  BOOST_TEST(disabled.output("action") == "\"rolled\"");
  BOOST_TEST(disabled.said().find("it is disabled") != std::string::npos, disabled.said());

  // With no token of that name, keep creates one like any other mode (the
  // check went out with the first reads, in the same round trip, and is
  // not used).
  FakeCloudflare fresh;
  Run created(fresh, with_keep(held));
  BOOST_TEST(created.status == PW_STATUS_OK, created.said());
  BOOST_TEST(created.output("action") == "\"created\"");
  BOOST_TEST(created.output("value") == "\"" + secret_value + "\"");
  BOOST_TEST(fresh.posts == 1);
}
