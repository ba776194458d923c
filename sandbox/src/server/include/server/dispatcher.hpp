// One request through the pipeline: faults -> authentication -> rate limit ->
// route (7003) -> handler, plus the request log. Runs on the state strand;
// the connection does the I/O before and after.
#pragma once

#include <chrono>
#include <optional>

#include "iam/principal.hpp"
#include "server/router.hpp"
#include "server/runtime.hpp"
#include "server/state.hpp"

namespace pw::sandbox {

struct Handled {
  std::optional<Response> response;      // nullopt: close without answering (drop faults)
  std::chrono::milliseconds latency{0};  // injected delay before answering
};

class Dispatcher {
 public:
  Dispatcher(const Router& router, State& state, Runtime& runtime)
      : router_(router), state_(state), runtime_(runtime) {}

  // Safe from any thread: the router is immutable once serving. The
  // connection matches once, before reading the body (the route decides
  // where the body goes), and hands the match to handle().
  std::optional<Router::Match> route(std::string_view method, std::string_view path) const {
    return router_.match(method, path);
  }
  // State strand only. `match` is route(req.method, req.path).
  Handled handle(Request& req, const std::optional<Router::Match>& match);

 private:
  Response run(const Route& route, Request& req, const PathParams& params, const Principal* who);

  const Router& router_;
  State& state_;
  Runtime& runtime_;
};

bool is_loopback(std::string_view ip);

}  // namespace pw::sandbox
