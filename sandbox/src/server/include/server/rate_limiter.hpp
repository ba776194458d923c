// Fixed-window request budget per credential (docs/cloudflare-api.md 6.1):
// `limit` requests per `window`, then 429/971 until the window ends. Used
// only on the state strand.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include "wire/http_types.hpp"

namespace pw::sandbox {

struct RateDecision {
  bool allowed = true;
  std::size_t remaining = 0;
  long long reset_seconds = 0;  // until the window ends, rounded up
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(bool enabled, std::size_t limit, std::chrono::seconds window);

  RateDecision take(const std::string& key, Clock::time_point now = Clock::now());
  // Ratelimit / Ratelimit-Policy on every response; Retry-After on 429.
  void add_headers(Response& r, const RateDecision& d) const;
  bool enabled() const { return enabled_; }

 private:
  struct Window {
    Clock::time_point start;
    std::size_t used = 0;
  };
  bool enabled_;
  std::size_t limit_;
  std::chrono::seconds window_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace pw::sandbox
