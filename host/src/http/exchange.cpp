#include "exchange.hpp"

#include <pipewright/util/text.hpp>

// GCC 12 misreads Asio's recycling allocator for coroutine frames as a
// new/delete mismatch (the same false positive as in http_client.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http/basic_file_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <limits>
#include <vector>

namespace pw::http {

namespace bhttp = beast::http;
using asio::use_awaitable;
constexpr auto as_result = asio::as_tuple(use_awaitable);

namespace {

bool is_transport_header(const std::string& name) {
  const std::string lower = util::lower(name);
  // The client owns framing and connection management.
  return lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
         lower == "connection";
}

template <class Body>
void fill_head(bhttp::request<Body>& message, const RequestTarget& target,
               const HttpRequest& request) {
  message.version(11);
  message.method_string(request.method);
  message.target(target.target);
  message.set(bhttp::field::host, target.host_header);
  message.set(bhttp::field::user_agent, "pipewright/" PIPEWRIGHT_VERSION);
  for (const auto& [name, value] : request.headers) {
    // A Host given by the plugin names the virtual host at the URL's
    // address, like curl -H 'Host: …' (a site checked through a local edge).
    if (util::iequals(name, "host") && !value.empty()) message.set(bhttp::field::host, value);
    if (!is_transport_header(name)) message.insert(name, value);
  }
  message.keep_alive(true);
}

// Beast's File concept over one byte range of a file, so a multipart
// upload's part streams from disk like a whole file does (basic_file_body
// sends size() bytes from the current position).
class RangeFile {
 public:
  RangeFile() = default;
  bool is_open() const { return file_.is_open(); }
  void close(beast::error_code& ec) { file_.close(ec); }
  void open(char const* path, beast::file_mode mode, beast::error_code& ec) { file_.open(path, mode, ec); }
  void select(std::uint64_t offset, std::uint64_t length, beast::error_code& ec) {
    const auto whole = file_.size(ec);
    if (ec) return;
    if (offset > whole || length > whole - offset) {
      ec = beast::errc::make_error_code(beast::errc::invalid_argument);
      return;
    }
    file_.seek(offset, ec);
    left_ = length;
    length_ = length;
  }
  std::uint64_t size(beast::error_code& ec) const {
    ec = {};
    return length_;
  }
  std::uint64_t pos(beast::error_code& ec) { return file_.pos(ec); }
  void seek(std::uint64_t offset, beast::error_code& ec) { file_.seek(offset, ec); }
  std::size_t read(void* buffer, std::size_t n, beast::error_code& ec) {
    const auto got = file_.read(buffer, static_cast<std::size_t>(std::min<std::uint64_t>(n, left_)), ec);
    left_ -= got;
    return got;
  }
  std::size_t write(void const*, std::size_t, beast::error_code& ec) {
    ec = beast::errc::make_error_code(beast::errc::operation_not_supported);
    return 0;
  }

 private:
  beast::file file_;
  std::uint64_t length_ = 0;
  std::uint64_t left_ = 0;
};

bool was_dropped(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

std::string describe(const beast::error_code& ec, const std::atomic<bool>& cancelled) {
  if (cancelled) return "cancelled";
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

template <class Stream>
asio::awaitable<void> write_and_read(Stream& stream, Connection& connection,
                                     const HttpRequest& request, const RequestTarget& target,
                                     ExchangeLimits limits, const std::atomic<bool>& cancelled,
                                     ExchangeResult& result) {
  beast::error_code ec;
  connection.lowest().expires_at(limits.deadline);
  if (request.body_file && request.body_range) {
    RangeFile file;
    file.open(request.body_file->c_str(), beast::file_mode::scan, ec);
    if (!ec) file.select(request.body_range->offset, request.body_range->length, ec);
    bhttp::request<bhttp::basic_file_body<RangeFile>> message;
    if (!ec) {
      fill_head(message, target, request);
      message.body().reset(std::move(file), ec);
    }
    if (ec) {
      result.error = "cannot read bytes " + std::to_string(request.body_range->offset) + "+" +
                     std::to_string(request.body_range->length) + " of body_file " +
                     request.body_file->string() + ": " + ec.message();
      co_return;
    }
    message.prepare_payload();
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, message, as_result);
  } else if (request.body_file) {
    bhttp::request<bhttp::file_body> message;
    fill_head(message, target, request);
    message.body().open(request.body_file->c_str(), beast::file_mode::scan, ec);
    if (ec) {
      result.error = "cannot read body_file " + request.body_file->string() + ": " + ec.message();
      co_return;
    }
    message.prepare_payload();
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, message, as_result);
  } else {
    bhttp::request<bhttp::string_body> message;
    fill_head(message, target, request);
    message.body() = request.body;
    message.prepare_payload();
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, message, as_result);
  }
  if (ec) {
    result.stale_connection = connection.exchanges > 0 && was_dropped(ec);
    result.error = "sending the request failed: " + describe(ec, cancelled);
    co_return;
  }
  result.request_written = true;
  if (cancelled) {
    result.error = "cancelled";
    co_return;
  }

  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (request.method == "HEAD") parser.skip(true);
  connection.lowest().expires_at(limits.deadline);
  std::tie(ec, std::ignore) =
      co_await bhttp::async_read(stream, connection.buffer, parser, as_result);
  if (ec) {
    result.stale_connection = connection.exchanges > 0 && !parser.got_some() &&
                              connection.buffer.size() == 0 && was_dropped(ec);
    result.error = "reading the response failed: " + describe(ec, cancelled);
    co_return;
  }
  auto message = parser.release();
  result.response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    result.response.headers.emplace_back(util::lower(field.name_string()),
                                         std::string(field.value()));
  }
  result.response.body = std::move(message.body());
  result.reusable = message.keep_alive();
  ++connection.exchanges;
  connection.lowest().expires_never();
}

asio::awaitable<bool> connect(Connection& connection, ExchangeLimits limits,
                              const std::atomic<bool>& cancelled, ExchangeResult& result) {
  const auto& target = connection.target;
  const std::string where = target.host + ":" + std::to_string(target.port);
  // An IP literal needs no lookup: Asio resolves on a helper thread of its
  // own, a thread hop and a getaddrinfo for every new connection.
  std::vector<asio::ip::tcp::endpoint> endpoints;
  boost::system::error_code literal_ec;
  const auto literal = target.host_is_ip ? asio::ip::make_address(target.host, literal_ec) : asio::ip::address();
  if (target.host_is_ip && !literal_ec) {
    endpoints.emplace_back(literal, target.port);
  } else {
    auto [rec, resolved] = co_await connection.resolver.async_resolve(
        target.host, std::to_string(target.port), as_result);
    if (rec || connection.aborted) {
      result.error = "cannot resolve " + target.host + ": " + describe(rec, cancelled);
      co_return false;
    }
    for (const auto& entry : resolved) endpoints.push_back(entry.endpoint());
  }
  connection.lowest().expires_at(
      std::min(limits.deadline, std::chrono::steady_clock::now() + limits.connect_timeout));
  auto [cec, endpoint] = co_await connection.lowest().async_connect(endpoints, as_result);
  if (cec || connection.aborted) {
    result.connection_refused = cec == asio::error::connection_refused && !connection.aborted;
    result.error = result.connection_refused
                       ? "cannot connect to " + where + ": connection refused (nothing listens there)"
                       : "cannot connect to " + where + ": " + describe(cec, cancelled);
    co_return false;
  }
  // A request goes out as header then body: with Nagle on, the body waits
  // for the peer's delayed ACK (~40 ms) on every exchange of a kept-alive
  // connection.
  boost::system::error_code nodelay_ignored;
  connection.lowest().socket().set_option(boost::asio::ip::tcp::no_delay(true), nodelay_ignored);
  if (connection.secure) {
    auto& tls = *connection.secure;
    // SNI names a host; RFC 6066 forbids sending an IP literal.
    if (!target.host_is_ip && !SSL_set_tlsext_host_name(tls.native_handle(), target.host.c_str())) {
      result.error = "cannot set TLS server name for " + target.host;
      co_return false;
    }
    if (limits.verify_tls) {
      tls.set_verify_mode(asio::ssl::verify_peer);
      tls.set_verify_callback(asio::ssl::host_name_verification(target.host));
    } else {
      tls.set_verify_mode(asio::ssl::verify_none);
    }
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, as_result);
    if (hec || connection.aborted) {
      result.error = "TLS handshake with " + where + " failed: " + describe(hec, cancelled);
      co_return false;
    }
  }
  connection.connected = true;
  co_return true;
}

}  // namespace

asio::awaitable<ExchangeResult> exchange(std::shared_ptr<Connection> connection,
                                         const HttpRequest& request, const RequestTarget& target,
                                         ExchangeLimits limits,
                                         const std::atomic<bool>& cancelled) {
  ExchangeResult result;
  if (cancelled || connection->aborted) {
    result.error = "cancelled";
    co_return result;
  }
  if (!connection->connected && !co_await connect(*connection, limits, cancelled, result))
    co_return result;
  if (connection->secure)
    co_await write_and_read(*connection->secure, *connection, request, target, limits, cancelled,
                            result);
  else
    co_await write_and_read(*connection->plain, *connection, request, target, limits, cancelled,
                            result);
  co_return result;
}

}  // namespace pw::http
