// The host's HTTP client: Asio + Beast + OpenSSL on one io_context, a
// keep-alive pool per origin, retries, and the process-wide rate limiter.
// Owned by the http room (http_client.cpp, rate_limiter.cpp, retry_policy.cpp);
// used by the host services bridge that plugins call.
#pragma once

#include <chrono>
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
  // nullopt: GET/HEAD/PUT/DELETE/OPTIONS are safe to repeat, POST/PATCH not.
  std::optional<bool> safe_to_retry;
  std::chrono::milliseconds timeout{30000};  // per attempt, whole exchange
  // Identity of the credential the request carries (never the secret
  // itself, e.g. a hash), so that the rate limiter keeps one budget per
  // API origin and credential. Empty: one budget per origin.
  std::string rate_key;
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

// What the client reports to the event stream: one per attempt. Never holds
// headers or bodies.
struct HttpEvent {
  std::string method;
  std::string url_path;  // path and query, no credentials
  std::string host;
  int status = 0;
  std::chrono::milliseconds duration{0};
  int attempt = 1;
  bool will_retry = false;
  std::chrono::milliseconds retry_delay{0};
  std::string error;  // transport error, if any
};

struct RateBudget {
  std::size_t requests = 1200;
  std::chrono::seconds window{300};
  bool enabled = true;
};

struct HttpClientOptions {
  int max_attempts = 5;  // first try included
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds max_retry_after{60000};  // longer Retry-After: give up
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_connections_per_origin = 32;
  bool verify_tls = true;
  std::string ca_file;  // empty: system default paths
  RateBudget rate;      // per origin + rate_key
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
  // rate limiter and the retry policy. Returns with status 0 and outcome
  // "failed" when cancelled.
  HttpResponse send(const HttpRequest& request, const CancelCheck& cancelled = {},
                    const HttpEventSink& on_event = {});

  // Runs `requests` with at most `concurrency` in flight. Calls on_done on
  // the calling thread, one at a time, in completion order. Returns when all
  // are done (or cancelled: the remaining ones complete as cancelled).
  void send_batch(std::vector<HttpRequest> requests, std::size_t concurrency,
                  const std::function<void(std::size_t index, HttpResponse&& response)>& on_done,
                  const CancelCheck& cancelled = {}, const HttpEventSink& on_event = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pw
