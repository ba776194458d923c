// Keep-alive connections, pooled per origin and bounded per origin.
#pragma once

#include "request_target.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

using Strand = asio::strand<asio::io_context::executor_type>;

// What one read from a connection may take at most.
inline constexpr std::size_t read_buffer_size = 64 * 1024;

// One TCP (or TLS) connection to one origin. Every operation on it runs on
// its own strand, whichever request is using it; a request holds it alone
// between take() and give_back().
struct Connection {
  Connection(asio::io_context& io, asio::ssl::context* tls, RequestTarget target);

  beast::tcp_stream& lowest();
  // Stops whatever the connection is doing; later operations fail at once.
  // Call on `strand` only.
  void abort();
  // True if an idle connection can no longer be used: the server closed it
  // or sent something unasked (a TLS close_notify, say). Non-blocking.
  bool closed_while_idle();

  Strand strand;
  RequestTarget target;
  asio::ip::tcp::resolver resolver;
  std::optional<beast::tcp_stream> plain;
  std::optional<asio::ssl::stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;
  bool aborted = false;
  int exchanges = 0;  // completed request/response pairs: > 0 means reused
};

class ConnectionPool {
 public:
  // `tls` gives the client's TLS context; it is asked for only when an
  // https connection is made (creating one costs a couple of milliseconds).
  ConnectionPool(asio::io_context& io, std::function<asio::ssl::context&()> tls,
                 std::size_t max_per_origin);

  // An idle connection to the target's origin, a new unconnected one, or
  // nullptr when the origin is at its limit; then `wake` is called (from any
  // thread) once a slot may have become free, and the caller asks again.
  std::shared_ptr<Connection> take(const RequestTarget& target, std::function<void()> wake);

  // Returns a connection taken with take(). Only a connection that finished
  // a clean exchange with keep-alive may be reused; others are closed.
  void give_back(std::shared_ptr<Connection> connection, bool reusable);

 private:
  struct Origin {
    std::vector<std::shared_ptr<Connection>> idle;
    std::size_t open = 0;  // idle + in use
    std::vector<std::function<void()>> waiters;
  };

  asio::io_context& io_;
  std::function<asio::ssl::context&()> tls_;
  std::size_t max_per_origin_;
  std::mutex mutex_;
  std::map<std::string, Origin> origins_;
};

}  // namespace pw::http
