// One request through the pipeline: faults -> authentication -> rate limit ->
// route (7003) -> handler, plus the request log. Runs on the state strand;
// the connection does the I/O before and after. The S3 door's dispatcher
// authenticates with SigV4, answers S3 XML errors and spends no rate budget.
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

// Which API a listener serves: the REST API (/client/v4 and the hooks) or
// R2's S3 API.
enum class Door { rest, s3 };

class Dispatcher {
 public:
  Dispatcher(const Router& router, State& state, Runtime& runtime, Door door = Door::rest)
      : router_(router), state_(state), runtime_(runtime), door_(door) {}

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
  Handled handle_s3(Request& req, const std::optional<Router::Match>& match);

  const Router& router_;
  State& state_;
  Runtime& runtime_;
  Door door_;
};

bool is_loopback(std::string_view ip);

}  // namespace pw::sandbox
