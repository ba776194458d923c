// What a route handler receives. Handlers run on the state strand: they may
// use state.db / state.objects freely and must not block on the network.
#pragma once

#include <stdexcept>

#include "iam/access.hpp"
#include "server/router.hpp"
#include "server/runtime.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {

struct RequestContext {
  Request& request;
  const PathParams& params;
  const Principal* principal;  // nullptr on /__sandbox hooks
  State& state;
  Runtime& runtime;

  // A {name} from the route pattern (percent-decoded).
  const std::string& param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    throw std::logic_error("route has no parameter " + std::string(name));
  }
  const Principal& who() const {
    if (!principal) throw std::logic_error("no principal on a hook route");
    return *principal;
  }
  // nullopt = allowed; otherwise return the refusal as the response.
  std::optional<Response> require(const GroupNames& any_of, const Resource& what) const {
    return pw::sandbox::require(state.db, who(), any_of, what);
  }
  bool allowed(const GroupNames& any_of, const Resource& what) const {
    return pw::sandbox::allowed(state.db, who(), any_of, what);
  }
  // The body as JSON whatever the Content-Type; `malformed` is sent for bad JSON.
  Outcome<boost::json::value> json_body(const Response& malformed = malformed_json()) const {
    return parse_json(request.body, malformed);
  }
};

}  // namespace pw::sandbox
