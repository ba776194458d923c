#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <filesystem>

#include "envelope.hpp"

namespace pw::sandbox {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr auto idle_timeout = std::chrono::seconds(120);

std::string peer_address(const asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "";
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

void fill_request(Request& req, const http::request_header<>& h, std::string peer) {
  req.method = std::string(h.method_string());
  req.target = std::string(h.target());
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) {
    auto url = boost::urls::parse_origin_form(req.target);
    if (url)
      for (auto p : url->params())
        req.query.emplace_back(p.key, p.has_value ? p.value : std::string());
  }
  req.peer_ip = std::move(peer);
}

template <class Body>
void apply(http::response<Body>& res, Response& r, bool keep_alive) {
  res.set(http::field::server, "pipewright-sandbox");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.keep_alive(keep_alive);
}

awaitable<Handled> dispatch_on_strand(Dispatcher& d, Request& req,
                                      const std::optional<Router::Match>& match) {
  co_return d.handle(req, match);
}

awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream, Response r,
                                                    unsigned version, bool keep_alive) {
  if (r.file) {
    http::response<http::file_body> res{static_cast<http::status>(r.status), version};
    apply(res, r, keep_alive);
    res.body() = std::move(*r.file);
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return ec;
  }
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  apply(res, r, keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return ec;
}

}  // namespace

awaitable<void> serve_connection(asio::ip::tcp::socket socket, ConnectionDeps deps) {
  std::string peer = peer_address(socket);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  // Beast reads at most the buffer's free capacity, 512 bytes when it
  // starts empty: a 10 KB PUT took twenty reads and twenty file writes.
  buffer.reserve(64 * 1024);
  for (;;) {
    stream.expires_after(idle_timeout);
    http::request_parser<http::empty_body> head;
    head.header_limit(64 * 1024);
    // The route's own limit applies once the body is read (below); the
    // parser's default of 1 MB would refuse a larger Content-Length while
    // reading the head, closing the connection on any bigger object PUT.
    head.body_limit(boost::none);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, head, use_tuple);
    if (ec) break;  // closed, idle timeout, or not HTTP

    Request req;
    fill_request(req, head.get(), peer);
    // The head's fields are moved out after the body is read, unless the
    // body is chunked: then the parser adds trailer fields to them, and a
    // credential sent only as a trailer must not count (Cloudflare reads
    // the head).
    const bool chunked = head.get().chunked();
    if (chunked)
      for (const auto& f : head.get()) req.headers.insert(f.name_string(), f.value());
    const unsigned version = head.get().version();
    const bool keep_alive = head.get().keep_alive();
    const auto match = deps.dispatcher.route(req.method, req.path);
    const RouteOptions opts = match ? match->route->options : RouteOptions{};

    // A declared length over the route's limit is refused before the body
    // is read (the limit the body parser takes only counts chunked bodies).
    if (auto length = head.content_length(); length && *length > opts.body_limit) {
      co_await write_response(stream, fail(413, 10001, "Request body is too large"), version, false);
      break;
    }

    if (beast::iequals(head.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, version};
      auto [cec, cn] = co_await http::async_write(stream, cont, use_tuple);
      if (cec) break;
    }

    boost::system::error_code read_ec;
    if (opts.body_to_file) {
      // Large object bodies go straight to disk, never whole in memory.
      http::request_parser<http::file_body> parser(std::move(head));
      parser.body_limit(opts.body_limit);
      auto temp = deps.objects.new_temp_path();
      beast::error_code fec;
      parser.get().body().open(temp.c_str(), beast::file_mode::write, fec);
      if (fec) {
        co_await write_response(stream, internal_error(), version, false);
        break;
      }
      req.body_file = temp;
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      parser.get().body().close();
      read_ec = rec;
      if (!chunked) req.headers = std::move(static_cast<http::fields&>(parser.get()));
    } else {
      http::request_parser<http::string_body> parser(std::move(head));
      parser.body_limit(opts.body_limit);
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      read_ec = rec;
      if (!chunked) req.headers = std::move(static_cast<http::fields&>(parser.get()));
      req.body = std::move(parser.get().body());
    }
    if (read_ec) {
      if (req.body_file) std::filesystem::remove(*req.body_file, ec);
      if (read_ec == http::error::body_limit)
        co_await write_response(stream, fail(413, 10001, "Request body is too large"), version,
                                false);
      break;
    }

    stream.expires_never();  // the strand may be busy; do not time out while queued
    Handled h = co_await asio::co_spawn(deps.state_strand, dispatch_on_strand(deps.dispatcher, req, match),
                                        asio::use_awaitable);
    if (req.body_file) std::filesystem::remove(*req.body_file, ec);  // unless a handler adopted it

    if (h.latency.count() > 0) {
      asio::steady_timer timer(stream.get_executor(), h.latency);
      co_await timer.async_wait(use_tuple);
    }
    if (!h.response) break;  // drop fault: close without a response
    stream.expires_after(idle_timeout);
    auto wec = co_await write_response(stream, std::move(*h.response), version, keep_alive);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace pw::sandbox
