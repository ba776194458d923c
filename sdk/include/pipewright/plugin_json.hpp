// Optional Boost.JSON conveniences on top of plugin.hpp, for C++ plugins that
// already use Boost.JSON (all in-tree plugins do). Plugins that do not want
// Boost include plugin.hpp alone.
#ifndef PIPEWRIGHT_PLUGIN_JSON_HPP
#define PIPEWRIGHT_PLUGIN_JSON_HPP

#include <pipewright/plugin.hpp>

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace pipewright {

// An HTTP response decoded from the host's meta JSON.
struct Response {
  int status = 0;               // 0 when no response arrived
  boost::json::object headers;  // lower-case names
  std::string body;
  std::string error;    // transport error text when status == 0
  std::string outcome;  // "ok", "failed" or "unknown" (see plugin.h)
  int attempts = 1;

  bool ok() const noexcept { return status >= 200 && status < 300; }
  bool unknown_outcome() const noexcept { return outcome == "unknown"; }
  // The body parsed as JSON; a null value when it is not JSON.
  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
  std::string header(std::string_view name) const {
    if (auto* v = headers.if_contains(name); v && v->is_string())
      return std::string(v->as_string());
    return {};
  }
};

// Takes the body over (a listing can be hundreds of kilobytes).
inline Response decode_response(std::string_view meta_json, std::string&& body) {
  Response r;
  boost::system::error_code ec;
  auto meta = boost::json::parse(meta_json, ec);
  r.body = std::move(body);
  if (ec || !meta.is_object()) {
    r.error = "the host sent an unreadable response description";
    r.outcome = "failed";
    return r;
  }
  const auto& m = meta.as_object();
  if (auto* v = m.if_contains("status"); v && v->is_int64()) r.status = static_cast<int>(v->as_int64());
  if (auto* v = m.if_contains("headers"); v && v->is_object()) r.headers = v->as_object();
  if (auto* v = m.if_contains("error"); v && v->is_string()) r.error = v->as_string();
  if (auto* v = m.if_contains("outcome"); v && v->is_string()) r.outcome = v->as_string();
  if (auto* v = m.if_contains("attempts"); v && v->is_int64()) r.attempts = static_cast<int>(v->as_int64());
  return r;
}

inline Response decode_response(std::string_view meta_json, std::string_view body) {
  return decode_response(meta_json, std::string(body));
}

inline Response http(const Call& call, const boost::json::object& request,
                     std::string_view body = {}) {
  auto exchange = call.http(boost::json::serialize(request), body);
  return decode_response(exchange.meta_json, std::move(exchange.body));
}

inline boost::json::object with_object(const Call& call) {
  boost::system::error_code ec;
  auto v = boost::json::parse(call.with_json(), ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

inline boost::json::object context_object(const Call& call) {
  boost::system::error_code ec;
  auto v = boost::json::parse(call.context_json(), ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

inline void set_output(const Call& call, std::string_view name,
                       const boost::json::value& value, bool secret = false) {
  call.set_output(name, boost::json::serialize(value), secret);
}

}  // namespace pipewright

#endif  // PIPEWRIGHT_PLUGIN_JSON_HPP
