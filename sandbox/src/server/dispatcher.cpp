#include "server/dispatcher.hpp"

#include <boost/asio/ip/address.hpp>
#include <iostream>

#include "iam/auth.hpp"
#include "server/context.hpp"
#include "store/clock.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {
namespace {

std::optional<Response> fault_response(FaultKind k) {
  switch (k) {
    case FaultKind::too_many_requests:
      return std::move(fail(429, 971, "Please wait and consider throttling your request speed")
                           .header("Retry-After", "1"));
    case FaultKind::status_500:
      return fail(500, 10001, "Internal server error (injected fault)");
    case FaultKind::status_502:
      return fail(502, 10002, "Bad gateway (injected fault)");
    case FaultKind::status_503:
      return fail(503, 10003, "Service unavailable (injected fault)");
    default:
      return std::nullopt;
  }
}

std::string_view fault_name(FaultKind k) {
  switch (k) {
    case FaultKind::too_many_requests:
      return "429";
    case FaultKind::status_500:
      return "500";
    case FaultKind::status_502:
      return "502";
    case FaultKind::status_503:
      return "503";
    case FaultKind::drop_before:
      return "drop_before";
    case FaultKind::drop_after:
      return "drop_after";
    default:
      return "";
  }
}

}  // namespace

bool is_loopback(std::string_view ip) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  return a.is_loopback();
}

Response Dispatcher::run(const Route& route, Request& req, const PathParams& params,
                         const Principal* who) {
  RequestContext ctx{req, params, who, state_, runtime_};
  try {
    return route.handler(ctx);
  } catch (const std::exception& e) {
    // A handler bug, not a client error: say where, keep serving.
    std::cerr << "pipewright sandbox: " << req.method << " " << route.pattern
              << " failed: " << e.what() << "\n";
    return internal_error();
  }
}

Handled Dispatcher::handle(Request& req, const std::optional<Router::Match>& match) {
  Handled out;
  if (req.path.starts_with(Router::hook_prefix)) {
    if (!is_loopback(req.peer_ip))
      out.response = fail(403, 10000, "sandbox test hooks answer loopback clients only");
    else if (!match || !match->route->hook)
      out.response = no_route(req.path);
    else
      out.response = run(*match->route, req, match->params, nullptr);
    return out;
  }

  RequestLogEntry entry{util::now(), req.method, req.path, 0, "", ""};
  if (!req.path.starts_with(Router::api_prefix)) {
    out.response = no_route(req.path);
    out.response->status = 404;
    entry.status = 404;
    runtime_.log.add(std::move(entry));
    return out;
  }

  FaultDecision fault = runtime_.faults.decide(req.method, req.path);
  out.latency = fault.latency;
  entry.fault = std::string(fault_name(fault.kind));
  if (fault.kind == FaultKind::drop_before) {
    runtime_.log.add(std::move(entry));
    return out;
  }
  if (auto injected = fault_response(fault.kind)) {
    entry.status = injected->status;
    runtime_.log.add(std::move(entry));
    out.response = std::move(injected);
    return out;
  }

  bool api_route = match && !match->route->hook && !match->route->not_emulated;
  auto who = authenticate(state_.db, state_.tokens, req,
                          api_route && match->route->options.verify_endpoint);
  entry.credential = who ? who->credential_id() : "";
  RateDecision rate = runtime_.limiter.take(who ? who->credential_id() : "ip:" + req.peer_ip);

  Response resp;
  if (!rate.allowed)
    resp = fail(429, 971, "Please wait and consider throttling your request speed");
  else if (!who)
    resp = std::move(who.error());
  else if (match && match->route->not_emulated)
    resp = not_emulated(req.method, match->route->pattern);
  else if (!api_route)
    resp = no_route(req.path);
  else
    resp = run(*match->route, req, match->params, &who.value());
  runtime_.limiter.add_headers(resp, rate);
  entry.status = resp.status;
  runtime_.log.add(std::move(entry));
  // drop_after: the change is committed, the client never hears about it.
  if (fault.kind != FaultKind::drop_after) out.response = std::move(resp);
  return out;
}

}  // namespace pw::sandbox
