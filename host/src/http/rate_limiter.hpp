// The process-wide request budget: one sliding window per (origin, rate key).
// Owned by HttpClient; thread-safe, so every request of every step shares it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "http_client.hpp"

namespace pw::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // Injectable so that tests can drive time without sleeping.
  using Now = std::function<Clock::time_point()>;

  explicit RateLimiter(
      RateBudget budget, Now now = [] { return Clock::now(); });

  // Takes one request from the key's budget and returns zero, or takes
  // nothing and returns how long to wait before asking again.
  std::chrono::milliseconds try_acquire(const std::string& key);

  // The server said "slow down" (429 + Retry-After): nobody on this key
  // sends until `delay` has passed.
  void pause(const std::string& key, std::chrono::milliseconds delay);

 private:
  struct Window {
    std::deque<Clock::time_point> sent;  // start times inside the window
    Clock::time_point paused_until{};
  };

  RateBudget budget_;
  Now now_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

}  // namespace pw::http
