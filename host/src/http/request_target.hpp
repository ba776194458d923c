// Where a request goes, parsed once from its URL with Boost.URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pw::http {

struct RequestTarget {
  bool tls = false;
  std::string host;  // as the name resolver and SNI want it (no brackets)
  std::uint16_t port = 0;
  std::string target;  // path and query, as sent on the request line
  std::string origin;  // "https://host:port": the pool and rate-limit key
  bool host_is_ip = false;
  std::string host_header;  // "host" or "host:port" when not the default
};

// The parsed target, or nullopt with `error` saying what is wrong. Plain
// http:// is accepted only for loopback hosts, so that credentials never
// leave the machine unencrypted.
std::optional<RequestTarget> parse_request_target(const std::string& url, std::string& error);

bool is_loopback_host(const std::string& host);

}  // namespace pw::http
