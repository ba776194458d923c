// One HTTP/1.1 connection as one coroutine: read a request (streaming the
// body to a file when the route asks), hand it to the dispatcher on the
// state strand, write the answer, repeat while keep-alive.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "dispatcher.hpp"

namespace pw::sandbox {

struct ConnectionDeps {
  Dispatcher& dispatcher;
  const ObjectStore& objects;  // temp paths for streamed bodies (const, thread-safe)
  boost::asio::strand<boost::asio::io_context::executor_type> state_strand;
};

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              ConnectionDeps deps);

}  // namespace pw::sandbox
