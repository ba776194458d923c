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
#include <array>
#include <filesystem>
#include <limits>

#include "wire/envelope.hpp"

namespace pw::sandbox {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

using std::chrono::milliseconds;

// After a refusal the server stops sending and reads what the client still
// sends for at most this long: closing with unread bytes resets the
// connection, which can destroy the answer before the client reads it.
constexpr auto linger_time = std::chrono::seconds(2);

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

// Writes `message` piece by piece, each piece within `send_timeout`: a large
// download to a slow reader may take long, a client that stopped reading not.
// `header_only`: the answer to HEAD, whose fields (Content-Length too) are
// those GET would send, without the body.
template <class Message>
awaitable<beast::error_code> write_message(beast::tcp_stream& stream, Message& message,
                                           milliseconds send_timeout, bool header_only = false) {
  http::serializer<Message::is_request::value, typename Message::body_type> serializer(message);
  if (header_only) {
    stream.expires_after(send_timeout);
    auto [ec, n] = co_await http::async_write_header(stream, serializer, use_tuple);
    co_return ec;
  }
  do {
    stream.expires_after(send_timeout);
    auto [ec, n] = co_await http::async_write_some(stream, serializer, use_tuple);
    if (ec) co_return ec;
  } while (!serializer.is_done());
  co_return beast::error_code{};
}

awaitable<beast::error_code> write_response(beast::tcp_stream& stream, Response r, unsigned version,
                                            bool keep_alive, milliseconds send_timeout,
                                            bool header_only = false) {
  if (r.file) {
    http::response<http::file_body> res{static_cast<http::status>(r.status), version};
    apply(res, r, keep_alive);
    res.body() = std::move(*r.file);
    res.prepare_payload();
    co_return co_await write_message(stream, res, send_timeout, header_only);
  }
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  apply(res, r, keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  co_return co_await write_message(stream, res, send_timeout, header_only);
}

// Reads the rest of a body, each read within `body_timeout` (a body that
// stalls is given up; one that keeps coming may take as long as it needs).
template <class Parser>
awaitable<beast::error_code> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       Parser& parser, milliseconds body_timeout) {
  while (!parser.is_done()) {
    stream.expires_after(body_timeout);
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    if (ec) co_return ec;
  }
  co_return beast::error_code{};
}

// The answer to a request the parser refused, or nothing when there is no
// one to answer (the client closed, reset, or timed out).
std::optional<Response> refusal_for(const beast::error_code& ec, const ConnectionLimits& limits) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category())
    return std::nullopt;
  switch (static_cast<http::error>(ec.value())) {
    case http::error::header_limit:
      return fail(431, 10001,
                  "Request header fields too large: the request line and headers may take " +
                      std::to_string(limits.max_header_bytes) + " bytes");
    case http::error::body_limit:
      return fail(413, 10001, "Request body is too large");
    case http::error::bad_line_ending:
    case http::error::bad_method:
    case http::error::bad_target:
    case http::error::bad_version:
    case http::error::bad_field:
    case http::error::bad_value:
    case http::error::bad_content_length:
    case http::error::bad_transfer_encoding:
    case http::error::bad_chunk:
    case http::error::bad_chunk_extension:
    case http::error::bad_obs_fold:
    case http::error::multiple_content_length:
      return fail(400, 10001, "Malformed HTTP request (" + ec.message() + ")");
    default:
      return std::nullopt;  // end of stream, partial message: the client went away
  }
}

// Sends `r` with Connection: close, then lingers (see linger_time). The
// caller closes the socket.
awaitable<void> answer_and_linger(beast::tcp_stream& stream, Response r, unsigned version,
                                  milliseconds send_timeout) {
  if (co_await write_response(stream, std::move(r), version, false, send_timeout)) co_return;
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.expires_after(linger_time);
  std::array<char, 16 * 1024> discard;
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard), use_tuple);
    if (ec) co_return;  // the client closed, or linger_time is up
  }
}

void close(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace

// `slot` is never read: the coroutine frame keeps it until the connection ends.
awaitable<void> serve_connection(asio::ip::tcp::socket socket, ConnectionDeps deps,
                                 [[maybe_unused]] ConnectionSlots::Slot slot) {
  const ConnectionLimits& limits = deps.limits;
  std::string peer = peer_address(socket);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  // Beast reads at most the buffer's free capacity, 512 bytes when it
  // starts empty: a 10 KB PUT took twenty reads and twenty file writes.
  buffer.reserve(64 * 1024);
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0) {
      // Between requests a client may wait idle_timeout; once the next one
      // starts, its head gets header_timeout like the first.
      stream.expires_after(limits.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(buffer.capacity()), use_tuple);
      if (ec) break;
      buffer.commit(n);
    }
    stream.expires_after(limits.header_timeout);
    http::request_parser<http::empty_body> head;
    head.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // The route's own limit applies once the body is read (below); the
    // parser's default of 1 MB would refuse a larger Content-Length while
    // reading the head, closing the connection on any bigger object PUT.
    head.body_limit(boost::none);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, head, use_tuple);
    if (ec) {
      // Not HTTP, or too much of it: the version is unknown, so answer 1.1.
      if (auto refusal = refusal_for(ec, limits))
        co_await answer_and_linger(stream, std::move(*refusal), 11, limits.send_timeout);
      break;
    }

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
      co_await answer_and_linger(stream, *refusal_for(http::error::body_limit, limits), version,
                                 limits.send_timeout);
      break;
    }

    if (beast::iequals(head.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, version};
      if (co_await write_message(stream, cont, limits.send_timeout)) break;
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
        co_await write_response(stream, internal_error(), version, false, limits.send_timeout);
        break;
      }
      req.body_file = temp;
      read_ec = co_await read_body(stream, buffer, parser, limits.body_timeout);
      parser.get().body().close();
      if (!chunked) req.headers = std::move(static_cast<http::fields&>(parser.get()));
    } else {
      http::request_parser<http::string_body> parser(std::move(head));
      parser.body_limit(opts.body_limit);
      read_ec = co_await read_body(stream, buffer, parser, limits.body_timeout);
      if (!chunked) req.headers = std::move(static_cast<http::fields&>(parser.get()));
      req.body = std::move(parser.get().body());
    }
    if (read_ec) {
      if (req.body_file) std::filesystem::remove(*req.body_file, ec);
      if (auto refusal = refusal_for(read_ec, limits))
        co_await answer_and_linger(stream, std::move(*refusal), version, limits.send_timeout);
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
    auto wec = co_await write_response(stream, std::move(*h.response), version, keep_alive,
                                       limits.send_timeout, req.method == "HEAD");
    if (wec || !keep_alive) break;
  }
  close(stream);
}

awaitable<void> refuse_connection(asio::ip::tcp::socket socket, ConnectionLimits limits,
                                  [[maybe_unused]] ConnectionSlots::Slot slot) {
  beast::tcp_stream stream(std::move(socket));
  Response busy = fail(503, 10003, "Service unavailable: too many open connections; retry shortly");
  busy.header("Retry-After", "1");
  co_await answer_and_linger(stream, std::move(busy), 11, limits.send_timeout);
  close(stream);
}

}  // namespace pw::sandbox
