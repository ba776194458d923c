// One attempt: connect if needed, write the request, read the response.
#pragma once

#include "connection_pool.hpp"

#include <pipewright/host/http/http_client.hpp>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

namespace pw::http {

struct ExchangeResult {
  HttpResponse response;  // status, headers and body when one arrived
  std::string error;      // transport error text otherwise
  // The whole request reached the socket, so the server may have acted on
  // it. A request whose write failed was incomplete and cannot have been.
  bool request_written = false;
  // A reused keep-alive connection gave nothing back at all: most likely
  // the server closed it while idle, just as we sent.
  bool stale_connection = false;
  // The server's host answered that nothing listens on the port.
  bool connection_refused = false;
  bool reusable = false;  // connection may go back to the pool
};

struct ExchangeLimits {
  std::chrono::milliseconds connect_timeout;
  std::chrono::steady_clock::time_point deadline;  // whole attempt
  bool verify_tls = true;
};

// Runs on connection.strand. `target` is this request's (the connection
// only knows its origin). `cancelled` is read between steps; in-flight steps
// are stopped by Connection::abort().
asio::awaitable<ExchangeResult> exchange(std::shared_ptr<Connection> connection,
                                         const HttpRequest& request, const RequestTarget& target,
                                         ExchangeLimits limits, const std::atomic<bool>& cancelled);

}  // namespace pw::http
