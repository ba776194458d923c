// Server-wide services besides the data: faults, rate limits, the request
// log, and the module hooks. Owned by the server; used only on the state
// strand.
#pragma once

#include <functional>
#include <vector>

#include "server/faults.hpp"
#include "server/rate_limiter.hpp"
#include "server/request_log.hpp"
#include "server/state.hpp"

namespace pw::sandbox {

struct Runtime {
  explicit Runtime(const Options& o)
      : limiter(o.rate_limit_enabled, o.rate_limit_requests, o.rate_limit_window),
        log(o.request_log) {}

  FaultInjector faults;
  RateLimiter limiter;
  RequestLog log;
  // Called by Server::activate_custom_hostnames() and its HTTP hook.
  std::vector<std::function<void(State&)>> hostname_activators;
};

}  // namespace pw::sandbox
