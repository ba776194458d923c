// The host's HTTP client: Asio + Beast + OpenSSL on one io_context, a
// keep-alive pool per origin, retries, and the process-wide rate limiter.
// Owned by the http room (http_client.cpp, rate_limiter.cpp, retry_policy.cpp);
// used by the host services bridge that plugins call.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pw {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL; http:// only to loopback hosts
  HeaderList headers;
  std::string body;  // used when body_file is empty
  std::optional<std::filesystem::path> body_file;  // streamed, never read whole
  // With body_file: send only these bytes of it (a multipart upload's
  // part), streamed like the whole file.
  struct Range {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  std::optional<Range> body_range;
  // False: the request does not spend the origin's rate budget (R2's S3
  // API is not metered by the REST API's 1,200 requests per 5 minutes).
  bool metered = true;
  // nullopt: GET/HEAD/PUT/DELETE/OPTIONS are safe to repeat, POST/PATCH not.
  std::optional<bool> safe_to_retry;
  std::chrono::milliseconds timeout{30000};  // per attempt, whole exchange
  // No attempt and no wait goes past this (the step's timeout): a retry
  // whose delay would end after it is not made.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct HttpResponse {
  int status = 0;       // 0: no response received
  HeaderList headers;   // names lower-case
  std::string body;
  std::string error;    // transport error text when status == 0
  // "ok": a response arrived; "failed": nothing was sent or the request was
  // safe and every retry failed; "unknown": a request not safe to repeat was
  // sent and the connection broke before an answer, so it may have happened.
  std::string outcome = "ok";
  int attempts = 0;
  std::chrono::milliseconds duration{0};

  std::optional<std::string> header(std::string_view lower_name) const;
};

// What the client reports to the event stream: one per attempt, and one
// before a long wait for the rate budget. Never holds headers or bodies.
struct HttpEvent {
  // attempt: an answer (or a transport error) arrived; waiting: the
  // request waits `retry_delay` for the rate budget before its next attempt.
  enum class Kind { attempt, waiting } kind = Kind::attempt;
  std::string method;
  std::string url_path;  // path and query, no credentials
  std::string host;
  int status = 0;
  std::chrono::milliseconds duration{0};
  int attempt = 1;
  bool will_retry = false;
  std::chrono::milliseconds retry_delay{0};
  std::string error;  // transport error, if any; for waiting, why
};

struct RateBudget {
  std::size_t requests = 1200;
  std::chrono::seconds window{300};
  bool enabled = true;
};

// The in-flight budget per origin: about `target_rate` x the origin's
// measured round-trip time, within [floor, ceiling] (docs/http.md says why
// these figures).
struct InFlightLimits {
  double target_rate = 4000;  // requests per second
  std::size_t floor = 16;
  std::size_t ceiling = 256;
};

struct HttpClientOptions {
  // Attempts after 5xx, 408 or a transport error, first try included.
  int max_attempts = 5;
  // Further attempts after 429 answers, which never count as attempts
  // above: a 429 was refused before it was handled, so it is safe to send
  // again for every method.
  int max_rate_limited_retries = 30;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  // A longer Retry-After means give up at once. Cloudflare's window is
  // 300 s, so a spent budget is waited out.
  std::chrono::milliseconds max_retry_after{300000};
  std::chrono::milliseconds connect_timeout{10000};
  // Requests in flight per origin, shared by every caller of the client.
  InFlightLimits in_flight;
  // The in-flight ceiling: the budget above is what bounds connections.
  std::size_t max_connections_per_origin = 256;
  bool verify_tls = true;
  std::string ca_file;  // empty: system default paths
  RateBudget rate;      // per origin and credential (credential_key)
  // Per origin, whatever the credential, for hosts that are not loopback,
  // and in this process only (unlike `rate`, not shared through files):
  // Cloudflare also refuses more than 200 requests a second from one client
  // address, which a burst of a fresh 1,200-request budget would exceed.
  // Off with `rate` off; the loopback sandbox does not meter addresses.
  RateBudget per_address{200, std::chrono::seconds{1}, true};
  bool per_address_on_loopback = false;  // tests: meter loopback origins too
  // Where concurrent pipewright processes share each budget (one small
  // file per origin and key); empty: this process only.
  std::filesystem::path shared_budget_dir;
  std::size_t io_threads = 1;
};

using CancelCheck = std::function<bool()>;
using HttpEventSink = std::function<void(const HttpEvent&)>;

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();  // stops the io_context and joins its threads
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Blocking; safe to call from many worker threads at once. Applies the
  // rate limiter, the in-flight budget and the retry policy. Returns with status 0 and outcome
  // "failed" when cancelled.
  HttpResponse send(const HttpRequest& request, const CancelCheck& cancelled = {},
                    const HttpEventSink& on_event = {});

  // Runs `requests` within each origin's in-flight budget, which every
  // caller shares, and with at most `concurrency` of them in flight (0: no
  // bound of its own). Calls on_done on the calling thread, one at a time,
  // in completion order. Returns when all are done (or cancelled: the
  // remaining ones complete as cancelled).
  void send_batch(std::vector<HttpRequest> requests, std::size_t concurrency,
                  const std::function<void(std::size_t index, HttpResponse&& response)>& on_done,
                  const CancelCheck& cancelled = {}, const HttpEventSink& on_event = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pw
