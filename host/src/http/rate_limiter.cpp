#include "http/rate_limiter.hpp"

#include <algorithm>

namespace pw::http {

namespace {

std::chrono::milliseconds ceil_ms(RateLimiter::Clock::duration d) {
  return std::max(std::chrono::milliseconds{1}, std::chrono::ceil<std::chrono::milliseconds>(d));
}

}  // namespace

RateLimiter::RateLimiter(RateBudget budget, Now now) : budget_(budget), now_(std::move(now)) {}

std::chrono::milliseconds RateLimiter::try_acquire(const std::string& key) {
  if (!budget_.enabled || budget_.requests == 0) return std::chrono::milliseconds{0};
  const auto now = now_();
  std::lock_guard lock(mutex_);
  Window& w = windows_[key];
  if (now < w.paused_until) return ceil_ms(w.paused_until - now);
  while (!w.sent.empty() && w.sent.front() + budget_.window <= now) w.sent.pop_front();
  if (w.sent.size() >= budget_.requests) return ceil_ms(w.sent.front() + budget_.window - now);
  w.sent.push_back(now);
  return std::chrono::milliseconds{0};
}

void RateLimiter::pause(const std::string& key, std::chrono::milliseconds delay) {
  if (!budget_.enabled || delay <= std::chrono::milliseconds{0}) return;
  const auto until = now_() + delay;
  std::lock_guard lock(mutex_);
  Window& w = windows_[key];
  w.paused_until = std::max(w.paused_until, until);
}

}  // namespace pw::http
