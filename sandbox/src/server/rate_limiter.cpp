#include "server/rate_limiter.hpp"

namespace pw::sandbox {

RateLimiter::RateLimiter(bool enabled, std::size_t limit, std::chrono::seconds window)
    : enabled_(enabled && limit > 0 && window.count() > 0), limit_(limit), window_(window) {}

RateDecision RateLimiter::take(const std::string& key, Clock::time_point now) {
  RateDecision d;
  if (!enabled_) return d;
  auto& w = windows_[key];
  if (w.used == 0 || now - w.start >= window_) {
    w.start = now;
    w.used = 0;
  }
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(w.start + window_ - now).count();
  d.reset_seconds = std::max<long long>(1, (left + 999) / 1000);
  if (w.used >= limit_) {
    d.allowed = false;
    d.remaining = 0;
    return d;
  }
  ++w.used;
  d.remaining = limit_ - w.used;
  return d;
}

void RateLimiter::add_headers(Response& r, const RateDecision& d) const {
  if (!enabled_) return;
  r.header("Ratelimit", "\"default\";r=" + std::to_string(d.remaining) +
                            ";t=" + std::to_string(d.reset_seconds));
  r.header("Ratelimit-Policy",
           "\"burst\";q=" + std::to_string(limit_) + ";w=" + std::to_string(window_.count()));
  if (!d.allowed) r.header("Retry-After", std::to_string(d.reset_seconds));
}

}  // namespace pw::sandbox
