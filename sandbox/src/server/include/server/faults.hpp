// Fault injection for client-resilience tests. Spec string (docs/sandbox.md):
//   "429=0.1,5xx=0.05,503=0.2,drop_before=0.02,drop_after=0.02,
//    latency=20ms|latency=10ms-50ms,path=/client/v4/user/tokens*,methods=GET|PUT,seed=42,
//    count=1"
// or the same keys as a JSON object. Shares are probabilities drawn from one
// seeded RNG; their sum must be <= 1. Used only on the state strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pw::sandbox {

enum class FaultKind {
  none,
  too_many_requests,
  status_500,
  status_502,
  status_503,
  drop_before,
  drop_after
};

struct FaultDecision {
  FaultKind kind = FaultKind::none;
  std::chrono::milliseconds latency{0};
};

struct FaultSpec {
  double share_429 = 0, share_500 = 0, share_502 = 0, share_503 = 0, drop_before = 0,
         drop_after = 0;
  std::chrono::milliseconds latency_min{0}, latency_max{0};
  std::string path_glob;             // empty = every API path
  std::vector<std::string> methods;  // empty = every method
  std::uint64_t seed = 0;
  bool seeded = false;
  // Faults stop after this many were injected (latency aside); 0: never.
  std::uint64_t count = 0;
  std::string text;  // as given, for display
};

// Throws std::invalid_argument naming the bad key or value.
FaultSpec parse_fault_spec(std::string_view spec);

class FaultInjector {
 public:
  void set(std::string_view spec);  // throws std::invalid_argument; "" clears
  FaultDecision decide(std::string_view method, std::string_view path);
  const std::string& spec() const { return spec_.text; }

 private:
  FaultSpec spec_;
  std::uint64_t injected_ = 0;
  std::mt19937_64 rng_{0};
};

bool glob_match(std::string_view pattern, std::string_view text);  // '*' any run, '?' one char

}  // namespace pw::sandbox
