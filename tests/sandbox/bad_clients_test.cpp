// Clients that stall, send too much, send no HTTP, half-close or vanish
// (docs/sandbox.md "Bad clients"): each is answered where an answer can
// still be read, its connection is closed, and the server keeps serving.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "test_client.hpp"

using namespace pw::sandbox;
using namespace pw::sandbox::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Every wait in these tests is bounded by this, far above any limit the
// server is given, so a slow machine cannot fail a test that a missing
// limit would pass.
constexpr auto patience = 10s;

// Short limits, so that a test sees them act in well under `patience`.
Options short_limits() {
  Options o;
  o.header_timeout = 300ms;
  o.idle_timeout = 300ms;
  o.body_timeout = 300ms;
  o.send_timeout = 300ms;
  return o;
}

long ms_since(Clock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

std::string get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

std::string global_key_headers(const Identity& id) {
  return "X-Auth-Email: " + id.email + "\r\nX-Auth-Key: " + id.global_key + "\r\n";
}

// The error envelope of a refusal: `status`, success false, errors[0].code.
void check_refusal(const std::optional<RawConnection::Response>& res, unsigned status, std::int64_t code) {
  BOOST_TEST_REQUIRE(res.has_value(), "no response");
  BOOST_TEST(res->result_int() == status, res->body());
  BOOST_TEST(!res->keep_alive());
  boost::system::error_code ec;
  const auto body = json::parse(res->body(), ec);
  BOOST_TEST_REQUIRE(!ec, res->body());
  BOOST_TEST(body.at("success").as_bool() == false);
  BOOST_TEST(body.at("errors").at(0).at("code").to_number<std::int64_t>() == code, res->body());
}

void check_still_serves(SandboxFixture& f) {
  auto r = f.client.get("/__sandbox/identity");
  BOOST_TEST(r.status == 200u, r.body);
}

// A 16 MiB object: its download does not fit in the socket buffers, so the
// server is still writing it when the client misbehaves.
std::string make_large_object(SandboxFixture& f) {
  const auto bucket = "/accounts/" + f.id().account_id + "/r2/buckets";
  BOOST_TEST_REQUIRE(f.client.post(bucket, json::object{{"name", "large"}}, f.global()).status == 200u);
  f.client.close();  // a fresh connection each time: the idle timeout may be short
  const auto object = "/client/v4" + bucket + "/large/objects/big.bin";
  auto put = f.client.request("PUT", object, f.global(), std::string(16u << 20, 'x'));
  BOOST_TEST_REQUIRE(put.status == 200u, put.body);
  f.client.close();  // so that open_connections() counts only the test's own
  return object;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_clients)

BOOST_AUTO_TEST_CASE(closes_a_connection_that_sends_nothing) {
  SandboxFixture f(short_limits());
  RawConnection c(f.server.port());
  const auto connected = Clock::now();
  const auto end = c.wait_for_close(patience);
  BOOST_TEST(end.closed);
  BOOST_TEST(end.bytes.empty(), end.bytes);
  BOOST_TEST(ms_since(connected) >= 250);  // the timeout closed it, not a refusal
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
}

BOOST_AUTO_TEST_CASE(closes_a_connection_that_trickles_its_head) {
  SandboxFixture f(short_limits());
  RawConnection c(f.server.port());
  // A byte every 50 ms never lets a single read wait long, yet the whole
  // head would take minutes: only a deadline on the whole head stops it.
  const std::string head = get("/__sandbox/identity", "X-Padding: " + std::string(4000, 'a') + "\r\n");
  const auto started = Clock::now();
  bool closed = false;
  std::size_t sent = 0;
  while (!closed && sent < head.size() && Clock::now() - started < patience) {
    closed = !c.send(head.substr(sent++, 1)) || c.wait_for_close(50ms).closed;
  }
  BOOST_TEST(closed, "still open after " << sent << " bytes");
  BOOST_TEST(sent < head.size());
}

BOOST_AUTO_TEST_CASE(closes_a_keep_alive_connection_left_idle) {
  SandboxFixture f(short_limits());
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity")));
  auto res = c.read_response();
  BOOST_TEST_REQUIRE(res.has_value());
  BOOST_TEST(res->result_int() == 200u);
  BOOST_TEST(res->keep_alive());
  const auto answered = Clock::now();
  const auto end = c.wait_for_close(patience);
  BOOST_TEST(end.closed);
  BOOST_TEST(end.bytes.empty(), end.bytes);
  BOOST_TEST(ms_since(answered) >= 250);
}

BOOST_AUTO_TEST_CASE(a_keep_alive_client_may_pause_longer_than_the_header_timeout) {
  Options o = short_limits();
  o.idle_timeout = patience;
  SandboxFixture f(o);
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity")));
  BOOST_TEST_REQUIRE(c.read_response().has_value());
  // Well past header_timeout, well within idle_timeout.
  std::this_thread::sleep_for(900ms);
  BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity")));
  auto second = c.read_response();
  BOOST_TEST_REQUIRE(second.has_value(), "the idle connection was closed");
  BOOST_TEST(second->result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(closes_a_connection_whose_body_stalls) {
  SandboxFixture f(short_limits());
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send("POST /client/v4/accounts/" + f.id().account_id + "/r2/buckets HTTP/1.1\r\n" +
                            "Host: 127.0.0.1\r\n" + global_key_headers(f.id()) +
                            "Content-Length: 100\r\n\r\n{\"name\":"));
  const auto end = c.wait_for_close(patience);
  BOOST_TEST(end.closed);
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
}

BOOST_AUTO_TEST_CASE(keeps_reading_a_body_that_arrives_slowly_but_steadily) {
  Options o;
  o.body_timeout = 1s;
  SandboxFixture f(o);
  RawConnection c(f.server.port());
  const std::string body = R"({"name":"steady-bucket"})";
  BOOST_TEST_REQUIRE(c.send("POST /client/v4/accounts/" + f.id().account_id + "/r2/buckets HTTP/1.1\r\n" +
                            "Host: 127.0.0.1\r\n" + global_key_headers(f.id()) +
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  // 24 pieces 100 ms apart: the whole body takes over twice body_timeout.
  for (char ch : body) {
    BOOST_TEST_REQUIRE(c.send(std::string(1, ch)));
    std::this_thread::sleep_for(100ms);
  }
  auto res = c.read_response();
  BOOST_TEST_REQUIRE(res.has_value(), "closed before the body was complete");
  BOOST_TEST(res->result_int() == 200u, res->body());
}

BOOST_AUTO_TEST_CASE(answers_431_to_a_head_over_32_kib_and_serves_one_under_it) {
  SandboxFixture f;
  {
    RawConnection c(f.server.port());
    BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity", "X-Padding: " + std::string(40 * 1024, 'a') + "\r\n")));
    check_refusal(c.read_response(), 431, 10001);
    BOOST_TEST(c.wait_for_close(patience).closed);
  }
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity", "X-Padding: " + std::string(30 * 1024, 'a') + "\r\n")));
  auto res = c.read_response();
  BOOST_TEST_REQUIRE(res.has_value());
  BOOST_TEST(res->result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(answers_413_to_a_chunked_body_that_grows_past_the_route_limit) {
  // JSON routes take 64 MiB: a first chunk of 1 KiB, then one declaring
  // 64 MiB more. The limit counts the whole body, so the second is refused
  // as soon as its size is read, before its bytes are sent.
  SandboxFixture f;
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send("POST /client/v4/accounts/" + f.id().account_id + "/r2/buckets HTTP/1.1\r\n" +
                            "Host: 127.0.0.1\r\n" + global_key_headers(f.id()) +
                            "Transfer-Encoding: chunked\r\n\r\n400\r\n" + std::string(1024, ' ') +
                            "\r\n4000000\r\n" + std::string(1024, ' ')));
  check_refusal(c.read_response(), 413, 10001);
  BOOST_TEST(c.wait_for_close(patience).closed);
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(answers_400_to_binary_garbage_and_keeps_serving_others) {
  SandboxFixture f;
  // What a TLS client sends first, then noise.
  std::string garbage("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  std::mt19937 random(7);
  for (int i = 0; i < 2048; ++i) garbage.push_back(static_cast<char>(random() & 0xff));
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(garbage));
  auto res = c.read_response();
  check_refusal(res, 400, 10001);
  BOOST_TEST(c.wait_for_close(patience).closed);
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(answers_400_to_a_malformed_head_or_chunked_body_and_closes) {
  SandboxFixture f;
  const std::string post = "POST /client/v4/accounts/" + f.id().account_id + "/r2/buckets HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"malformed request line", "GET /__sandbox/identity HTTX/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
      {"space inside the target", "GET /__sandbox/ identity HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
      {"header without colon", "GET /__sandbox/identity HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"},
      {"control byte in a header value", std::string("GET /__sandbox/identity HTTP/1.1\r\nX-A: a\x01z\r\n\r\n")},
      {"Content-Length not a number", post + "Content-Length: ten\r\n\r\n"},
      {"chunk size not hex", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
      {"chunk longer than its size", post + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"},
  };
  for (const auto& [what, raw] : cases) {
    BOOST_TEST_CONTEXT(what) {
      RawConnection c(f.server.port());
      BOOST_TEST_REQUIRE(c.send(raw));
      auto res = c.read_response();
      check_refusal(res, 400, 10001);
      if (res) BOOST_TEST(res->body().find("Malformed HTTP request") != std::string::npos, res->body());
      BOOST_TEST(c.wait_for_close(patience).closed);
    }
  }
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(answers_a_client_that_half_closes_after_its_request) {
  SandboxFixture f;  // default timeouts: only the half-close can end the connection quickly
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get("/__sandbox/identity")));
  c.shut_down_sending();
  auto res = c.read_response();
  BOOST_TEST_REQUIRE(res.has_value(), "no answer after the half-close");
  BOOST_TEST(res->result_int() == 200u);
  BOOST_TEST(res->body().find(f.id().account_id) != std::string::npos, res->body());
  BOOST_TEST(c.wait_for_close(patience).closed);
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
}

BOOST_AUTO_TEST_CASE(cleans_up_a_client_that_half_closes_mid_request) {
  TempDir dir;
  Options o;
  o.state_dir = dir.path() / "state";
  SandboxFixture f(o);
  const auto temp_files = dir.path() / "state" / "objects" / "tmp";
  {
    RawConnection c(f.server.port());
    BOOST_TEST_REQUIRE(c.send("GET /__sandbox/identity HTTP/1.1\r\nHost: 127."));
    c.shut_down_sending();
    const auto end = c.wait_for_close(patience);
    BOOST_TEST(end.closed);
    BOOST_TEST(end.bytes.empty(), end.bytes);
  }
  {
    // An object PUT streams its body to a temp file: half of it must not stay.
    RawConnection c(f.server.port());
    BOOST_TEST_REQUIRE(c.send("PUT /client/v4/accounts/" + f.id().account_id + "/r2/buckets/b/objects/half HTTP/1.1\r\n" +
                              "Host: 127.0.0.1\r\n" + global_key_headers(f.id()) + "Content-Length: 100000\r\n\r\n" +
                              std::string(50000, 'x')));
    c.shut_down_sending();
    BOOST_TEST(c.wait_for_close(patience).closed);
  }
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
  BOOST_TEST(std::filesystem::is_empty(temp_files));
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(survives_a_client_that_resets_mid_response) {
  SandboxFixture f;  // default send_timeout: only the reset can end the write quickly
  const auto object = make_large_object(f);
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get(object, global_key_headers(f.id()))));
  BOOST_TEST_REQUIRE(c.read_some().starts_with("HTTP/1.1 200"));
  BOOST_TEST_REQUIRE(f.server.open_connections() == 1u);
  c.reset();
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(closes_a_connection_that_stops_reading_its_response) {
  SandboxFixture f(short_limits());
  const auto object = make_large_object(f);
  RawConnection c(f.server.port());
  BOOST_TEST_REQUIRE(c.send(get(object, global_key_headers(f.id()))));
  // The client reads nothing: the server's writes stall once the buffers fill.
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 0u; }));
  check_still_serves(f);
}

BOOST_AUTO_TEST_CASE(answers_503_over_the_connection_cap_and_serves_again_when_one_closes) {
  Options o;
  o.max_connections = 3;
  SandboxFixture f(o);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<RawConnection>(f.server.port()));
    BOOST_TEST_REQUIRE(open.back()->send(get("/__sandbox/identity")));
    auto res = open.back()->read_response();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200u);
  }
  BOOST_TEST(f.server.open_connections() == 3u);

  RawConnection extra(f.server.port());
  extra.send(get("/__sandbox/identity"));  // the answer may come first and the send fail
  auto refused = extra.read_response();
  check_refusal(refused, 503, 10003);
  if (refused) BOOST_TEST(refused->at("Retry-After") == "1");
  BOOST_TEST(extra.wait_for_close(patience).closed);

  // The three still work; once one leaves, a new client is served again.
  for (auto& c : open) {
    BOOST_TEST_REQUIRE(c->send(get("/__sandbox/identity")));
    auto res = c->read_response();
    BOOST_TEST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200u);
  }
  open.back()->shut_down_sending();
  BOOST_TEST(open.back()->wait_for_close(patience).closed);
  open.pop_back();
  BOOST_TEST(eventually([&] { return f.server.open_connections() == 2u; }));
  RawConnection again(f.server.port());
  BOOST_TEST_REQUIRE(again.send(get("/__sandbox/identity")));
  auto res = again.read_response();
  BOOST_TEST_REQUIRE(res.has_value());
  BOOST_TEST(res->result_int() == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
