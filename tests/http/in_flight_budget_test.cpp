#include "in_flight_budget.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using pw::InFlightLimits;
using pw::http::InFlightBudget;

namespace {

const std::string api = "http://127.0.0.1:8787";

// Fills the origin up to its limit with line 0's requests.
void fill(InFlightBudget& budget, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) BOOST_REQUIRE(budget.take(api, 0, 1000 + i, [] {}));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(in_flight_budget)

BOOST_AUTO_TEST_CASE(limit_is_target_rate_times_round_trip_within_floor_and_ceiling) {
  InFlightBudget budget(InFlightLimits{4000, 16, 256});
  BOOST_TEST(budget.limit(api) == 16u);  // nothing measured yet: the floor
  BOOST_REQUIRE(budget.take(api, 1, 1, [] {}));
  budget.release(api, 50ms);  // the first answer sets the estimate
  BOOST_TEST(budget.round_trip(api).count() == 50000);
  BOOST_TEST(budget.limit(api) == 200u);  // 4,000/s x 50 ms
  for (int i = 0; i < 200; ++i) {
    BOOST_REQUIRE(budget.take(api, 1, 2, [] {}));
    budget.release(api, 1ms);  // loopback: CPU-bound, the floor is enough
  }
  BOOST_TEST(budget.limit(api) == 16u);
  for (int i = 0; i < 200; ++i) {
    BOOST_REQUIRE(budget.take(api, 1, 3, [] {}));
    budget.release(api, 2s);  // a far, slow API: never more than the ceiling
  }
  BOOST_TEST(budget.limit(api) == 256u);
  BOOST_TEST(budget.limit("https://api.cloudflare.com") == 16u);  // origins are apart
}

BOOST_AUTO_TEST_CASE(one_slow_answer_moves_the_estimate_by_an_eighth) {
  InFlightBudget budget(InFlightLimits{1000, 1, 1000});
  BOOST_REQUIRE(budget.take(api, 1, 1, [] {}));
  budget.release(api, 80ms);
  BOOST_REQUIRE(budget.take(api, 1, 2, [] {}));
  budget.release(api, 880ms);
  BOOST_TEST(budget.round_trip(api).count() == 180000);  // 80 + (880 - 80) / 8
  BOOST_TEST(budget.limit(api) == 180u);
  BOOST_REQUIRE(budget.take(api, 1, 3, [] {}));
  budget.release(api, std::nullopt);  // no answer: not a sample
  BOOST_TEST(budget.round_trip(api).count() == 180000);
}

BOOST_AUTO_TEST_CASE(requests_beyond_the_limit_wait_and_are_granted_as_slots_free) {
  InFlightBudget budget(InFlightLimits{4000, 2, 2});
  fill(budget, 2);
  int granted = 0;
  BOOST_TEST(!budget.take(api, 1, 1, [&] { ++granted; }));
  BOOST_TEST(!budget.take(api, 1, 2, [&] { ++granted; }));
  BOOST_TEST(budget.in_flight(api) == 2u);
  budget.release(api, std::nullopt);
  BOOST_TEST(granted == 1);
  BOOST_TEST(budget.in_flight(api) == 2u);  // the slot went straight to the waiter
  budget.release(api, std::nullopt);
  BOOST_TEST(granted == 2);
  budget.release(api, std::nullopt);
  budget.release(api, std::nullopt);
  BOOST_TEST(budget.in_flight(api) == 0u);
}

BOOST_AUTO_TEST_CASE(a_newcomer_never_overtakes_those_waiting) {
  InFlightBudget budget(InFlightLimits{4000, 1, 1});
  fill(budget, 1);
  std::vector<int> order;
  BOOST_TEST(!budget.take(api, 1, 1, [&] { order.push_back(1); }));
  budget.release(api, std::nullopt);  // goes to ticket 1, not to whoever asks next
  BOOST_TEST(!budget.take(api, 2, 2, [&] { order.push_back(2); }));
  BOOST_TEST((order == std::vector<int>{1}));
}

BOOST_AUTO_TEST_CASE(lines_are_served_in_turn_so_a_big_batch_cannot_starve_a_small_one) {
  InFlightBudget budget(InFlightLimits{4000, 1, 1});
  fill(budget, 1);
  std::vector<std::string> order;
  // A batch of 100 uploads queues first, then a tenant's single listing.
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(
        !budget.take(api, 7, 100 + i, [&, i] { order.push_back("put" + std::to_string(i)); }));
  BOOST_TEST(!budget.take(api, 8, 1, [&] { order.push_back("list"); }));
  BOOST_TEST(!budget.take(api, 7, 300, [&] { order.push_back("put100"); }));
  for (int i = 0; i < 3; ++i) budget.release(api, std::nullopt);
  // FIFO within a line, one per line per round.
  BOOST_TEST((order == std::vector<std::string>{"put0", "list", "put1"}));
}

BOOST_AUTO_TEST_CASE(a_withdrawn_waiter_is_never_granted_and_holds_no_slot) {
  InFlightBudget budget(InFlightLimits{4000, 1, 1});
  fill(budget, 1);
  bool first = false, second = false;
  BOOST_TEST(!budget.take(api, 1, 1, [&] { first = true; }));
  BOOST_TEST(!budget.take(api, 2, 2, [&] { second = true; }));
  BOOST_TEST(budget.withdraw(api, 1));
  budget.release(api, std::nullopt);
  BOOST_TEST(!first);
  BOOST_TEST(second);
  // Granted already: withdrawing says so, and the caller owns the slot.
  BOOST_TEST(!budget.withdraw(api, 2));
  BOOST_TEST(budget.in_flight(api) == 1u);
}

BOOST_AUTO_TEST_CASE(a_growing_limit_lets_waiters_in_at_once) {
  InFlightBudget budget(InFlightLimits{1000, 2, 100});
  fill(budget, 2);
  int granted = 0;
  for (int i = 0; i < 5; ++i) BOOST_TEST(!budget.take(api, 1, 10 + i, [&] { ++granted; }));
  budget.release(api, 10ms);  // 1,000/s x 10 ms: room for 10
  BOOST_TEST(granted == 5);
  BOOST_TEST(budget.in_flight(api) == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
