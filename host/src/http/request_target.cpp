#include "request_target.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace pw::http {

bool is_loopback_host(const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost" || lower == "localhost.") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(lower, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .is_loopback();
  return address.is_loopback();
}

std::optional<RequestTarget> parse_request_target(const std::string& url, std::string& error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    error = "invalid URL: " + parsed.error().message();
    return std::nullopt;
  }
  const boost::urls::url_view& u = *parsed;
  RequestTarget t;
  const std::string scheme = u.scheme();
  if (scheme == "https") {
    t.tls = true;
  } else if (scheme != "http") {
    error = "unsupported URL scheme '" + scheme + "': use https://";
    return std::nullopt;
  }
  if (u.has_userinfo()) {
    error = "credentials in the URL are not allowed: pass them as headers";
    return std::nullopt;
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
      t.host = u.host_ipv6_address().to_string();
      t.host_is_ip = true;
      break;
    case boost::urls::host_type::ipv4:
      t.host = u.host_ipv4_address().to_string();
      t.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      t.host = u.host_name();
      break;
    default:
      error = "unsupported host in URL";
      return std::nullopt;
  }
  if (t.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  if (!t.tls && !is_loopback_host(t.host)) {
    error = "refused plain http:// to " + t.host +
            ": plain HTTP is only allowed to loopback hosts (127.0.0.0/8, ::1, localhost); use "
            "https://";
    return std::nullopt;
  }
  const std::uint16_t default_port = t.tls ? 443 : 80;
  t.port = u.has_port() ? u.port_number() : default_port;
  if (u.has_port() && t.port == 0) {
    error = "invalid port in URL";
    return std::nullopt;
  }
  t.target = u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  const std::string host_text = std::string(u.encoded_host());
  t.host_header = t.port == default_port ? host_text : host_text + ":" + std::to_string(t.port);
  t.origin = scheme + "://" + host_text + ":" + std::to_string(t.port);
  return t;
}

}  // namespace pw::http
