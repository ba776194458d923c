#include "http/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using pw::http::RateLimiter;

namespace {

// A clock the test moves by hand, so no test sleeps.
struct FakeClock {
  RateLimiter::Clock::time_point now{std::chrono::hours(1)};
  RateLimiter::Now source() {
    return [this] { return now; };
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(exhausted_budget_reports_wait_until_oldest_request_leaves_window) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{3, 10s, true}, clock.source());
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  clock.now += 2s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 8000);  // first one leaves at t+10s
  clock.now += 8s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 2000);  // next leaves at t+12s
}

BOOST_AUTO_TEST_CASE(keys_have_separate_budgets) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1, 60s, true}, clock.source());
  BOOST_TEST(limiter.try_acquire("a").count() == 0);
  BOOST_TEST(limiter.try_acquire("a").count() > 0);
  BOOST_TEST(limiter.try_acquire("b").count() == 0);
}

BOOST_AUTO_TEST_CASE(pause_after_429_blocks_the_key_for_the_given_time) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{100, 60s, true}, clock.source());
  limiter.pause("k", 1500ms);
  BOOST_TEST(limiter.try_acquire("k").count() == 1500);
  BOOST_TEST(limiter.try_acquire("other").count() == 0);
  clock.now += 1s;
  BOOST_TEST(limiter.try_acquire("k").count() == 500);
  limiter.pause("k", 100ms);  // a shorter pause does not shorten the current one
  BOOST_TEST(limiter.try_acquire("k").count() == 500);
  clock.now += 500ms;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_CASE(disabled_budget_never_waits) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1, 60s, false}, clock.source());
  for (int i = 0; i < 10; ++i) BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
