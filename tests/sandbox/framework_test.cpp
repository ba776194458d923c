// The server itself: hooks, routing, envelope, request log.
#include <boost/test/unit_test.hpp>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(framework)

BOOST_AUTO_TEST_CASE(serves_identity_hook_and_verifies_a_hook_token) {
  SandboxFixture f;
  auto id = f.client.get("/__sandbox/identity");
  BOOST_TEST(id.status == 200u);
  BOOST_TEST(id.result().at("account_id").as_string() == f.id().account_id);
  BOOST_TEST(f.id().global_key.size() == 37u);
  BOOST_TEST(f.server.base_url() ==
             "http://127.0.0.1:" + std::to_string(f.server.port()) + "/client/v4");

  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  BOOST_TEST(t.value.rfind("cfut_", 0) == 0u);
  BOOST_TEST(t.value.size() == 53u);
  auto v = f.client.get("/user/tokens/verify", bearer(t.value));
  BOOST_TEST(v.status == 200u);
  BOOST_TEST(v.success());
  BOOST_TEST(v.result().at("id").as_string() == t.id);
  BOOST_TEST(v.result().at("status").as_string() == "active");
  BOOST_TEST(v.json.at("messages").at(0).at("code").as_int64() == 10000);
  BOOST_TEST(v.json.at("messages").at(0).at("message").as_string() ==
             "This API Token is valid and active");
  BOOST_TEST(!v.header("Ratelimit").empty());
  BOOST_TEST(v.header("Ratelimit-Policy") == "\"burst\";q=1200;w=300");
}

BOOST_AUTO_TEST_CASE(unknown_route_and_malformed_id_answer_7003_7000) {
  SandboxFixture f;
  auto r = f.client.get("/zones/not-a-zone-id", f.global());
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(!r.success());
  BOOST_TEST(r.error_code(0) == 7003);
  BOOST_TEST(r.error_message(0) ==
             "Could not route to /zones/not-a-zone-id, perhaps your object identifier is invalid?");
  BOOST_TEST(r.error_code(1) == 7000);
  BOOST_TEST(r.error_message(1) == "No route for that URI");
  BOOST_TEST(r.result().is_null());

  auto u = f.client.get("/no/such/thing", f.global());
  BOOST_TEST(u.status == 400u);
  BOOST_TEST(u.error_code(0) == 7003);
}

BOOST_AUTO_TEST_CASE(auth_comes_before_routing) {
  SandboxFixture f;
  auto r = f.client.get("/no/such/thing");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.error_code() == 9106);
}

BOOST_AUTO_TEST_CASE(request_log_names_credentials_by_id_only) {
  SandboxFixture f;
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  f.client.get("/zones/" + f.id().zone_id, bearer(t.value));
  f.client.get("/user/tokens/verify", f.global());
  auto log = f.client.get("/__sandbox/requests");
  BOOST_TEST(log.status == 200u);
  const auto& entries = log.result().as_array();
  BOOST_REQUIRE(entries.size() >= 2u);
  BOOST_TEST(entries[0].at("path").as_string() == "/client/v4/zones/" + f.id().zone_id);
  BOOST_TEST(entries[0].at("status").as_int64() == 200);
  BOOST_TEST(entries[0].at("credential").as_string() == "token:" + t.id);
  BOOST_TEST(entries[1].at("credential").as_string() == "global_key:" + f.id().user_id);
  BOOST_TEST(log.body.find(t.value) == std::string::npos);
  BOOST_TEST(log.body.find(f.id().global_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(request_log_callback_never_sees_secrets) {
  std::vector<std::string> lines;
  Options o;
  o.request_log = [&lines](std::string_view l) { lines.emplace_back(l); };
  SandboxFixture f(o);
  f.client.get("/user/tokens/verify", f.global());
  auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
  f.client.get("/user/tokens/verify", bearer(t.value));
  f.server.stop();  // joins the threads that append to `lines`
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[1].find("token:" + t.id) != std::string::npos);
  for (const auto& l : lines) {
    BOOST_TEST(l.find(t.value) == std::string::npos);
    BOOST_TEST(l.find(f.id().global_key) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(keeps_the_connection_alive_across_requests) {
  SandboxFixture f;
  for (int i = 0; i < 5; ++i) BOOST_TEST(f.client.get("/zones", f.global()).status == 200u);
}

BOOST_AUTO_TEST_CASE(faults_hook_reads_back_the_active_spec) {
  Options o;
  o.faults = "503=0.5,seed=3";
  SandboxFixture f(o);
  auto initial = f.client.get("/__sandbox/faults");
  BOOST_TEST(initial.status == 200u);
  BOOST_TEST(initial.success());
  BOOST_TEST(initial.result() == (json::object{{"faults", "503=0.5,seed=3"}}));
  BOOST_TEST_REQUIRE(f.client.post("/__sandbox/faults", std::string("\"latency=5ms,path=/client/v4/zones*\"")).status == 200u);
  BOOST_TEST(f.client.get("/__sandbox/faults").result().at("faults").as_string() == "latency=5ms,path=/client/v4/zones*");
  f.server.set_faults("");
  BOOST_TEST(f.client.get("/__sandbox/faults").result().at("faults").as_string() == "");
}

BOOST_AUTO_TEST_CASE(deleting_the_request_log_empties_it) {
  SandboxFixture f;
  f.client.get("/zones", f.global());
  f.client.get("/accounts", f.global());
  BOOST_TEST_REQUIRE(f.client.get("/__sandbox/requests").result().as_array().size() == 2u);
  auto d = f.client.del("/__sandbox/requests");
  BOOST_TEST(d.status == 200u);
  BOOST_TEST(d.success());
  BOOST_TEST(d.result().is_null());
  BOOST_TEST(f.client.get("/__sandbox/requests").result().as_array().empty());
  // Logging goes on after the clear.
  f.client.get("/user", f.global());
  auto log = f.client.get("/__sandbox/requests");
  BOOST_TEST_REQUIRE(log.result().as_array().size() == 1u);
  BOOST_TEST(log.result().at(0).at("path").as_string() == "/client/v4/user");
}

BOOST_AUTO_TEST_SUITE_END()
