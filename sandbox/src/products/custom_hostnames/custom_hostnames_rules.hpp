// Cloudflare-for-SaaS rules that need no server state: hostname checks with
// the official status codes, and the shape of a fresh or activated custom
// hostname.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

struct CustomHostnameRefusal {
  int code;
  std::string message;
};

// 1408 non-ASCII, 1407 malformed (IP literal, bad characters, too long),
// 1409 reserved TLD, 1411 under example.com/.net/.org; nullopt when valid.
std::optional<CustomHostnameRefusal> check_custom_hostname(std::string_view hostname);

// 1432 bad method, 1433 bad type, 1434 bad attribute; nullopt when the ssl
// object (possibly absent) is acceptable.
std::optional<CustomHostnameRefusal> check_custom_hostname_ssl(const boost::json::value* ssl);

// A freshly created custom hostname: status pending, ssl initializing with
// validation records for its method, ownership verification values.
boost::json::object new_custom_hostname(std::string id, std::string hostname,
                                        const boost::json::value* ssl_request,
                                        const boost::json::value* custom_metadata,
                                        std::string created_at);

// Applies a PATCH body's ssl / custom_metadata / origin fields to `stored`.
void patch_custom_hostname(boost::json::object& stored, const boost::json::object& patch);

// What verification does: status and ssl.status active, errors cleared,
// ownership verification values emptied, validation records dropped.
void activate_custom_hostname(boost::json::object& stored);

// The zone's fallback origin (fallback_origin_endpoints.cpp), part of the
// custom hostnames module.
class Db;
class Router;
struct State;
void install_fallback_origin_schema(Db& db);
void add_fallback_origin_endpoints(Router& r);
void activate_fallback_origins(State& state);

}  // namespace pw::sandbox
