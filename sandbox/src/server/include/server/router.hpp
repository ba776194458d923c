// Method + path pattern -> handler. Patterns are split on '/'; a segment is
//   literal        "tokens"
//   {name}         any non-empty segment, percent-decoded
//   {name:id}      32 lower-case hex (anything else does not match -> 7003)
//   {name*}        the rest of the path, at least one character, '/' kept,
//                  percent-decoded (R2 object keys)
// The most specific match wins (literal > id > param > rest, left to right).
// Routes are added before the server starts and never change afterwards, so
// matching is safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wire/http_types.hpp"

namespace pw::sandbox {

struct RequestContext;
using Handler = std::function<Response(RequestContext&)>;
using PathParams = std::vector<std::pair<std::string, std::string>>;

struct RouteOptions {
  // Stream the request body into a temp file (Request::body_file) instead of
  // memory: R2 object PUT. The limit applies either way.
  bool body_to_file = false;
  std::uint64_t body_limit = 64ull << 20;
  // Token failures answer 401 1000 (the verify endpoints).
  bool verify_endpoint = false;
};

struct Route {
  std::string method;
  std::string pattern;  // full path pattern, for messages
  struct Segment {
    enum class Kind { literal, param, id, rest } kind;
    std::string text;  // literal text or parameter name
  };
  std::vector<Segment> segments;
  Handler handler;
  RouteOptions options;
  bool hook = false;  // under /__sandbox: no auth, loopback only
  // A real Cloudflare endpoint from the inventory that no product serves:
  // answered 501, never 7003 (docs/sandbox.md "Endpoint inventory").
  bool not_emulated = false;
};

class Router {
 public:
  static constexpr std::string_view api_prefix = "/client/v4";
  static constexpr std::string_view hook_prefix = "/__sandbox";

  // API route; `pattern` is relative to /client/v4, e.g. "/zones/{zone_id:id}".
  void add(std::string_view method, std::string_view pattern, Handler handler,
           RouteOptions options = {});
  // Test hook; `pattern` is relative to /__sandbox, e.g. "/faults".
  void add_hook(std::string_view method, std::string_view pattern, Handler handler);
  // An endpoint of the real API (relative to /client/v4) that may have no
  // handler: its Route has not_emulated set. It wins only where it is more
  // specific than every matching served route (see match()).
  void add_inventory(std::string_view method, std::string_view pattern);

  struct Match {
    const Route* route;
    PathParams params;
  };
  // `path` is the raw (percent-encoded) path without the query. A served
  // route wins unless an inventory endpoint is more specific.
  std::optional<Match> match(std::string_view method, std::string_view path) const;

 private:
  void add_route(std::string_view method, std::string full_pattern, Handler handler,
                 RouteOptions options, bool hook, bool not_emulated = false);
  const Route* best_match(const std::vector<std::size_t>& candidates,
                          const std::vector<std::string_view>& parts, std::string_view path,
                          bool not_emulated, std::vector<int>& best_score) const;
  // Indices into routes_ by method: a request is compared with its method's
  // routes only.
  std::vector<std::pair<std::string, std::vector<std::size_t>>> by_method_;
  std::vector<Route> routes_;
};

std::string percent_decode(std::string_view s);

}  // namespace pw::sandbox
