#include <pipewright/host/http/http_client.hpp>

// GCC 12 misreads Asio's recycling allocator for coroutine frames as a
// new/delete mismatch (a known false positive in awaitable_frame_base).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "connection_pool.hpp"
#include "exchange.hpp"
#include "in_flight_budget.hpp"
#include "rate_limiter.hpp"
#include "request_target.hpp"
#include "retry_policy.hpp"

namespace pw {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using http::Strand;
using Clock = std::chrono::steady_clock;

namespace {

// How often a blocked caller looks at its CancelCheck: cancellation is
// noticed within this time, without calling the check from io threads.
constexpr auto kCancelPoll = 20ms;
// Waits for the rate budget at least this long are announced.
constexpr auto kAnnouncedWait = 1000ms;
constexpr auto kRefusedRetryDelay = 250ms;
// Before a credential's first answer, the others wait this long at most for
// it, looking every kProbePoll.
constexpr auto kProbeWait = 2000ms;
constexpr auto kProbePoll = 20ms;

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

HttpResponse failure(std::string error, std::string outcome = "failed") {
  HttpResponse response;
  response.error = std::move(error);
  response.outcome = std::move(outcome);
  return response;
}

// What io threads hand to the thread blocked in send()/send_batch(): events
// and finished responses, delivered there so that callbacks never run on
// io threads and never concurrently.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<HttpEvent> events;
  std::deque<std::pair<std::size_t, HttpResponse>> done;

  void post_event(HttpEvent event) {
    {
      std::lock_guard lock(mutex);
      events.push_back(std::move(event));
    }
    ready.notify_one();
  }
  void post_done(std::size_t index, HttpResponse response) {
    {
      std::lock_guard lock(mutex);
      done.emplace_back(index, std::move(response));
    }
    ready.notify_one();
  }
};

// One request in flight. Lives on its own strand; the coroutine, the
// cancel action and pool wake-ups all run there.
struct RequestState {
  RequestState(asio::io_context& io, const HttpRequest& r, std::size_t i, std::uint64_t l,
               std::shared_ptr<Mailbox> m)
      : strand(asio::make_strand(io)),
        timer(strand),
        request(r),
        index(i),
        line(l),
        mailbox(std::move(m)) {}

  Strand strand;
  asio::steady_timer timer;
  const HttpRequest& request;  // owned by the blocked caller, which outlives us
  std::size_t index;
  std::uint64_t line;  // the caller's line in the in-flight budget's queue
  std::shared_ptr<Mailbox> mailbox;
  std::atomic<bool> cancelled{false};
  bool woken = false;                        // a pool or in-flight slot may be free
  std::shared_ptr<http::Connection> active;  // connection in use, if any
};

void cancel(const std::shared_ptr<RequestState>& state) {
  asio::post(state->strand, [state] {
    state->cancelled = true;
    state->timer.cancel();
    if (auto connection = state->active)
      asio::post(connection->strand, [connection] { connection->abort(); });
  });
}

// An in-flight slot held by one attempt: given back when the attempt ends,
// however it ends.
struct SlotHold {
  http::InFlightBudget& budget;
  const std::string& origin;
  bool held = false;

  SlotHold(http::InFlightBudget& b, const std::string& o) : budget(b), origin(o) {}
  SlotHold(const SlotHold&) = delete;
  SlotHold& operator=(const SlotHold&) = delete;
  ~SlotHold() { release(std::nullopt); }
  void release(std::optional<std::chrono::microseconds> round_trip) {
    if (!held) return;
    held = false;
    budget.release(origin, round_trip);
  }
};

}  // namespace

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o)
      : options(std::move(o)),
        pool(io, [this]() -> asio::ssl::context& { return tls_context(); },
             options.max_connections_per_origin),
        limiter(options.rate, options.shared_budget_dir),
        address_limiter(options.per_address),
        in_flight(options.in_flight),
        random(std::random_device{}()) {
    // A CA file the user named is checked now, so a bad one stops the run
    // before anything is sent.
    if (!options.ca_file.empty()) tls_context();
    const std::size_t threads = std::max<std::size_t>(1, options.io_threads);
    for (std::size_t i = 0; i < threads; ++i) workers.emplace_back([this] { io.run(); });
  }

  ~Impl() {
    work.reset();
    io.stop();
    for (auto& worker : workers) worker.join();
  }

  std::shared_ptr<RequestState> start(const HttpRequest& request, std::size_t index,
                                      std::uint64_t line, std::shared_ptr<Mailbox> mailbox) {
    auto state = std::make_shared<RequestState>(io, request, index, line, std::move(mailbox));
    asio::co_spawn(state->strand, perform(state),
                   [state](std::exception_ptr error, HttpResponse response) {
                     if (error) {
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         response = failure(std::string("internal error: ") + e.what());
                       } catch (...) {
                         response = failure("internal error");
                       }
                     }
                     state->mailbox->post_done(state->index, std::move(response));
                   });
    return state;
  }

  // Sleeps until `until` on the request's timer; false if cancelled.
  asio::awaitable<bool> sleep_until(RequestState& state, Clock::time_point until) {
    while (!state.cancelled && Clock::now() < until) {
      state.timer.expires_at(until);
      co_await state.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return !state.cancelled;
  }

  // Waits for a slot of the origin's in-flight budget, in the caller's
  // line; false if cancelled first (then no slot is held).
  asio::awaitable<bool> take_slot(std::shared_ptr<RequestState> state, const std::string& origin) {
    auto granted = std::make_shared<std::atomic<bool>>(false);
    const std::uint64_t ticket = next_ticket++;
    std::weak_ptr<RequestState> weak = state;
    state->woken = false;
    const bool now = in_flight.take(origin, state->line, ticket, [weak, granted] {
      granted->store(true);
      if (auto s = weak.lock())
        asio::post(s->strand, [s] {
          s->woken = true;
          s->timer.cancel();
        });
    });
    if (now) co_return true;
    while (!granted->load() && !state->cancelled) {
      // The grant wakes this wait through the strand; the bound only keeps
      // a missed wake-up from costing more than this.
      const auto until = Clock::now() + 200ms;
      while (!state->woken && !granted->load() && !state->cancelled && Clock::now() < until) {
        state->timer.expires_at(until);
        co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      state->woken = false;
    }
    if (!state->cancelled) co_return true;
    // Given a slot just as it gave up: the slot goes back.
    if (!in_flight.withdraw(origin, ticket)) in_flight.release(origin, std::nullopt);
    co_return false;
  }

  asio::awaitable<std::shared_ptr<http::Connection>> take_connection(
      std::shared_ptr<RequestState> state, const http::RequestTarget& target) {
    while (!state->cancelled) {
      state->woken = false;
      std::weak_ptr<RequestState> weak = state;
      auto connection = pool.take(target, [weak] {
        if (auto s = weak.lock())
          asio::post(s->strand, [s] {
            s->woken = true;
            s->timer.cancel();
          });
      });
      if (connection) co_return connection;
      // Wake-ups can race with the wait; a bounded wait makes a lost one harmless.
      const auto until = Clock::now() + 200ms;
      while (!state->woken && !state->cancelled && Clock::now() < until) {
        state->timer.expires_at(until);
        co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    co_return nullptr;
  }

  void emit(RequestState& state, const http::RequestTarget& target, int attempt,
            const http::ExchangeResult& result, std::chrono::milliseconds duration,
            std::optional<std::chrono::milliseconds> retry_delay) {
    HttpEvent event;
    event.method = state.request.method;
    event.url_path = target.target;
    event.host = target.host;
    event.status = result.response.status;
    event.duration = duration;
    event.attempt = attempt;
    event.will_retry = retry_delay.has_value();
    event.retry_delay = retry_delay.value_or(0ms);
    event.error = result.response.status == 0 ? result.error : std::string();
    state.mailbox->post_event(std::move(event));
  }

  void emit_waiting(RequestState& state, const http::RequestTarget& target, int attempt,
                    std::chrono::milliseconds wait, std::string why) {
    HttpEvent event;
    event.kind = HttpEvent::Kind::waiting;
    event.method = state.request.method;
    event.url_path = target.target;
    event.host = target.host;
    event.attempt = attempt;
    event.will_retry = true;
    event.retry_delay = wait;
    event.error = std::move(why);
    state.mailbox->post_event(std::move(event));
  }

  // Takes one unit of the key's rate budget (zero) or says how long to wait.
  // Until the server has answered once on a credential, nothing is known of
  // what it has left (other clients of the same user may have spent it): one
  // request goes first and the others wait for its answer (kProbeWait at
  // most), rather than a whole in-flight budget going out on a guess.
  // `address`: the origin when its per-address rate applies, else empty;
  // its unit is taken first and given back if the credential's budget then
  // holds the request back, so a unit of either stands for a request sent.
  std::chrono::milliseconds acquire_rate(const std::string& key, const std::string& address,
                                         bool& probe) {
    if (!options.rate.enabled) return 0ms;
    std::lock_guard lock(probe_mutex);
    auto& p = probes[key];
    const auto now = Clock::now();
    if (!p.answered && p.out && now - p.sent < kProbeWait) return kProbePoll;
    if (!address.empty())
      if (const auto wait = address_limiter.try_acquire(address); wait > 0ms) return wait;
    const auto wait = limiter.try_acquire(key);
    if (wait > 0ms && !address.empty()) address_limiter.refund(address);
    if (wait == 0ms && !p.answered) {
      p.out = probe = true;
      p.sent = now;
    }
    return wait;
  }

  // The probe's attempt ended, with an answer or without (then the next
  // request is the probe).
  void probe_done(const std::string& key, bool answered) {
    std::lock_guard lock(probe_mutex);
    auto& p = probes[key];
    p.out = false;
    p.answered = p.answered || answered;
  }

  struct ProbeHold {
    Impl& impl;
    const std::string& key;
    bool held = false;
    ProbeHold(Impl& i, const std::string& k) : impl(i), key(k) {}
    ProbeHold(const ProbeHold&) = delete;
    ProbeHold& operator=(const ProbeHold&) = delete;
    ~ProbeHold() { release(false); }
    void release(bool answered) {
      if (!held) return;
      held = false;
      impl.probe_done(key, answered);
    }
  };

  // The TLS context, made on first use: OpenSSL takes milliseconds to build
  // one, and the system CA store ~50 ms to parse, which a run that only
  // talks plain http to the loopback sandbox never needs.
  asio::ssl::context& tls_context() {
    std::call_once(tls_made, [this] {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      boost::system::error_code ec;
      if (!options.ca_file.empty()) {
        tls->load_verify_file(options.ca_file, ec);
        if (ec) {
          tls.reset();
          throw std::runtime_error("cannot load CA file " + options.ca_file + ": " + ec.message() +
                                   " (it must hold PEM certificates)");
        }
      } else {
        tls->set_default_verify_paths(ec);  // no system store: every https request fails to verify
      }
      tls->set_verify_mode(options.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
    });
    return *tls;
  }

  asio::awaitable<HttpResponse> perform(std::shared_ptr<RequestState> state) {
    const HttpRequest& request = state->request;
    const auto started = Clock::now();
    std::string error;
    const auto target = http::parse_request_target(request.url, error);
    if (!target) co_return failure(std::move(error));
    if (request.body_file && !std::ifstream(*request.body_file, std::ios::binary))
      co_return failure("cannot read body_file " + request.body_file->string());
    const bool safe = request.safe_to_retry.value_or(http::method_is_idempotent(request.method));
    const std::string rate_key = target->origin + " " + http::credential_key(request.headers);
    const std::string address_key =
        !options.per_address_on_loopback && http::is_loopback_host(target->host) ? "" : target->origin;
    const int max_attempts = std::max(1, options.max_attempts);
    auto cancelled_response = [&](int attempts) {
      HttpResponse response = failure("cancelled");
      response.attempts = attempts;
      response.duration = since(started);
      return response;
    };

    bool stale_retried = false;
    bool refused_retried = false;
    int failures = 0;      // attempts that count against max_attempts
    int rate_limited = 0;  // 429 answers, which do not
    auto fits_deadline = [&](std::chrono::milliseconds delay) {
      return !request.deadline || Clock::now() + delay < *request.deadline;
    };
    for (int attempt = 1;; ++attempt) {
      // The end of the wait last announced: a later, longer one (the next
      // window, or the client's own budget after the server's) is said too.
      Clock::time_point announced_until{};
      // An in-flight slot first, then the rate budget, so that a request is
      // counted when it leaves; no slot is held while waiting for the budget.
      SlotHold slot{in_flight, target->origin};
      ProbeHold probe{*this, rate_key};
      for (;;) {
        if (!co_await take_slot(state, target->origin)) co_return cancelled_response(attempt - 1);
        slot.held = true;
        const auto wait = request.metered ? acquire_rate(rate_key, address_key, probe.held) : 0ms;
        if (wait <= 0ms) break;
        slot.release(std::nullopt);
        if (!fits_deadline(wait)) {
          HttpResponse response = failure("waiting " + seconds_text(wait) +
                                          " for the rate budget would pass the step's timeout");
          response.attempts = attempt - 1;
          response.duration = since(started);
          co_return response;
        }
        // A wait the user would notice is said once, with its length.
        if (wait >= kAnnouncedWait && Clock::now() + wait > announced_until + kAnnouncedWait) {
          announced_until = Clock::now() + wait;
          emit_waiting(*state, *target, attempt, wait, "waiting for the rate budget");
        }
        if (!co_await sleep_until(*state, Clock::now() + wait))
          co_return cancelled_response(attempt - 1);
      }

      auto connection = co_await take_connection(state, *target);
      if (!connection || state->cancelled) {
        if (connection) pool.give_back(std::move(connection), false);
        co_return cancelled_response(attempt - 1);
      }
      state->active = connection;
      const auto attempt_started = Clock::now();
      auto attempt_deadline = attempt_started + request.timeout;
      if (request.deadline) attempt_deadline = std::min(attempt_deadline, *request.deadline);
      const http::ExchangeLimits limits{options.connect_timeout, attempt_deadline, options.verify_tls};
      auto result = co_await asio::co_spawn(
          connection->strand,
          http::exchange(connection, request, *target, limits, state->cancelled),
          asio::use_awaitable);
      state->active.reset();
      pool.give_back(std::move(connection), result.reusable && !state->cancelled);
      const auto took = since(attempt_started);
      // Only an answer measures the origin's latency; a broken exchange
      // says nothing of it.
      probe.release(result.response.status != 0);
      slot.release(result.response.status != 0
                       ? std::optional(std::chrono::duration_cast<std::chrono::microseconds>(
                             Clock::now() - attempt_started))
                       : std::nullopt);
      if (state->cancelled) {
        emit(*state, *target, attempt, result, took, std::nullopt);
        co_return cancelled_response(attempt);
      }

      // A keep-alive connection the server had just closed: one free retry
      // on a fresh connection, if repeating the request is harmless.
      if (result.stale_connection && (safe || !result.request_written) && !stale_retried) {
        stale_retried = true;
        emit(*state, *target, attempt, result, took, 0ms);
        --attempt;
        continue;
      }

      bool retry = false;
      std::optional<std::chrono::milliseconds> delay;
      std::string gave_up;  // why a retryable answer is returned as it is
      const int status = result.response.status;
      if (status != 0) {
        if (auto budget = http::server_budget(result.response); budget && request.metered)
          limiter.observe(rate_key, *budget);
        delay = http::server_retry_delay(result.response);
        const bool too_long = delay && *delay > options.max_retry_after;
        if (status == 429) {
          // Refused before it was handled: safe to send again, whatever the
          // method, and every request on this credential holds back too.
          if (!delay) {
            std::lock_guard lock(random_mutex);
            delay = http::backoff_delay(options, rate_limited + 2, random);
          }
          if (request.metered) limiter.pause(rate_key, std::min(*delay, options.max_retry_after));
          retry = ++rate_limited <= options.max_rate_limited_retries && !too_long;
        } else if (safe && http::status_is_retryable(status)) {
          retry = ++failures < max_attempts && !too_long;
        } else {
          delay.reset();  // not an answer to retry: its Retry-After is not ours to judge
        }
        if (delay && too_long)
          gave_up = "the server asked to wait " + seconds_text(*delay) + ", longer than " +
                    seconds_text(options.max_retry_after);
      } else if (result.connection_refused) {
        // Nothing listens there: asking again at once cannot help, and
        // once more shortly after covers a server that is restarting.
        retry = !refused_retried;
        refused_retried = true;
        delay = kRefusedRetryDelay;
      } else if (safe || !result.request_written) {
        retry = ++failures < max_attempts;
      }
      if (retry && !delay) {
        std::lock_guard lock(random_mutex);
        delay = http::backoff_delay(options, failures + 1, random);
      }
      if (retry && !fits_deadline(*delay)) {
        retry = false;
        gave_up = "waiting " + seconds_text(*delay) + " more would pass the step's timeout";
      }

      if (retry) {
        emit(*state, *target, attempt, result, took, *delay);
        if (!co_await sleep_until(*state, Clock::now() + *delay))
          co_return cancelled_response(attempt);
        continue;
      }

      emit(*state, *target, attempt, result, took, std::nullopt);
      HttpResponse response = std::move(result.response);
      response.attempts = attempt;
      response.duration = since(started);
      if (status == 0) {
        response.error = gave_up.empty() ? result.error : result.error + "; not retried: " + gave_up;
        response.outcome = result.request_written && !safe ? "unknown" : "failed";
      } else {
        response.outcome = "ok";
        if (!gave_up.empty()) response.error = "not retried: " + gave_up;
      }
      co_return response;
    }
  }

  // Blocks the calling thread until `remaining` requests are done, handing
  // events and responses to the callbacks here, and forwarding cancellation.
  template <class OnDone>
  void drain(Mailbox& mailbox, std::size_t remaining, const CancelCheck& cancelled,
             const HttpEventSink& on_event, const std::function<void()>& on_cancel,
             OnDone&& on_done) {
    bool cancel_sent = false;
    while (remaining > 0) {
      std::deque<HttpEvent> events;
      std::deque<std::pair<std::size_t, HttpResponse>> done;
      {
        std::unique_lock lock(mailbox.mutex);
        mailbox.ready.wait_for(lock, kCancelPoll,
                               [&] { return !mailbox.events.empty() || !mailbox.done.empty(); });
        events.swap(mailbox.events);
        done.swap(mailbox.done);
      }
      if (on_event)
        for (const auto& event : events) on_event(event);
      for (auto& [index, response] : done) {
        --remaining;
        on_done(index, std::move(response));
      }
      if (!cancel_sent && cancelled && cancelled()) {
        cancel_sent = true;
        on_cancel();
      }
    }
  }

  HttpClientOptions options;
  asio::io_context io;  // declared before everything that holds io objects
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::optional<asio::ssl::context> tls;  // see tls_context()
  std::once_flag tls_made;
  http::ConnectionPool pool;
  http::RateLimiter limiter;
  http::RateLimiter address_limiter;  // keyed by origin; see HttpClientOptions::per_address
  http::InFlightBudget in_flight;
  struct Probe {
    bool answered = false;  // the server answered on this rate key once
    bool out = false;       // a first request is waiting for its answer
    Clock::time_point sent;
  };
  std::mutex probe_mutex;
  std::map<std::string, Probe> probes;  // by rate key
  std::atomic<std::uint64_t> next_line{1};    // one line per send() or send_batch()
  std::atomic<std::uint64_t> next_ticket{1};  // one per wait for an in-flight slot
  std::mutex random_mutex;
  std::mt19937_64 random;
  std::vector<std::thread> workers;  // last: joined first
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, const CancelCheck& cancelled,
                              const HttpEventSink& on_event) {
  if (cancelled && cancelled()) return failure("cancelled");
  auto mailbox = std::make_shared<Mailbox>();
  auto state = impl_->start(request, 0, impl_->next_line++, mailbox);
  HttpResponse result;
  impl_->drain(
      *mailbox, 1, cancelled, on_event, [&] { cancel(state); },
      [&](std::size_t, HttpResponse&& response) { result = std::move(response); });
  return result;
}

void HttpClient::send_batch(std::vector<HttpRequest> requests, std::size_t concurrency,
                            const std::function<void(std::size_t, HttpResponse&&)>& on_done,
                            const CancelCheck& cancelled, const HttpEventSink& on_event) {
  if (requests.empty()) return;
  // Unbounded by the caller: never more than the in-flight ceiling could
  // let through, so a huge batch does not start thousands of waiters.
  if (concurrency == 0) concurrency = impl_->options.in_flight.ceiling;
  concurrency = std::clamp<std::size_t>(concurrency, 1, requests.size());
  const std::uint64_t line = impl_->next_line++;
  auto mailbox = std::make_shared<Mailbox>();
  std::map<std::size_t, std::shared_ptr<RequestState>> running;
  std::size_t next = 0;
  bool stopped = false;
  auto start_more = [&] {
    while (!stopped && running.size() < concurrency && next < requests.size()) {
      running.emplace(next, impl_->start(requests[next], next, line, mailbox));
      ++next;
    }
  };
  if (cancelled && cancelled()) stopped = true;
  start_more();
  impl_->drain(
      *mailbox, requests.size(), cancelled, on_event,
      [&] {
        stopped = true;
        for (auto& [index, state] : running) cancel(state);
        // Never started: they complete as cancelled, through the same path.
        for (; next < requests.size(); ++next) mailbox->post_done(next, failure("cancelled"));
      },
      [&](std::size_t index, HttpResponse&& response) {
        running.erase(index);
        on_done(index, std::move(response));
        start_more();
      });
}

}  // namespace pw
