// The listening socket: accepts connections and serves each through the
// dispatcher, at most Options::max_connections at once; one over the cap is
// answered 503 and closed. Lifetime rule: close() before the io_context is
// destroyed, and destroy the Listener only after it: the connections the
// io_context destroys give their place back to the Listener.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <pipewright/sandbox.hpp>

#include "server/dispatcher.hpp"
#include "store/object_store.hpp"

namespace pw::sandbox {

class Listener {
 public:
  // Reads the address, the connection cap and the timeouts from `options`;
  // listens on `port` (0: a free one).
  Listener(const Options& options, std::uint16_t port);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens. Throws std::runtime_error saying which address
  // failed and what to do.
  void bind(boost::asio::io_context& ioc);
  // Accepts on the io_context until stop_accepting().
  void accept(Dispatcher& dispatcher, const ObjectStore& objects,
              boost::asio::strand<boost::asio::io_context::executor_type> state_strand);
  // Closes the socket on its own executor; safe while the io_context runs.
  void stop_accepting();
  // Frees the socket: after the io_context stopped, before it is destroyed.
  void close();

  std::uint16_t port() const;
  // Connections being served now (not those refused over the cap).
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pw::sandbox
