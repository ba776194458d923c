// How many requests to one origin are in flight at once, shared by every
// step, tenant and batch of the process. Its size follows the origin's
// measured round-trip time (Little's law: in flight = rate x latency):
// about `target_rate` x rtt, clamped to [floor, ceiling]. Requests beyond
// it wait in line, one line per caller (a batch or a single send), served
// in turn, so one huge batch cannot starve a small listing. Owned by
// HttpClient; thread-safe; grants are called outside its lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <pipewright/host/http/http_client.hpp>
#include <string>

namespace pw::http {

class InFlightBudget {
 public:
  // Called once the slot is the waiter's, from whichever thread released it.
  using Grant = std::function<void()>;

  explicit InFlightBudget(InFlightLimits limits);

  // Takes a slot of `origin` now (true), or queues `grant` as `ticket` in
  // `line`'s queue (false): it is called once a slot has been given to it.
  bool take(const std::string& origin, std::uint64_t line, std::uint64_t ticket, Grant grant);

  // Takes a queued ticket out of line (its caller gave up). False when a
  // slot was given to it meanwhile: the caller owns that slot and must
  // release() it.
  bool withdraw(const std::string& origin, std::uint64_t ticket);

  // Gives a slot back and hands it to the next waiter. `round_trip`: how
  // long the exchange took, when it got an answer (a sample of the
  // origin's latency; waits for the rate budget are never in it).
  void release(const std::string& origin, std::optional<std::chrono::microseconds> round_trip);

  std::size_t limit(const std::string& origin) const;
  std::size_t in_flight(const std::string& origin) const;
  // The smoothed round-trip time; zero before the first answer.
  std::chrono::microseconds round_trip(const std::string& origin) const;

 private:
  struct Waiter {
    std::uint64_t ticket;
    Grant grant;
  };
  struct Origin {
    std::size_t in_flight = 0;
    double rtt_us = 0;  // smoothed; 0 = no sample yet
    std::map<std::uint64_t, std::deque<Waiter>> lines;
    std::deque<std::uint64_t> turns;  // lines with waiters, next to serve first
  };

  std::size_t limit_of(const Origin& origin) const;
  // Hands free slots to waiters, in turn; returns the grants to call.
  std::vector<Grant> hand_out(Origin& origin);

  InFlightLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Origin> origins_;
};

}  // namespace pw::http
