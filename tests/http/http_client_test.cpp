#define BOOST_TEST_MODULE http_client
#include "test_certificate.hpp"
#include "test_server.hpp"

#include <pipewright/host/http/http_client.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using pw::test::ReceivedRequest;
using pw::test::Reply;
using pw::test::TestServer;
using Clock = std::chrono::steady_clock;

namespace {

// Tiny delays so that retries cost nothing; the rate limit is off unless a
// test is about it.
pw::HttpClientOptions fast_options() {
  pw::HttpClientOptions options;
  options.initial_backoff = 1ms;
  options.max_backoff = 5ms;
  options.connect_timeout = 5s;
  options.rate.enabled = false;
  return options;
}

pw::HttpRequest request(std::string method, std::string url) {
  pw::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.timeout = 10s;
  return r;
}

Reply ok(std::string body = "ok") {
  Reply reply;
  reply.body = std::move(body);
  return reply;
}

// A file removed when the test ends.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& contents) {
    path = std::filesystem::temp_directory_path() /
           ("pw_http_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

// A loopback port nobody listens on: bound, then released.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_requests_reuse_one_keep_alive_connection) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  pw::HttpClient client(fast_options());
  for (int i = 0; i < 5; ++i) {
    auto response = client.send(request("GET", server.url("/r")));
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body == "ok");
    BOOST_TEST(response.outcome == "ok");
    BOOST_TEST(response.attempts == 1);
  }
  BOOST_TEST(server.requests() == 5u);
  BOOST_TEST(server.connections() == 1u);
}

BOOST_AUTO_TEST_CASE(retries_503_then_returns_the_200_with_one_event_per_attempt) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    Reply reply = ok("done");
    if (n == 1) reply.status = 503;
    return reply;
  });
  pw::HttpClient client(fast_options());
  std::vector<pw::HttpEvent> events;
  auto r = request("GET", server.url("/zones?page=2"));
  r.headers = {{"Authorization", "Bearer secret-token"}};
  auto response = client.send(r, {}, [&](const pw::HttpEvent& e) { events.push_back(e); });
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "done");
  BOOST_TEST(response.attempts == 2);
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].status == 503);
  BOOST_TEST(events[0].will_retry);
  BOOST_TEST(events[0].attempt == 1);
  BOOST_TEST(events[1].status == 200);
  BOOST_TEST(!events[1].will_retry);
  BOOST_TEST(events[1].attempt == 2);
  BOOST_TEST(events[1].url_path == "/zones?page=2");
  BOOST_TEST(events[1].host == "127.0.0.1");
  BOOST_TEST(events[1].method == "GET");
  BOOST_TEST(server.received().at(0).headers.size() > 0u);
}

BOOST_AUTO_TEST_CASE(honours_retry_after_on_429) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    Reply reply = ok();
    if (n == 1) reply = Reply{429, {{"Retry-After", "0"}}, "slow down"};
    if (n == 2) reply = Reply{429, {{"Retry-After", "1"}}, "slow down"};
    return reply;
  });
  auto options = fast_options();
  options.initial_backoff = 5s;  // would be visible if Retry-After were ignored
  options.max_backoff = 5s;
  pw::HttpClient client(options);
  std::vector<pw::HttpEvent> events;
  const auto start = Clock::now();
  auto response = client.send(request("GET", server.url("/")), {},
                              [&](const pw::HttpEvent& e) { events.push_back(e); });
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.attempts == 3);
  BOOST_REQUIRE(events.size() == 3u);
  BOOST_TEST(events[0].retry_delay.count() == 0);
  BOOST_TEST(events[1].retry_delay.count() == 1000);
  BOOST_TEST((Clock::now() - start < 4500ms));  // not the 5 s backoff
}

BOOST_AUTO_TEST_CASE(gives_up_when_retry_after_exceeds_the_maximum) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    return Reply{429, {{"Retry-After", "120"}}, "later"};
  });
  auto options = fast_options();
  options.max_retry_after = 2s;
  pw::HttpClient client(options);
  auto response = client.send(request("GET", server.url("/")));
  BOOST_TEST(response.status == 429);
  BOOST_TEST(response.outcome == "ok");
  BOOST_TEST(response.attempts == 1);
  BOOST_TEST(response.header("retry-after").value_or("") == "120");
  BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(post_dropped_after_receipt_is_not_retried_and_reported_unknown) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply;
    reply.drop = true;
    return reply;
  });
  pw::HttpClient client(fast_options());
  auto r = request("POST", server.url("/create"));
  r.body = R"({"name":"x"})";
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "unknown");
  BOOST_TEST(response.attempts == 1);
  BOOST_TEST(!response.error.empty());
  BOOST_TEST(server.requests() == 1u);
  BOOST_TEST(server.received().at(0).body == R"({"name":"x"})");
}

BOOST_AUTO_TEST_CASE(post_5xx_is_returned_as_is) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    return Reply{502, {}, "bad gateway"};
  });
  pw::HttpClient client(fast_options());
  auto response = client.send(request("POST", server.url("/create")));
  BOOST_TEST(response.status == 502);
  BOOST_TEST(response.attempts == 1);
  BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(post_marked_safe_is_retried_after_a_drop) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    Reply reply = ok();
    reply.drop = n == 1;
    return reply;
  });
  pw::HttpClient client(fast_options());
  auto r = request("POST", server.url("/idempotent"));
  r.safe_to_retry = true;
  auto response = client.send(r);
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.attempts == 2);
}

BOOST_AUTO_TEST_CASE(get_is_retried_after_a_drop) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    Reply reply = ok();
    reply.drop = n == 1;
    return reply;
  });
  pw::HttpClient client(fast_options());
  auto response = client.send(request("GET", server.url("/")));
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.outcome == "ok");
  BOOST_TEST(response.attempts == 2);
  BOOST_TEST(server.requests() == 2u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_fails_fast_after_one_retry) {
  auto options = fast_options();
  options.max_attempts = 5;
  options.initial_backoff = 2s;  // would show if a refusal took the usual backoff
  pw::HttpClient client(options);
  const auto start = Clock::now();
  auto response =
      client.send(request("POST", "http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(response.attempts == 2);
  BOOST_TEST(response.error.find("connection refused") != std::string::npos, response.error);
  BOOST_TEST((Clock::now() - start < 1500ms));
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_non_loopback_host_is_refused_without_network_io) {
  pw::HttpClient client(fast_options());
  std::vector<pw::HttpEvent> events;
  auto response = client.send(request("GET", "http://example.invalid/"), {},
                              [&](const pw::HttpEvent& e) { events.push_back(e); });
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(response.attempts == 0);
  BOOST_TEST(response.error.find("plain HTTP is only allowed to loopback") != std::string::npos);
  BOOST_TEST(events.empty());
}

BOOST_AUTO_TEST_CASE(self_signed_certificate_is_rejected_by_default) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); },
                    pw::test::make_self_signed_certificate());
  auto options = fast_options();
  options.max_attempts = 1;
  pw::HttpClient client(options);
  auto response = client.send(request("GET", server.url("/")));
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(response.error.find("TLS handshake") != std::string::npos, response.error);
  BOOST_TEST(server.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(certificate_is_accepted_with_ca_file_for_ip_and_name) {
  const auto certificate = pw::test::make_self_signed_certificate();
  TempFile ca(certificate.cert_pem);
  TestServer server([](const ReceivedRequest& r, std::size_t) { return ok(r.target); },
                    certificate);
  auto options = fast_options();
  options.ca_file = ca.path.string();
  pw::HttpClient client(options);
  auto by_ip = client.send(request("GET", server.url("/ip")));
  BOOST_TEST(by_ip.status == 200, by_ip.error);
  BOOST_TEST(by_ip.body == "/ip");
  auto by_name = client.send(request("GET", server.url("/name", "localhost")));
  BOOST_TEST(by_name.status == 200, by_name.error);
  BOOST_TEST(by_name.body == "/name");
}

BOOST_AUTO_TEST_CASE(body_file_is_streamed_byte_for_byte) {
  std::string contents(3 * 1024 * 1024 + 17, '\0');
  std::uint32_t x = 12345;
  for (auto& c : contents) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  TempFile file(contents);
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  pw::HttpClient client(fast_options());
  auto r = request("PUT", server.url("/upload"));
  r.body_file = file.path;
  auto response = client.send(r);
  BOOST_TEST(response.status == 200);
  const auto received = server.received();
  BOOST_REQUIRE(received.size() == 1u);
  BOOST_TEST(received[0].body.size() == contents.size());
  BOOST_TEST((received[0].body == contents));
}

BOOST_AUTO_TEST_CASE(body_range_sends_exactly_those_bytes_of_the_file) {
  std::string contents(1024 * 1024 + 5, '\0');
  for (std::size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>(i * 7 + i / 251);
  TempFile file(contents);
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  pw::HttpClient client(fast_options());
  auto r = request("PUT", server.url("/part"));
  r.body_file = file.path;
  r.body_range = pw::HttpRequest::Range{700000, contents.size() - 700000};
  BOOST_TEST(client.send(r).status == 200);
  r.body_range = pw::HttpRequest::Range{3, 0};
  BOOST_TEST(client.send(r).status == 200);
  const auto received = server.received();
  BOOST_REQUIRE(received.size() == 2u);
  BOOST_TEST((received[0].body == contents.substr(700000)));
  BOOST_TEST(received[1].body.empty());
}

BOOST_AUTO_TEST_CASE(a_body_range_past_the_end_of_the_file_fails_without_a_body) {
  TempFile file("0123456789");
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  pw::HttpClient client(fast_options());
  auto r = request("PUT", server.url("/part"));
  r.body_file = file.path;
  r.body_range = pw::HttpRequest::Range{8, 5};
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.error.find("cannot read bytes 8+5") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unmetered_request_does_not_wait_for_the_rate_budget) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{1, std::chrono::seconds(5), true};
  pw::HttpClient client(options);
  const auto start = Clock::now();
  BOOST_TEST(client.send(request("GET", server.url("/"))).status == 200);  // spends the budget
  auto unmetered = request("GET", server.url("/s3"));
  unmetered.metered = false;
  for (int i = 0; i < 5; ++i) BOOST_TEST(client.send(unmetered).status == 200);
  BOOST_TEST((Clock::now() - start < 2s));
}

BOOST_AUTO_TEST_CASE(missing_body_file_fails_without_sending) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  pw::HttpClient client(fast_options());
  auto r = request("PUT", server.url("/upload"));
  r.body_file = "/nonexistent/pw_http_test_body";
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(server.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(batch_keeps_concurrency_bound_and_completes_all_on_the_calling_thread) {
  TestServer server([](const ReceivedRequest& r, std::size_t) {
    Reply reply = ok(r.target);
    reply.delay = 20ms;
    return reply;
  });
  pw::HttpClient client(fast_options());
  std::vector<pw::HttpRequest> requests;
  for (int i = 0; i < 24; ++i)
    requests.push_back(request("GET", server.url("/" + std::to_string(i))));
  std::set<std::size_t> done;
  bool all_ok = true, same_thread = true;
  const auto caller = std::this_thread::get_id();
  client.send_batch(std::move(requests), 4, [&](std::size_t index, pw::HttpResponse&& response) {
    done.insert(index);
    if (response.status != 200 || response.body != "/" + std::to_string(index))
      BOOST_TEST_MESSAGE("index " << index << " status " << response.status << " body "
                                  << response.body << " error " << response.error);
    all_ok = all_ok && response.status == 200 && response.body == "/" + std::to_string(index);
    same_thread = same_thread && std::this_thread::get_id() == caller;
  });
  BOOST_TEST(done.size() == 24u);
  BOOST_TEST(all_ok);
  BOOST_TEST(same_thread);
  BOOST_TEST(server.requests() == 24u);
  BOOST_TEST(server.max_in_flight() <= 4u);
  BOOST_TEST(server.connections() <= 4u);
}

BOOST_AUTO_TEST_CASE(batches_of_two_callers_share_one_in_flight_budget_and_take_turns) {
  TestServer server([](const ReceivedRequest& r, std::size_t) {
    Reply reply = ok(r.target);
    reply.delay = 20ms;
    return reply;
  });
  auto options = fast_options();
  options.in_flight = pw::InFlightLimits{4000, 3, 3};
  pw::HttpClient client(options);
  // A big batch with no bound of its own, and a small one that starts later.
  std::vector<pw::HttpRequest> big, small;
  for (int i = 0; i < 30; ++i)
    big.push_back(request("GET", server.url("/big" + std::to_string(i))));
  for (int i = 0; i < 3; ++i)
    small.push_back(request("GET", server.url("/small" + std::to_string(i))));
  std::atomic<std::size_t> big_done{0};
  std::size_t big_done_when_small_finished = 0;
  std::thread first([&] {
    client.send_batch(std::move(big), 0,
                      [&](std::size_t, pw::HttpResponse&& r) { big_done += r.status == 200; });
  });
  std::this_thread::sleep_for(50ms);
  std::size_t small_ok = 0;
  client.send_batch(std::move(small), 0,
                    [&](std::size_t, pw::HttpResponse&& r) { small_ok += r.status == 200; });
  big_done_when_small_finished = big_done;
  first.join();
  BOOST_TEST(big_done == 30u);
  BOOST_TEST(small_ok == 3u);
  BOOST_TEST(server.max_in_flight() <= 3u);  // both callers together
  BOOST_TEST(server.max_in_flight() >= 2u);
  // Served in turn: the small batch did not wait for the big one's 30.
  BOOST_TEST(big_done_when_small_finished < 25u);
}

BOOST_AUTO_TEST_CASE(a_request_waiting_for_the_rate_budget_holds_no_in_flight_slot) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{1, std::chrono::seconds(3), true};
  options.in_flight = pw::InFlightLimits{4000, 1, 1};
  pw::HttpClient client(options);
  auto with_token = [&](std::string token) {
    auto r = request("GET", server.url("/"));
    r.headers.emplace_back("Authorization", "Bearer " + token);
    return r;
  };
  BOOST_TEST(client.send(with_token("a")).status == 200);
  // The second request of token a waits ~3 s for its budget...
  std::thread waiting([&] { client.send(with_token("a")); });
  std::this_thread::sleep_for(100ms);
  // ...while token b's request takes the origin's only slot at once.
  const auto start = Clock::now();
  BOOST_TEST(client.send(with_token("b")).status == 200);
  BOOST_TEST((Clock::now() - start < 1s));
  waiting.join();
  BOOST_TEST(server.requests() == 3u);
}

BOOST_AUTO_TEST_CASE(cancelling_an_in_flight_request_returns_promptly) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply = ok();
    reply.delay = 10s;
    return reply;
  });
  pw::HttpClient client(fast_options());
  const auto start = Clock::now();
  auto response = client.send(request("GET", server.url("/slow")),
                              [&] { return Clock::now() - start > 200ms; });
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(response.error == "cancelled");
  BOOST_TEST((Clock::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(cancelling_during_backoff_returns_promptly) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return Reply{503, {}, ""}; });
  auto options = fast_options();
  options.initial_backoff = 20s;
  options.max_backoff = 20s;
  pw::HttpClient client(options);
  const auto start = Clock::now();
  auto response =
      client.send(request("GET", server.url("/")), [&] { return Clock::now() - start > 200ms; });
  BOOST_TEST(response.error == "cancelled");
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelled_batch_completes_every_request) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply = ok();
    reply.delay = 10s;
    return reply;
  });
  pw::HttpClient client(fast_options());
  std::vector<pw::HttpRequest> requests(6, request("GET", server.url("/slow")));
  std::size_t cancelled = 0;
  const auto start = Clock::now();
  client.send_batch(
      std::move(requests), 2,
      [&](std::size_t, pw::HttpResponse&& response) { cancelled += response.error == "cancelled"; },
      [&] { return Clock::now() - start > 200ms; });
  BOOST_TEST(cancelled == 6u);
  BOOST_TEST((Clock::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_server_does_not_fail_the_next_request) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply = ok();
    reply.close_after = true;  // keep-alive promised, then closed: an idle timeout
    return reply;
  });
  auto options = fast_options();
  options.max_attempts = 1;  // no ordinary retry may hide a failure
  pw::HttpClient client(options);
  BOOST_TEST(client.send(request("GET", server.url("/1"))).status == 200);
  auto get = client.send(request("GET", server.url("/2")));
  BOOST_TEST(get.status == 200, get.error);
  std::this_thread::sleep_for(200ms);  // let the server's FIN arrive
  auto post = client.send(request("POST", server.url("/3")));
  BOOST_TEST(post.status == 200, post.error);
  BOOST_TEST(server.requests() == 3u);
}

BOOST_AUTO_TEST_CASE(rate_budget_makes_callers_wait) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{2, std::chrono::seconds(1), true};
  pw::HttpClient client(options);
  const auto start = Clock::now();
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(client.send(request("GET", server.url("/"))).status == 200);
  BOOST_TEST((Clock::now() - start >= 500ms));  // the third waited for the window
}

BOOST_AUTO_TEST_CASE(one_address_budget_holds_every_credential_of_the_origin_back) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{100, std::chrono::seconds(1), true};
  options.per_address = pw::RateBudget{2, std::chrono::seconds(1), true};
  options.per_address_on_loopback = true;
  pw::HttpClient client(options);
  const auto start = Clock::now();
  // Two credentials, each far inside its own budget: the origin's
  // per-address budget is what makes the third request wait.
  for (int i = 0; i < 3; ++i) {
    auto r = request("GET", server.url("/"));
    r.headers.emplace_back("Authorization", "Bearer credential-" + std::to_string(i % 2));
    BOOST_TEST(client.send(r).status == 200);
  }
  BOOST_TEST((Clock::now() - start >= 500ms));
  BOOST_TEST(server.requests() == 3u);
}

BOOST_AUTO_TEST_CASE(every_further_wait_for_the_rate_budget_is_announced) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{1, std::chrono::seconds(2), true};
  pw::HttpClient client(options);
  std::vector<pw::HttpRequest> requests(3, request("GET", server.url("/")));
  std::vector<std::string> waits;
  client.send_batch(
      std::move(requests), 3, [](std::size_t, pw::HttpResponse&&) {}, {},
      [&](const pw::HttpEvent& e) {
        if (e.kind == pw::HttpEvent::Kind::waiting) waits.push_back(e.url_path);
      });
  // The second and third wait 2 s; the third, beaten to that unit by the
  // second, waits another window, and says so again.
  BOOST_TEST(waits.size() == 3u);
  BOOST_TEST(server.requests() == 3u);
}

BOOST_AUTO_TEST_CASE(a_new_credential_sends_one_request_before_it_knows_what_the_server_has_left) {
  // The server has 2 requests left of this second (another client of the
  // user spent the rest), and says so in every answer.
  std::mutex mutex;
  std::vector<Clock::time_point> arrivals;
  TestServer server([&](const ReceivedRequest&, std::size_t) {
    {
      std::lock_guard lock(mutex);
      arrivals.push_back(Clock::now());
    }
    Reply reply = ok();
    reply.delay = 20ms;
    reply.headers = {{"Ratelimit", "\"default\";r=2;t=1"}, {"Ratelimit-Policy", "\"burst\";q=3;w=1"}};
    return reply;
  });
  auto options = fast_options();
  options.rate = pw::RateBudget{1200, std::chrono::seconds(300), true};
  pw::HttpClient client(options);
  std::vector<pw::HttpRequest> requests(8, request("GET", server.url("/")));
  for (auto& r : requests) r.headers.emplace_back("Authorization", "Bearer fresh-token");
  const auto start = Clock::now();
  std::size_t answered = 0;
  client.send_batch(std::move(requests), 0, [&](std::size_t, pw::HttpResponse&& r) { answered += r.status == 200; });
  BOOST_TEST(answered == 8u);
  // Not eight at once on a guess: the first answer said 2 were left.
  std::size_t first_half_second = 0;
  for (auto at : arrivals) first_half_second += at - start < 500ms;
  BOOST_TEST(first_half_second <= 3u);
}

BOOST_AUTO_TEST_CASE(request_timeout_is_a_failure_for_get) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply = ok();
    reply.delay = 5s;
    return reply;
  });
  auto options = fast_options();
  options.max_attempts = 1;
  pw::HttpClient client(options);
  auto r = request("GET", server.url("/slow"));
  r.timeout = 200ms;
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "failed");
  BOOST_TEST(response.error.find("timed out") != std::string::npos, response.error);
}

BOOST_AUTO_TEST_CASE(connections_per_origin_stay_bounded_with_two_io_threads) {
  TestServer server([](const ReceivedRequest& r, std::size_t) {
    Reply reply = ok(r.target);
    reply.delay = 10ms;
    return reply;
  });
  auto options = fast_options();
  options.max_connections_per_origin = 2;
  options.io_threads = 2;
  pw::HttpClient client(options);
  std::vector<pw::HttpRequest> requests;
  for (int i = 0; i < 16; ++i)
    requests.push_back(request("GET", server.url("/" + std::to_string(i))));
  std::size_t matched = 0;
  client.send_batch(std::move(requests), 8, [&](std::size_t index, pw::HttpResponse&& response) {
    matched += response.status == 200 && response.body == "/" + std::to_string(index);
  });
  BOOST_TEST(matched == 16u);
  BOOST_TEST(server.connections() <= 2u);
  BOOST_TEST(server.max_in_flight() <= 2u);
}

BOOST_AUTO_TEST_CASE(a_429_to_a_post_is_sent_again_after_retry_after) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    return n == 1 ? Reply{429, {{"Retry-After", "1"}}, "slow down"} : ok();
  });
  auto options = fast_options();
  options.rate = pw::RateBudget{1000, std::chrono::seconds(60), true};
  pw::HttpClient client(options);
  const auto start = Clock::now();
  // Not safe to repeat after a 5xx, but a 429 was refused before handling.
  auto response = client.send(request("POST", server.url("/a")));
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.attempts == 2);
  BOOST_TEST(server.requests() == 2u);
  BOOST_TEST((Clock::now() - start >= 900ms));  // waited as told
}

BOOST_AUTO_TEST_CASE(a_429_pauses_every_request_on_the_same_budget) {
  TestServer server([](const ReceivedRequest& r, std::size_t) {
    static std::atomic<int> throttled{0};
    if (r.target == "/a" && throttled++ == 0) return Reply{429, {{"Retry-After", "2"}}, "slow down"};
    return ok();
  });
  auto options = fast_options();
  options.rate = pw::RateBudget{1000, std::chrono::seconds(60), true};
  pw::HttpClient client(options);
  const auto start = Clock::now();
  BOOST_TEST(client.send(request("GET", server.url("/a"))).attempts == 2);
  BOOST_TEST((Clock::now() - start >= 1900ms));
  // Another request, started while /a waited, waits for the same pause
  // although it was never throttled itself.
  std::thread other;
  Clock::duration b_took{};
  {
    pw::HttpClient second(options);
    TestServer fresh([](const ReceivedRequest& r, std::size_t n) {
      return r.target == "/a" && n == 1 ? Reply{429, {{"Retry-After", "2"}}, "slow down"} : ok();
    });
    std::thread a([&] { second.send(request("GET", fresh.url("/a"))); });
    std::this_thread::sleep_for(300ms);  // /a has its 429 by now
    const auto b_start = Clock::now();
    BOOST_TEST(second.send(request("GET", fresh.url("/b"))).status == 200);
    b_took = Clock::now() - b_start;
    a.join();
  }
  BOOST_TEST((b_took >= 1000ms));
}

BOOST_AUTO_TEST_CASE(a_429_is_retried_past_max_attempts_up_to_its_own_limit) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    return n <= 4 ? Reply{429, {{"retry-after-ms", "5"}}, "slow down"} : ok();
  });
  auto options = fast_options();
  options.max_attempts = 2;
  pw::HttpClient client(options);
  auto response = client.send(request("PATCH", server.url("/")));
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.attempts == 5);

  options.max_rate_limited_retries = 2;
  pw::HttpClient strict(options);
  TestServer always([](const ReceivedRequest&, std::size_t) {
    return Reply{429, {{"retry-after-ms", "5"}}, "slow down"};
  });
  auto refused = strict.send(request("POST", always.url("/")));
  BOOST_TEST(refused.status == 429);
  BOOST_TEST(refused.attempts == 3);
}

BOOST_AUTO_TEST_CASE(a_retry_that_would_pass_the_deadline_is_not_made) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    return Reply{429, {{"Retry-After", "5"}}, "slow down"};
  });
  pw::HttpClient client(fast_options());
  auto r = request("POST", server.url("/"));
  r.deadline = Clock::now() + 2s;
  const auto start = Clock::now();
  auto response = client.send(r);
  BOOST_TEST(response.status == 429);
  BOOST_TEST(response.attempts == 1);
  BOOST_TEST(response.error.find("timeout") != std::string::npos, response.error);
  BOOST_TEST((Clock::now() - start < 1500ms));
}

BOOST_AUTO_TEST_CASE(a_5xx_to_a_post_is_returned_but_to_a_marked_post_is_retried) {
  TestServer server([](const ReceivedRequest&, std::size_t n) {
    return n <= 2 ? Reply{503, {}, "busy"} : ok();
  });
  pw::HttpClient client(fast_options());
  auto plain = client.send(request("POST", server.url("/")));
  BOOST_TEST(plain.status == 503);
  BOOST_TEST(plain.attempts == 1);
  auto marked = request("POST", server.url("/"));
  marked.safe_to_retry = true;
  auto retried = client.send(marked);
  BOOST_TEST(retried.status == 200);
  BOOST_TEST(retried.attempts == 2);
}

BOOST_AUTO_TEST_CASE(the_servers_ratelimit_header_holds_requests_back_before_a_429) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    return Reply{200, {{"Ratelimit", "\"default\";r=0;t=1"}}, "ok"};
  });
  auto options = fast_options();
  options.rate = pw::RateBudget{1000, std::chrono::seconds(60), true};
  pw::HttpClient client(options);
  const auto start = Clock::now();
  BOOST_TEST(client.send(request("GET", server.url("/"))).status == 200);
  BOOST_TEST(client.send(request("GET", server.url("/"))).status == 200);
  BOOST_TEST((Clock::now() - start >= 900ms));  // waited for the server's reset
}

BOOST_AUTO_TEST_CASE(a_wait_for_the_budget_past_the_deadline_fails_at_once_with_the_reason) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{1, std::chrono::seconds(30), true};
  pw::HttpClient client(options);
  BOOST_TEST(client.send(request("GET", server.url("/"))).status == 200);
  auto r = request("GET", server.url("/"));
  r.deadline = Clock::now() + 2s;
  const auto start = Clock::now();
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.error.find("rate budget would pass the step's timeout") != std::string::npos, response.error);
  BOOST_TEST((Clock::now() - start < 1s));
  BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(a_long_wait_for_the_budget_is_announced_once) {
  TestServer server([](const ReceivedRequest&, std::size_t) { return ok(); });
  auto options = fast_options();
  options.rate = pw::RateBudget{1, std::chrono::seconds(2), true};
  pw::HttpClient client(options);
  std::vector<pw::HttpEvent> events;
  auto sink = [&](const pw::HttpEvent& e) { events.push_back(e); };
  client.send(request("GET", server.url("/")), {}, sink);
  client.send(request("GET", server.url("/")), {}, sink);
  std::size_t waiting = 0;
  for (const auto& e : events)
    if (e.kind == pw::HttpEvent::Kind::waiting) {
      ++waiting;
      BOOST_TEST(e.retry_delay.count() >= 1000);
    }
  BOOST_TEST(waiting == 1u);
}

BOOST_AUTO_TEST_CASE(post_timing_out_after_it_was_sent_is_reported_unknown) {
  TestServer server([](const ReceivedRequest&, std::size_t) {
    Reply reply = ok();
    reply.delay = 5s;
    return reply;
  });
  pw::HttpClient client(fast_options());
  auto r = request("POST", server.url("/slow"));
  r.timeout = 200ms;
  auto response = client.send(r);
  BOOST_TEST(response.status == 0);
  BOOST_TEST(response.outcome == "unknown");
  BOOST_TEST(response.attempts == 1);
  BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(unreadable_ca_file_is_refused_at_construction) {
  auto options = fast_options();
  options.ca_file = "/nonexistent/pw_http_test_ca.pem";
  BOOST_CHECK_THROW(pw::HttpClient client(options), std::runtime_error);
}
