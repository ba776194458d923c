#include "server/listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include "connection.hpp"
#include "connection_slots.hpp"

namespace pw::sandbox {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A refusal over the connection cap ends within send_timeout plus its 2 s
// of lingering; past this many at once, connections are closed unanswered.
constexpr std::size_t max_refusals_in_flight = 64;

void report_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::cerr << "pipewright sandbox: connection failed: " << x.what() << "\n";
  }
}

}  // namespace

struct Listener::Impl {
  Impl(const Options& o, std::uint16_t port)
      : listen_address(o.listen_address),
        requested_port(port),
        threads(o.threads),
        limits{o.header_timeout, o.idle_timeout, o.body_timeout, o.send_timeout,
               o.max_header_bytes},
        connections(o.max_connections),
        refusals(max_refusals_in_flight) {}

  std::string listen_address;
  std::uint16_t requested_port;
  std::size_t threads;
  ConnectionLimits limits;
  ConnectionSlots connections;
  ConnectionSlots refusals;
  std::uint16_t port = 0;
  asio::io_context* ioc = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  Dispatcher* dispatcher = nullptr;
  const ObjectStore* objects = nullptr;
  std::optional<asio::strand<asio::io_context::executor_type>> state_strand;

  asio::awaitable<void> accept_loop();
};

asio::awaitable<void> Listener::Impl::accept_loop() {
  for (;;) {
    // One thread needs no per-connection strand; its locking and executor
    // copies were a tenth of a request's cost.
    asio::any_io_executor connection_executor =
        threads <= 1 ? asio::any_io_executor(ioc->get_executor())
                     : asio::any_io_executor(asio::make_strand(*ioc));
    auto [ec, socket] =
        co_await acceptor->async_accept(connection_executor, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (!acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of descriptors, say: the connection stays queued and accept
      // would fail again at once, so pause instead of spinning.
      asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // Responses go out as header then body; without this each one can wait
    // for the client's delayed ACK.
    boost::system::error_code nodelay_ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), nodelay_ignored);
    auto ex = socket.get_executor();
    if (auto slot = connections.try_take()) {
      asio::co_spawn(ex,
                     serve_connection(std::move(socket),
                                      ConnectionDeps{*dispatcher, *objects, *state_strand, limits},
                                      std::move(*slot)),
                     report_failure);
    } else if (auto refusal = refusals.try_take()) {
      asio::co_spawn(ex, refuse_connection(std::move(socket), limits, std::move(*refusal)),
                     report_failure);
    } else {
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  }
}

Listener::Listener(const Options& options, std::uint16_t port)
    : impl_(std::make_unique<Impl>(options, port)) {}

Listener::~Listener() = default;

void Listener::bind(asio::io_context& ioc) {
  impl_->ioc = &ioc;
  boost::system::error_code ec;
  std::string host = impl_->listen_address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("invalid listen address \"" + impl_->listen_address + "\"");
  tcp::endpoint ep(address, impl_->requested_port);
  impl_->acceptor = std::make_unique<tcp::acceptor>(ioc);
  auto& acceptor = *impl_->acceptor;
  auto where = impl_->listen_address + ":" + std::to_string(impl_->requested_port);
  if (acceptor.open(ep.protocol(), ec); ec)
    throw std::runtime_error("cannot open a socket: " + ec.message());
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(ep, ec); ec)
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                             " (choose another port with --listen or --s3-port, or 0 for a free one)");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  impl_->port = acceptor.local_endpoint().port();
}

void Listener::accept(Dispatcher& dispatcher, const ObjectStore& objects,
                      asio::strand<asio::io_context::executor_type> state_strand) {
  impl_->dispatcher = &dispatcher;
  impl_->objects = &objects;
  impl_->state_strand.emplace(std::move(state_strand));
  asio::co_spawn(*impl_->ioc, impl_->accept_loop(), [](std::exception_ptr e) {
    if (e) std::cerr << "pipewright sandbox: accept loop stopped unexpectedly\n";
  });
}

void Listener::stop_accepting() {
  if (!impl_->acceptor) return;
  asio::post(impl_->acceptor->get_executor(), [a = impl_->acceptor.get()] {
    boost::system::error_code ec;
    a->close(ec);
  });
}

void Listener::close() {
  impl_->acceptor.reset();
  // A strand unlinks itself from its io_context's service when destroyed:
  // it must go before the io_context does.
  impl_->state_strand.reset();
  impl_->dispatcher = nullptr;
  impl_->objects = nullptr;
  impl_->ioc = nullptr;
}

std::uint16_t Listener::port() const { return impl_->port; }

std::size_t Listener::open_connections() const { return impl_->connections.taken(); }

}  // namespace pw::sandbox
