// Many clients uploading at once over keep-alive connections.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

BOOST_AUTO_TEST_SUITE(concurrency)

namespace {

// Both server layouts: one I/O thread (the default) and several, where every
// connection gets its own strand.
void two_hundred_concurrent_puts(std::size_t server_threads) {
  Options options;
  options.threads = server_threads;
  SandboxFixture f(options);
  BOOST_TEST_REQUIRE(f.client.post(r2(f.id()), json::object{{"name", "load-test"}}, f.global()).status == 200u);
  constexpr int threads = 12;
  constexpr int objects = 200;
  std::atomic<int> next{0}, succeeded{0};
  std::vector<std::string> failures(threads);
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        TestClient client("127.0.0.1", f.server.port());  // one keep-alive connection per thread
        for (int i = next++; i < objects; i = next++) {
          std::string body(10 * 1024, static_cast<char>('a' + i % 26));
          try {
            auto r = client.request("PUT", r2(f.id(), "/load-test/objects/obj-" + std::to_string(i)), f.global(), body);
            if (r.status == 200u && r.result().at("size").as_string() == "10240") ++succeeded;
            else failures[t] = r.body;
          } catch (const std::exception& e) {
            failures[t] = e.what();
          }
        }
      });
  }
  for (const auto& failure : failures) BOOST_TEST(failure.empty(), failure);
  BOOST_TEST(succeeded.load() == objects);
  auto l = f.client.get(r2(f.id(), "/load-test/objects"), f.global());
  BOOST_TEST(l.result().as_array().size() == static_cast<std::size_t>(objects));
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_10k_object_puts_all_succeed) { two_hundred_concurrent_puts(1); }

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_puts_succeed_on_a_multi_threaded_server) {
  two_hundred_concurrent_puts(4);
}

BOOST_AUTO_TEST_SUITE_END()
