// One HTTP/1.1 connection as one coroutine: read a request (streaming the
// body to a file when the route asks), hand it to the dispatcher on the
// state strand, write the answer, repeat while keep-alive. Clients that
// stall, send too much or send no HTTP at all are answered (where an
// answer can still be read) and closed; see docs/sandbox.md "Bad clients".
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>

#include "connection_slots.hpp"
#include "server/dispatcher.hpp"

namespace pw::sandbox {

// The Options members of the same names.
struct ConnectionLimits {
  std::chrono::milliseconds header_timeout;
  std::chrono::milliseconds idle_timeout;
  std::chrono::milliseconds body_timeout;
  std::chrono::milliseconds send_timeout;
  std::size_t max_header_bytes;
};

struct ConnectionDeps {
  Dispatcher& dispatcher;
  const ObjectStore& objects;  // temp paths for streamed bodies (const, thread-safe)
  boost::asio::strand<boost::asio::io_context::executor_type> state_strand;
  ConnectionLimits limits;
};

// Serves until the client or a limit ends the connection; holds `slot` until then.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              ConnectionDeps deps, ConnectionSlots::Slot slot);

// A connection over the cap: 503 (code 10003, Retry-After: 1), then closed.
boost::asio::awaitable<void> refuse_connection(boost::asio::ip::tcp::socket socket,
                                               ConnectionLimits limits, ConnectionSlots::Slot slot);

}  // namespace pw::sandbox
