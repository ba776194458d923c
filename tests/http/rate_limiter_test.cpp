#include "rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace std::chrono_literals;
using pw::http::RateLimiter;
using pw::http::ServerBudget;
namespace fs = std::filesystem;

namespace {

// A clock the test moves by hand, so no test sleeps.
struct FakeClock {
  RateLimiter::Clock::time_point now{std::chrono::hours(1)};
  RateLimiter::Now source() {
    return [this] { return now; };
  }
};

// A fresh directory for shared budget files, removed afterwards.
struct BudgetDir {
  fs::path path;
  BudgetDir() {
    char pattern[] = "/tmp/pw-budget-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~BudgetDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path only_file() const {
    for (const auto& e : fs::directory_iterator(path)) return e.path();
    return {};
  }
};

pw::HttpResponse answer(pw::HeaderList headers) {
  pw::HttpResponse r;
  r.status = 200;
  r.headers = std::move(headers);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(exhausted_budget_reports_wait_until_oldest_request_leaves_window) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{3, 10s, true}, {}, clock.source());
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  clock.now += 2s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 8000);  // first one leaves at t+10s
  clock.now += 8s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() == 2000);  // next leaves at t+12s
}

BOOST_AUTO_TEST_CASE(a_refunded_unit_can_be_taken_again_at_once) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1, 10s, true}, {}, clock.source());
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() > 0);
  limiter.refund("k");
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
  BOOST_TEST(limiter.try_acquire("k").count() > 0);
}

BOOST_AUTO_TEST_CASE(keys_have_separate_budgets) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1, 60s, true}, {}, clock.source());
  BOOST_TEST(limiter.try_acquire("a").count() == 0);
  BOOST_TEST(limiter.try_acquire("a").count() > 0);
  BOOST_TEST(limiter.try_acquire("b").count() == 0);
}

BOOST_AUTO_TEST_CASE(the_budget_key_is_the_credential_never_its_secret) {
  using pw::http::credential_key;
  const std::string key = credential_key({{"Authorization", "Bearer very-secret-token"}});
  BOOST_TEST(key.size() == 16u);
  BOOST_TEST(key.find("secret") == std::string::npos);
  // An auth plugin's own request and a step's injected header are one budget.
  BOOST_TEST(key == credential_key({{"accept", "*/*"}, {"authorization", "Bearer very-secret-token"}}));
  BOOST_TEST(key != credential_key({{"Authorization", "Bearer other"}}));
  BOOST_TEST(credential_key({{"X-Auth-Email", "a@b.c"}, {"X-Auth-Key", "k"}}) ==
             credential_key({{"x-auth-key", "k"}, {"x-auth-email", "a@b.c"}}));
  BOOST_TEST(credential_key({{"Accept", "*/*"}}).empty());
  // A SigV4 signature changes with every request; its access key does not.
  const std::string a = credential_key({{"Authorization",
      "AWS4-HMAC-SHA256 Credential=KEYID/20261203/auto/s3/aws4_request,SignedHeaders=host,Signature=aa"}});
  BOOST_TEST(a == credential_key({{"Authorization",
      "AWS4-HMAC-SHA256 Credential=KEYID/20261204/auto/s3/aws4_request,SignedHeaders=host;x,Signature=bb"}}));
  BOOST_TEST(a != credential_key({{"Authorization",
      "AWS4-HMAC-SHA256 Credential=OTHER/20261203/auto/s3/aws4_request,SignedHeaders=host,Signature=aa"}}));
}

BOOST_AUTO_TEST_CASE(pause_after_429_blocks_the_key_for_the_given_time) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{100, 60s, true}, {}, clock.source());
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
  RateLimiter limiter(pw::RateBudget{1, 60s, false}, {}, clock.source());
  for (int i = 0; i < 10; ++i) BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_CASE(reads_the_servers_ratelimit_header_and_its_policy) {
  auto b = pw::http::server_budget(
      answer({{"ratelimit", "\"default\";r=50;t=30"}, {"ratelimit-policy", "\"burst\";q=1200;w=300"}}));
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->remaining == 50);
  BOOST_TEST(b->reset.count() == 30000);
  BOOST_TEST(b->quota == 1200);
  BOOST_TEST(b->window.count() == 300000);
  // Of several items, the tightest binds.
  b = pw::http::server_budget(answer({{"ratelimit", "\"a\";r=900;t=200, \"b\";r=7;t=4"}}));
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->remaining == 7);
  BOOST_TEST(b->reset.count() == 4000);
  b = pw::http::server_budget(answer({{"x-ratelimit-remaining", "3"}, {"x-ratelimit-reset", "12"}}));
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->remaining == 3);
  BOOST_TEST(b->reset.count() == 12000);
  // A reset written as a Unix time (as some APIs do).
  const auto now = std::chrono::system_clock::now();
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 30;
  b = pw::http::server_budget(
      answer({{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(epoch)}}), now);
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->reset.count() <= 30000);
  BOOST_TEST(b->reset.count() >= 29000);
  BOOST_TEST(!pw::http::server_budget(answer({{"ratelimit", "garbage"}})).has_value());
  BOOST_TEST(!pw::http::server_budget(answer({})).has_value());
}

BOOST_AUTO_TEST_CASE(a_spent_server_budget_waits_for_its_reset) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1200, 300s, true}, {}, clock.source());
  limiter.observe("k", ServerBudget{0, 4000ms, 1200, 0ms});
  BOOST_TEST(limiter.try_acquire("k").count() == 4000);
  BOOST_TEST(limiter.try_acquire("other").count() == 0);
  clock.now += 4s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_CASE(what_the_server_allows_is_spent_then_its_reset_waited_for) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1200, 300s, true}, {}, clock.source());
  // 20 left of 1200 for 10 s: a reserve of 12 (1 %) is kept for the other
  // clients of the user, the rest goes at once, without spreading.
  limiter.observe("k", ServerBudget{20, 10s, 1200, 0ms});
  int sent = 0;
  while (limiter.try_acquire("k").count() == 0 && sent < 100) ++sent;
  BOOST_TEST(sent == 8);
  BOOST_TEST(limiter.try_acquire("k").count() == 10000);
  clock.now += 10s;
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_CASE(the_next_period_of_a_known_policy_starts_with_its_quota_not_unbounded) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1200, 300s, true}, {}, clock.source());
  limiter.observe("k", ServerBudget{0, 1000ms, 12, 3000ms});
  BOOST_TEST(limiter.try_acquire("k").count() == 1000);
  clock.now += 1s;
  // The new period allows 12 (one kept in reserve); a burst of 16 gets 11.
  int sent = 0;
  for (int i = 0; i < 16; ++i)
    if (limiter.try_acquire("k").count() == 0) ++sent;
  BOOST_TEST(sent == 11);
}

BOOST_AUTO_TEST_CASE(a_reset_beyond_the_budgets_window_is_not_waited_for) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1200, 300s, true}, {}, clock.source());
  limiter.observe("k", ServerBudget{0, std::chrono::hours(24 * 365), 0, 0ms});
  BOOST_TEST(limiter.try_acquire("k").count() <= 300000);
}

BOOST_AUTO_TEST_CASE(answers_out_of_order_keep_the_lowest_count_of_one_period) {
  FakeClock clock;
  RateLimiter limiter(pw::RateBudget{1200, 300s, true}, {}, clock.source());
  limiter.observe("k", ServerBudget{0, 5000ms, 0, 0ms});
  limiter.observe("k", ServerBudget{300, 5000ms, 0, 0ms});  // an older answer, arriving late
  BOOST_TEST(limiter.try_acquire("k").count() == 5000);
  clock.now += 5s;
  limiter.observe("k", ServerBudget{300, 300s, 0, 0ms});  // the next period
  BOOST_TEST(limiter.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_CASE(limiters_sharing_a_directory_share_one_budget) {
  BudgetDir dir;
  FakeClock clock;
  // Two limiters, two open files: as two processes would hold them.
  RateLimiter a(pw::RateBudget{4, 60s, true}, dir.path, clock.source());
  RateLimiter b(pw::RateBudget{4, 60s, true}, dir.path, clock.source());
  BOOST_TEST(a.try_acquire("k").count() == 0);
  BOOST_TEST(b.try_acquire("k").count() == 0);
  BOOST_TEST(a.try_acquire("k").count() == 0);
  BOOST_TEST(b.try_acquire("k").count() == 0);
  BOOST_TEST(a.try_acquire("k").count() == 60000);
  BOOST_TEST(b.try_acquire("k").count() == 60000);
  // A 429 one of them heard holds the other back too.
  BOOST_TEST(a.try_acquire("k2").count() == 0);
  b.pause("k2", 2000ms);
  BOOST_TEST(a.try_acquire("k2").count() == 2000);
  BOOST_TEST(!fs::is_empty(dir.path));
}

BOOST_AUTO_TEST_CASE(a_damaged_shared_file_starts_afresh) {
  BudgetDir dir;
  FakeClock clock;
  {
    RateLimiter a(pw::RateBudget{2, 60s, true}, dir.path, clock.source());
    BOOST_TEST(a.try_acquire("k").count() == 0);
  }
  const auto file = dir.only_file();
  BOOST_REQUIRE(!file.empty());
  {
    std::ofstream damage(file, std::ios::binary | std::ios::in | std::ios::out);
    damage.write("garbage!garbage!garbage!", 24);
  }
  RateLimiter b(pw::RateBudget{2, 60s, true}, dir.path, clock.source());
  BOOST_TEST(b.try_acquire("k").count() == 0);
  BOOST_TEST(b.try_acquire("k").count() == 0);
  BOOST_TEST(b.try_acquire("k").count() > 0);
}

BOOST_AUTO_TEST_CASE(a_process_that_dies_holding_the_budget_blocks_nobody) {
  BudgetDir dir;
  {
    RateLimiter a(pw::RateBudget{5, 60s, true}, dir.path);
    BOOST_TEST(a.try_acquire("k").count() == 0);
  }
  const auto file = dir.only_file();
  int ready[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(file.c_str(), O_RDWR);
    ::flock(fd, LOCK_EX);
    (void)!::write(ready[1], "x", 1);
    ::pause();  // killed while holding the lock
    ::_exit(0);
  }
  char c;
  BOOST_REQUIRE(::read(ready[0], &c, 1) == 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  RateLimiter b(pw::RateBudget{5, 60s, true}, dir.path);
  BOOST_TEST(b.try_acquire("k").count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
