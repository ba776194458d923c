// The request budget: one sliding window per (origin, rate key), shared by
// every request of the process and, with a shared directory, by every
// pipewright process on the machine; corrected by what the server says is
// left (the `Ratelimit` header). Owned by HttpClient; thread-safe.
#pragma once

#include <pipewright/host/http/http_client.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace pw::http {

// What the server says of its own budget: `Ratelimit: "default";r=<left>;t=<seconds>`
// and `Ratelimit-Policy: "…";q=<quota>;w=<seconds>` (Cloudflare; the IETF
// draft's form), or the older `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
struct ServerBudget {
  long long remaining = 0;
  std::chrono::milliseconds reset{0};  // until the count starts again
  long long quota = 0;                 // 0: not said
  std::chrono::milliseconds window{0};  // the policy's window; 0: not said
};
std::optional<ServerBudget> server_budget(const HttpResponse& response,
                                          std::chrono::system_clock::time_point now =
                                              std::chrono::system_clock::now());

// Which budget a request spends: the credential it carries (its
// Authorization or X-Auth-* headers) as a SHA-256 prefix, never the secret;
// empty for a request without one. A server meters the credential, so an
// auth plugin's own requests and a step's count against one budget.
std::string credential_key(const HeaderList& headers);

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // Injectable so that tests can drive time without sleeping.
  using Now = std::function<Clock::time_point()>;

  // `shared_dir` empty: the budget is this process's alone.
  explicit RateLimiter(
      RateBudget budget, std::filesystem::path shared_dir = {},
      Now now = [] { return Clock::now(); });
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one request from the key's budget and returns zero, or takes
  // nothing and returns how long to wait before asking again.
  std::chrono::milliseconds try_acquire(const std::string& key);

  // Gives back the unit a try_acquire() just took, for a request that is
  // not sent after all (another budget held it back).
  void refund(const std::string& key);

  // The server said "slow down" (429 + Retry-After): nobody on this key
  // sends until `delay` has passed.
  void pause(const std::string& key, std::chrono::milliseconds delay);

  // The server's own count, read from an answer: requests are counted
  // against it, and wait for its reset once only a reserve is left.
  void observe(const std::string& key, const ServerBudget& server);

 private:
  struct Window;
  // Runs `fn` on the key's window with every other thread and process that
  // shares it kept out.
  template <class Fn>
  auto with_window(const std::string& key, Fn&& fn);
  Window& window(const std::string& key);
  std::int64_t now_ms() const;

  RateBudget budget_;
  std::filesystem::path shared_dir_;
  Now now_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Window>> windows_;
  bool swept_ = false;  // stale shared files removed once per process
};

}  // namespace pw::http
