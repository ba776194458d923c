#include "in_flight_budget.hpp"

#include <algorithm>
#include <cmath>

namespace pw::http {

namespace {
// The smoothing gain of TCP's SRTT (RFC 6298): one slow answer moves the
// estimate by an eighth, a change that lasts moves it within a few dozen.
constexpr double kGain = 1.0 / 8.0;
}  // namespace

InFlightBudget::InFlightBudget(InFlightLimits limits) : limits_(limits) {
  limits_.floor = std::max<std::size_t>(1, limits_.floor);
  limits_.ceiling = std::max(limits_.floor, limits_.ceiling);
}

std::size_t InFlightBudget::limit_of(const Origin& origin) const {
  // Before the first answer nothing is known: the floor, which the first
  // few answers then raise.
  const double wanted = limits_.target_rate * origin.rtt_us / 1e6;
  if (!(wanted > static_cast<double>(limits_.floor))) return limits_.floor;
  if (wanted >= static_cast<double>(limits_.ceiling)) return limits_.ceiling;
  return static_cast<std::size_t>(std::ceil(wanted));
}

std::vector<InFlightBudget::Grant> InFlightBudget::hand_out(Origin& origin) {
  std::vector<Grant> grants;
  const std::size_t limit = limit_of(origin);
  while (origin.in_flight < limit && !origin.turns.empty()) {
    const std::uint64_t line = origin.turns.front();
    origin.turns.pop_front();
    auto it = origin.lines.find(line);
    if (it == origin.lines.end() || it->second.empty()) {
      if (it != origin.lines.end()) origin.lines.erase(it);
      continue;
    }
    grants.push_back(std::move(it->second.front().grant));
    it->second.pop_front();
    ++origin.in_flight;
    // The line goes to the back of the turns: one per line per round.
    if (it->second.empty())
      origin.lines.erase(it);
    else
      origin.turns.push_back(line);
  }
  return grants;
}

bool InFlightBudget::take(const std::string& origin_key, std::uint64_t line, std::uint64_t ticket,
                          Grant grant) {
  std::lock_guard lock(mutex_);
  Origin& origin = origins_[origin_key];
  // Nobody waiting and a slot free: take it. Otherwise join the line, so a
  // newcomer never overtakes those already waiting.
  if (origin.turns.empty() && origin.in_flight < limit_of(origin)) {
    ++origin.in_flight;
    return true;
  }
  auto& queue = origin.lines[line];
  if (queue.empty()) origin.turns.push_back(line);
  queue.push_back({ticket, std::move(grant)});
  return false;
}

bool InFlightBudget::withdraw(const std::string& origin_key, std::uint64_t ticket) {
  std::lock_guard lock(mutex_);
  Origin& origin = origins_[origin_key];
  for (auto it = origin.lines.begin(); it != origin.lines.end(); ++it) {
    auto& queue = it->second;
    auto found = std::find_if(queue.begin(), queue.end(),
                              [&](const Waiter& w) { return w.ticket == ticket; });
    if (found == queue.end()) continue;
    queue.erase(found);
    if (queue.empty()) {
      std::erase(origin.turns, it->first);
      origin.lines.erase(it);
    }
    return true;
  }
  return false;
}

void InFlightBudget::release(const std::string& origin_key,
                             std::optional<std::chrono::microseconds> round_trip) {
  std::vector<Grant> grants;
  {
    std::lock_guard lock(mutex_);
    Origin& origin = origins_[origin_key];
    if (origin.in_flight > 0) --origin.in_flight;
    if (round_trip) {
      const double sample = static_cast<double>(std::max<std::int64_t>(0, round_trip->count()));
      origin.rtt_us = origin.rtt_us == 0 ? std::max(sample, 1.0)
                                         : origin.rtt_us + kGain * (sample - origin.rtt_us);
    }
    grants = hand_out(origin);
  }
  for (auto& grant : grants) grant();
}

std::size_t InFlightBudget::limit(const std::string& origin) const {
  std::lock_guard lock(mutex_);
  auto it = origins_.find(origin);
  return it == origins_.end() ? limit_of(Origin{}) : limit_of(it->second);
}

std::size_t InFlightBudget::in_flight(const std::string& origin) const {
  std::lock_guard lock(mutex_);
  auto it = origins_.find(origin);
  return it == origins_.end() ? 0 : it->second.in_flight;
}

std::chrono::microseconds InFlightBudget::round_trip(const std::string& origin) const {
  std::lock_guard lock(mutex_);
  auto it = origins_.find(origin);
  return std::chrono::microseconds(
      it == origins_.end() ? 0 : static_cast<std::int64_t>(it->second.rtt_us));
}

}  // namespace pw::http
