// Server, the rooms assembled: the product modules and the test hooks on
// the server room's router and dispatcher. Owns the io_context and its
// threads, the state strand, the state and the router. Lifetime rule:
// threads are joined and the io_context (with every suspended connection)
// destroyed before the state goes away.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <pipewright/sandbox.hpp>
#include <stdexcept>
#include <thread>

#include <stdlib.h>

#include "edge/edge.hpp"
#include "hooks/hooks.hpp"
#include "iam/identity_store.hpp"
#include "state_settings.hpp"
#include "products/product_modules.hpp"
#include "server/dispatcher.hpp"
#include "server/endpoint_inventory.hpp"
#include "server/listener.hpp"
#include "server/module.hpp"
#include "server/runtime.hpp"
#include "server/state.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {
namespace asio = boost::asio;

struct Server::Impl {
  explicit Impl(Options o)
      : options(std::move(o)), listener(options, options.port), s3_listener(options, options.s3_port) {}

  Options options;
  // Declared before the io_context: connections give their place back to
  // the listener when the io_context destroys them.
  Listener listener;
  Listener s3_listener;
  Identity identity;
  Router router;
  Router s3_router{""};
  std::unique_ptr<State> state;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Dispatcher> s3_dispatcher;
  std::unique_ptr<asio::io_context> ioc;
  std::optional<asio::strand<asio::io_context::executor_type>> state_strand;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::vector<Module> modules;
  std::unique_ptr<Edge> edge;
  std::optional<std::filesystem::path> edge_temp_dir;  // removed at stop
  bool running = false;

  void open_state();
  void listen();
  // Runs fn on the state strand and waits; direct call when not serving.
  template <class Fn>
  void on_state_strand(Fn fn);
};

void Server::Impl::open_state() {
  if (options.state_dir) std::filesystem::create_directories(*options.state_dir);
  state = std::make_unique<State>(options);
  runtime = std::make_unique<Runtime>(options);
  modules = product_modules();
  modules.push_back(hooks_module());
  install_identity_schema(state->db);
  for (const auto& m : modules) {
    if (m.install_schema) m.install_schema(state->db);
    if (m.add_endpoints) m.add_endpoints(router);
    if (m.activate_custom_hostnames) {
      auto fn = m.activate_custom_hostnames;
      runtime->hostname_activators.emplace_back(fn);
    }
  }
  add_endpoint_inventory(router);
  add_s3_endpoints(s3_router);
  state->identity = identity = seed_identity(state->db, options.seed_file);
  try {
    runtime->faults.set(options.faults);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  dispatcher = std::make_unique<Dispatcher>(router, *state, *runtime);
  s3_dispatcher = std::make_unique<Dispatcher>(s3_router, *state, *runtime, Door::s3);
}

void Server::Impl::listen() {
  ioc = std::make_unique<asio::io_context>(
      static_cast<int>(std::max<std::size_t>(1, options.threads)));
  state_strand.emplace(asio::make_strand(*ioc));
  listener.bind(*ioc);
  s3_listener.bind(*ioc);
  if (options.edge_listen.empty()) return;
  auto workerd = find_workerd();
  if (!workerd) throw std::runtime_error(workerd_missing_message());
  std::filesystem::path dir;
  if (options.state_dir) {
    dir = *options.state_dir / "edge";
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "pipewright-edge-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory for the edge");
    dir = pattern;
    edge_temp_dir = dir;
  }
  edge = std::make_unique<Edge>(*state, *state_strand, *workerd, dir, listener.port());
  edge->bind(*ioc, options.edge_listen);
}

template <class Fn>
void Server::Impl::on_state_strand(Fn fn) {
  if (!running) {
    fn();
    return;
  }
  std::packaged_task<void()> task(std::move(fn));
  auto done = task.get_future();
  asio::dispatch(*state_strand, [&task] { task(); });
  done.get();  // rethrows what fn threw
}

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->running) return;
  try {
    impl_->open_state();
    impl_->listen();
  } catch (...) {
    impl_->edge.reset();
    impl_->listener.close();
    impl_->s3_listener.close();
    // A strand unlinks itself from its io_context's service when destroyed:
    // it must go before the io_context does.
    impl_->state_strand.reset();
    impl_->ioc.reset();
    impl_->dispatcher.reset();
    impl_->s3_dispatcher.reset();
    impl_->runtime.reset();
    impl_->state.reset();
    impl_->router = Router();
    impl_->s3_router = Router("");
    throw;
  }
  impl_->work.emplace(impl_->ioc->get_executor());
  // The first SHA-256 (token lookups) initialises OpenSSL, about a
  // millisecond: done first thing on the I/O thread, while the caller is
  // still starting up, instead of inside the first request.
  asio::post(*impl_->ioc, [] { sha256_hex({}); });
  // Likewise the statements the last session used, on the state strand
  // (the only place the database is used once the server runs).
  asio::post(*impl_->state_strand, [state = impl_->state.get()] { state->db.warm_up(); });
  impl_->listener.accept(*impl_->dispatcher, impl_->state->objects, *impl_->state_strand);
  impl_->s3_listener.accept(*impl_->s3_dispatcher, impl_->state->objects, *impl_->state_strand);
  if (impl_->edge) impl_->edge->start();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->options.threads); ++i)
    impl_->threads.emplace_back([ioc = impl_->ioc.get()] { ioc->run(); });
  impl_->running = true;
  if (impl_->options.state_dir) write_state_settings(*impl_->options.state_dir, client_settings(*this));
}

void Server::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->listener.stop_accepting();
  impl_->s3_listener.stop_accepting();
  impl_->work.reset();
  impl_->ioc->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->edge.reset();  // kills the workerd children
  if (impl_->edge_temp_dir) {
    std::error_code ec;
    std::filesystem::remove_all(*impl_->edge_temp_dir, ec);
    impl_->edge_temp_dir.reset();
  }
  impl_->listener.close();
  impl_->s3_listener.close();
  impl_->state_strand.reset();  // before the io_context it belongs to
  impl_->ioc.reset();           // destroys suspended connections (and their sockets)
  impl_->dispatcher.reset();
  impl_->s3_dispatcher.reset();
  impl_->runtime.reset();
  impl_->state.reset();  // closes SQLite; removes the temp object dir
  impl_->router = Router();
  impl_->s3_router = Router("");
}

std::uint16_t Server::port() const { return impl_->listener.port(); }

std::size_t Server::open_connections() const {
  return impl_->listener.open_connections() + impl_->s3_listener.open_connections();
}

namespace {

// The host part of a URL for a client of this listen address.
std::string client_host(const std::string& a) {
  if (a == "0.0.0.0") return "127.0.0.1";
  if (a == "::") return "[::1]";
  return a.find(':') != std::string::npos && a.front() != '[' ? "[" + a + "]" : a;
}

}  // namespace

std::string Server::base_url() const {
  return "http://" + client_host(impl_->options.listen_address) + ":" +
         std::to_string(impl_->listener.port()) + "/client/v4";
}

std::uint16_t Server::s3_port() const { return impl_->s3_listener.port(); }

std::string Server::r2_s3_endpoint() const {
  return "http://" + client_host(impl_->options.listen_address) + ":" +
         std::to_string(impl_->s3_listener.port());
}

bool workerd_available() { return find_workerd().has_value(); }

std::string Server::edge_url() const { return impl_->edge ? impl_->edge->url() : std::string(); }

const Identity& Server::identity() const { return impl_->identity; }

void Server::set_faults(std::string_view spec) {
  parse_fault_spec(spec);  // throws std::invalid_argument in the caller's thread
  impl_->options.faults = std::string(spec);
  if (impl_->runtime)
    impl_->on_state_strand([this, s = std::string(spec)] { impl_->runtime->faults.set(s); });
}

void Server::activate_custom_hostnames() {
  if (!impl_->runtime) return;
  impl_->on_state_strand([this] {
    for (auto& fn : impl_->runtime->hostname_activators) fn(*impl_->state);
  });
}

}  // namespace pw::sandbox
