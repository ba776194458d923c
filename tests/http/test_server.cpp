#include "test_server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <limits>
#include <thread>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 false positive on Asio frames
#endif

namespace pw::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

struct TestServer::Impl {
  Handler handler;
  std::optional<asio::ssl::context> tls;  // outlives the io_context's sessions
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::atomic<std::size_t> connections{0}, requests{0}, in_flight{0}, max_in_flight{0};
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> received;
  std::thread thread;

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_result);
      if (ec) co_return;
      const std::size_t number = ++requests;
      const std::size_t now_in_flight = ++in_flight;
      std::size_t seen = max_in_flight;
      while (now_in_flight > seen && !max_in_flight.compare_exchange_weak(seen, now_in_flight)) {
      }
      auto message = parser.release();
      ReceivedRequest request{std::string(message.method_string()),
                              std::string(message.target()),
                              {},
                              std::move(message.body())};
      for (const auto& field : message)
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      {
        std::lock_guard lock(mutex);
        received.push_back(request);
      }
      Reply reply = handler(request, number);
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(io, reply.delay);
        co_await timer.async_wait(as_result);
      }
      if (reply.drop) {
        --in_flight;
        co_return;
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status), 11};
      for (const auto& [name, value] : reply.headers) response.insert(name, value);
      response.body() = reply.body;
      response.keep_alive(true);
      response.prepare_payload();
      auto [wec, written] = co_await bhttp::async_write(stream, response, as_result);
      --in_flight;
      if (wec || reply.close_after) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    if (!tls) {
      co_await serve(socket);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, as_result);
    if (!ec) co_await serve(stream);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(as_result);
      if (ec) co_return;
      ++connections;
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

TestServer::TestServer(Handler handler, std::optional<TestCertificate> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (tls) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(tls->cert_pem));
    impl_->tls->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
  }
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestServer::~TestServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t TestServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestServer::url(const std::string& path, const std::string& host) const {
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port()) +
         path;
}

std::size_t TestServer::connections() const { return impl_->connections; }
std::size_t TestServer::requests() const { return impl_->requests; }
std::size_t TestServer::max_in_flight() const { return impl_->max_in_flight; }

std::vector<ReceivedRequest> TestServer::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

}  // namespace pw::test
