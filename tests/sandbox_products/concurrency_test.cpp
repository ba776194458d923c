// Many clients uploading at once, each over its own connection.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <latch>
#include <thread>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(concurrency)

namespace {

// Both server layouts: one I/O thread (the default) and several, where every
// connection gets its own strand. 200 threads each open a connection, wait
// until all 200 are open, then send one 10 KB PUT at the same moment.
void two_hundred_concurrent_puts(std::size_t server_threads) {
  Options options;
  options.threads = server_threads;
  SandboxFixture f(options);
  BOOST_TEST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "load-test"}}, f.global()).status == 200u);
  constexpr int clients = 200;
  std::latch all_connected(clients);
  std::vector<std::string> failures(clients);  // one slot per thread: no lock needed
  std::atomic<int> connected{0};
  const auto started = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> pool;
    for (int i = 0; i < clients; ++i)
      pool.emplace_back([&, i] {
        TestClient client("127.0.0.1", f.server.port());
        bool open = false;
        try {
          client.connect();
          open = true;
          ++connected;
        } catch (const std::exception& e) {
          failures[i] = std::string("connect: ") + e.what();
        }
        all_connected.arrive_and_wait();  // every thread arrives exactly once, even after a failure
        if (!open) return;
        std::string body(10 * 1024, static_cast<char>('a' + i % 26));
        try {
          auto r = client.request("PUT", r2(f.id(), "/load-test/objects/obj-" + std::to_string(i)), f.global(), body);
          if (r.status != 200u || r.result().at("size").as_string() != "10240") failures[i] = r.body;
        } catch (const std::exception& e) {
          failures[i] = e.what();
        }
      });
  }  // joins every thread
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  BOOST_TEST_MESSAGE("200 concurrent PUTs on " << server_threads << " server thread(s): " << elapsed.count() << " ms");
  BOOST_TEST(connected.load() == clients);
  int succeeded = 0;
  for (int i = 0; i < clients; ++i) {
    BOOST_TEST(failures[i].empty(), "client " << i << ": " << failures[i]);
    succeeded += failures[i].empty();
  }
  BOOST_TEST(succeeded == clients);
  auto l = f.client.get(r2(f.id(), "/load-test/objects?per_page=1000"), f.global());
  BOOST_TEST(l.result().as_array().size() == static_cast<std::size_t>(clients));
  auto one = f.client.get(r2(f.id(), "/load-test/objects/obj-27"), f.global());
  BOOST_TEST(one.body == std::string(10 * 1024, 'b'));
  BOOST_TEST(elapsed.count() < 10000);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_10k_object_puts_all_succeed) { two_hundred_concurrent_puts(1); }

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_puts_succeed_on_a_multi_threaded_server) {
  two_hundred_concurrent_puts(4);
}

BOOST_AUTO_TEST_SUITE_END()
