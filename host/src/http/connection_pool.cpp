#include "connection_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace pw::http {

Connection::Connection(asio::io_context& io, asio::ssl::context* tls, RequestTarget t)
    : strand(asio::make_strand(io)), target(std::move(t)), resolver(strand) {
  if (target.tls)
    secure.emplace(strand, *tls);
  else
    plain.emplace(strand);
  // Beast reads at most the buffer's free capacity (512 bytes when it
  // starts empty, and consuming never grows it): a 250 KB listing took
  // 500 reads, each with its own timer reset.
  buffer.reserve(read_buffer_size);
}

beast::tcp_stream& Connection::lowest() { return secure ? secure->next_layer() : *plain; }

void Connection::abort() {
  aborted = true;
  resolver.cancel();
  beast::error_code ignored;
  lowest().socket().close(ignored);
}

bool Connection::closed_while_idle() {
  auto& socket = lowest().socket();
  if (!connected || !socket.is_open()) return true;
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  return true;  // EOF, an error, or bytes nobody asked for
}

ConnectionPool::ConnectionPool(asio::io_context& io, std::function<asio::ssl::context&()> tls,
                               std::size_t max_per_origin)
    : io_(io), tls_(std::move(tls)), max_per_origin_(max_per_origin == 0 ? 1 : max_per_origin) {}

std::shared_ptr<Connection> ConnectionPool::take(const RequestTarget& target,
                                                 std::function<void()> wake) {
  // Outside the lock: the first https request builds the TLS context (and
  // parses the CA store), which must not stall other origins.
  asio::ssl::context* tls = target.tls ? &tls_() : nullptr;
  std::lock_guard lock(mutex_);
  Origin& origin = origins_[target.origin];
  while (!origin.idle.empty()) {
    auto connection = std::move(origin.idle.back());
    origin.idle.pop_back();
    if (!connection->closed_while_idle()) return connection;
    --origin.open;  // dropped here; its socket closes with the last owner
  }
  if (origin.open < max_per_origin_) {
    ++origin.open;
    return std::make_shared<Connection>(io_, tls, target);
  }
  origin.waiters.push_back(std::move(wake));
  return nullptr;
}

void ConnectionPool::give_back(std::shared_ptr<Connection> connection, bool reusable) {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    Origin& origin = origins_[connection->target.origin];
    if (reusable && connection->connected && !connection->aborted)
      origin.idle.push_back(std::move(connection));
    else
      --origin.open;
    // Wake every waiter: one that gave up meanwhile must not swallow the
    // only wake-up; the others simply ask again.
    waiters.swap(origin.waiters);
  }
  for (auto& wake : waiters) wake();
}

}  // namespace pw::http
