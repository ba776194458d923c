#include "request_signing.hpp"

#include <pipewright/util/sigv4.hpp>
#include <pipewright/util/text.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <ctime>

namespace pw {

namespace {

std::string amz_date(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

}  // namespace

std::optional<std::string> sign_sigv4(HttpRequest& request, const SigningCredentials& credentials,
                                      std::chrono::system_clock::time_point now) {
  auto parsed = boost::urls::parse_absolute_uri(request.url);
  if (!parsed) return "\"url\" cannot be signed: " + parsed.error().message();
  const auto& url = *parsed;
  // The Host header the client sends (host_header in the http room): the
  // port only when it is not the scheme's default.
  const bool tls = url.scheme() == "https";
  std::string host(url.encoded_host());
  if (url.has_port() && url.port_number() != (tls ? 443 : 80)) host += ":" + std::string(url.port());

  // Headers of the same name from the plugin go: the host owns them.
  std::erase_if(request.headers, [](const auto& h) {
    const auto name = util::lower(h.first);
    return name == "authorization" || name == "x-amz-date" || name == "x-amz-content-sha256" ||
           name == "host";
  });
  const std::string date = amz_date(now);
  const std::string payload =
      request.body_file ? std::string("UNSIGNED-PAYLOAD") : sigv4::sha256_hex(request.body);
  request.headers.emplace_back("x-amz-date", date);
  request.headers.emplace_back("x-amz-content-sha256", payload);

  sigv4::Request signed_request;
  signed_request.method = request.method;
  signed_request.path = url.path().empty() ? std::string("/") : std::string(url.path());
  for (const auto& param : url.params()) signed_request.query.emplace_back(param.key, param.value);
  signed_request.payload_hash = payload;
  signed_request.headers.emplace_back("host", host);
  // Every header the plugin set is signed too, so none can be altered on
  // the way; the transport's own (Content-Length) are not.
  for (const auto& [name, value] : request.headers) {
    const auto lower = util::lower(name);
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") continue;
    signed_request.headers.emplace_back(name, value);
  }
  const sigv4::Scope scope{date.substr(0, 8), "auto", "s3"};
  request.headers.emplace_back(
      "Authorization", sigv4::authorization(credentials.access_key_id, credentials.secret_access_key, scope,
                                            date, signed_request));
  return std::nullopt;
}

}  // namespace pw
