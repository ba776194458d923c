#include "edge/edge.hpp"

#include "products/custom_hostnames.hpp"
#include "products/workers.hpp"
#include "products/workers_route_match.hpp"
#include "workerd_config.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <pipewright/util/text.hpp>
#include <sstream>
#include <thread>

#ifndef PW_BUILD_TREE_WORKERD
#define PW_BUILD_TREE_WORKERD ""
#endif

namespace pw::sandbox {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

std::optional<std::filesystem::path> find_workerd() {
  auto executable = [](const std::filesystem::path& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; };
  if (const char* env = std::getenv("PIPEWRIGHT_WORKERD"); env && *env) {
    if (executable(env)) return std::filesystem::path(env);
    return std::nullopt;
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && executable(std::filesystem::path(dir) / "workerd")) return std::filesystem::path(dir) / "workerd";
  }
  if (executable(PW_BUILD_TREE_WORKERD)) return std::filesystem::path(PW_BUILD_TREE_WORKERD);
  return std::nullopt;
}

std::string workerd_missing_message() {
  return "--edge needs workerd, Cloudflare's Workers runtime: set PIPEWRIGHT_WORKERD to its path, put it on PATH "
         "(npm install workerd), or run ./dev build, which installs it into the build tree";
}

namespace {

// One workerd process serving one deployed version of one script.
struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string version;
  std::filesystem::path dir;
};

void kill_child(Child& c) {
  if (c.pid <= 0) return;
  ::kill(c.pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(c.pid, nullptr, WNOHANG) == c.pid) {
      c.pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(c.pid, SIGKILL);
  ::waitpid(c.pid, nullptr, 0);
  c.pid = -1;
}

std::string tail_of(const std::filesystem::path& file, std::size_t max = 600) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max) s = "…" + s.substr(s.size() - max);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// What a request resolves to, decided on the state strand.
struct Target {
  unsigned status = 0;  // non-zero: answer this without a Worker
  std::string message;
  std::uint16_t port = 0;
  std::string script;
  json::object host_metadata;
  std::filesystem::path log;
};

}  // namespace

struct Edge::Impl {
  State& state;
  Strand strand;
  std::filesystem::path workerd, work_dir;
  std::uint16_t api_port;
  std::optional<tcp::acceptor> acceptor;
  std::string host;
  std::map<std::string, Child> children;  // by account/script; state strand only

  Impl(State& s, Strand st, std::filesystem::path w, std::filesystem::path d, std::uint16_t p)
      : state(s), strand(std::move(st)), workerd(std::move(w)), work_dir(std::move(d)), api_port(p) {}

  Target resolve(const std::string& host_header, const std::string& path);
  // Arguments by value: a coroutine must not refer to a caller's temporaries.
  asio::awaitable<Target> resolve_on_strand(std::string host, std::string path) { co_return resolve(host, path); }
  Child& child_for(const std::string& account, const std::string& script, const DeployedWorker& w);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(tcp::socket socket);
  asio::awaitable<http::response<http::string_body>> forward(http::request<http::string_body> req, Target t);
};

Target Edge::Impl::resolve(const std::string& host_header, const std::string& path) {
  Target t;
  std::string host = util::lower(host_header);
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
    host.erase(colon);
  if (!host.empty() && host.back() == '.') host.pop_back();
  // Zones that see this host: an active custom hostname's zone first, then
  // the zones whose name the host is in (longest first).
  std::vector<std::string> zones;
  if (auto ch = active_custom_hostname(state, host)) {
    zones.push_back(ch->zone_id);
    t.host_metadata = ch->custom_metadata;
  }
  for (auto s = state.db.query("SELECT id, name FROM zones ORDER BY length(name) DESC"); s.step();) {
    const std::string name = s.text(1);
    if (host == name || (host.size() > name.size() && host.ends_with("." + name))) zones.push_back(s.text(0));
  }
  for (const auto& zone : zones) {
    std::vector<WorkersRoute> routes;
    for (auto s = state.db.query("SELECT pattern, script FROM workers_routes WHERE zone_id=?1", zone); s.step();)
      routes.push_back({s.text(0), s.optional_text(1)});
    auto i = match_workers_route(routes, host, path);
    if (!i) continue;
    if (!routes[*i].script) break;  // a route without a Worker: no Worker runs
    auto account = state.db.query("SELECT account_id FROM zones WHERE id=?1", zone);
    if (!account.step()) break;
    const std::string account_id = account.text(0);
    t.script = *routes[*i].script;
    auto worker = deployed_worker(state, account_id, t.script);
    if (!worker) {
      t.status = 404;
      t.message = "The route " + routes[*i].pattern + " names the Worker '" + t.script + "', which is not deployed.\n";
      return t;
    }
    if (!worker->es_modules) {
      t.status = 501;
      t.message = "The Worker '" + t.script + "' is a service-worker script; the local edge runs ES-module Workers.\n";
      return t;
    }
    try {
      Child& c = child_for(account_id, t.script, *worker);
      t.port = c.port;
      t.log = c.dir / "workerd.log";
    } catch (const std::exception& e) {
      t.status = 502;
      t.message = std::string("The edge could not start workerd: ") + e.what() + "\n";
    }
    return t;
  }
  t.status = 404;
  t.message = "No Worker route of the sandbox serves " + host + ".\n";
  return t;
}

Child& Edge::Impl::child_for(const std::string& account, const std::string& script, const DeployedWorker& w) {
  const std::string key = account + "/" + script;
  Child& c = children[key];
  // A child that exited is reaped here, so its pid is never signalled again.
  if (c.pid > 0 && ::waitpid(c.pid, nullptr, WNOHANG) == c.pid) c.pid = -1;
  if (c.pid > 0 && c.version == w.version_id) return c;
  kill_child(c);
  c.version = w.version_id;
  c.dir = work_dir / (script + "-" + w.version_id);
  std::filesystem::remove_all(c.dir);
  std::filesystem::create_directories(c.dir);
  std::filesystem::permissions(c.dir, std::filesystem::perms::owner_all);
  for (const auto& skipped : write_workerd_config(c.dir, w, account, api_port))
    std::cerr << "pipewright sandbox: edge: Worker '" << script << "' binding " << skipped
              << " is not emulated; the Worker does not see it\n";
  // The socket is bound here and handed over: connections queue in its
  // backlog until workerd accepts, and fail once it has exited.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot bind a loopback socket for workerd");
  }
  c.port = ntohs(addr.sin_port);
  const std::string bin = workerd.string(), config = (c.dir / "config.capnp").string(),
                    log = (c.dir / "workerd.log").string();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::dup2(fd, 3);
    ::close_range(4, ~0U, 0);
    ::execl(bin.c_str(), bin.c_str(), "serve", config.c_str(), "--socket-fd", "http=3", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) throw std::runtime_error("cannot start workerd");
  c.pid = pid;
  return c;
}

asio::awaitable<http::response<http::string_body>> Edge::Impl::forward(http::request<http::string_body> req, Target t) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream upstream(executor);
  upstream.expires_after(std::chrono::seconds(30));
  http::response<http::string_body> res;
  try {
    co_await upstream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), t.port), asio::use_awaitable);
    json::object cf;
    if (!t.host_metadata.empty()) cf["hostMetadata"] = t.host_metadata;
    req.set("cf-blob", json::serialize(cf));
    req.keep_alive(false);
    co_await http::async_write(upstream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(512ull << 20);
    parser.skip(req.method() == http::verb::head);
    co_await http::async_read(upstream, buffer, parser, asio::use_awaitable);
    res = parser.release();
  } catch (const std::exception&) {
    res = {};
    res.result(http::status::bad_gateway);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "The Worker '" + t.script + "' did not answer; workerd said:\n" + tail_of(t.log) + "\n";
  }
  co_return res;
}

asio::awaitable<void> Edge::Impl::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64ull << 20);
      stream.expires_after(std::chrono::seconds(60));
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
      auto req = parser.release();
      const bool keep_alive = req.keep_alive();
      const bool head = req.method() == http::verb::head;
      std::string target(req.target());
      std::string path = target.substr(0, target.find('?'));
      if (path.empty()) path = "/";
      const std::string host(req[http::field::host]);
      Target t = co_await asio::co_spawn(strand, resolve_on_strand(host, path), asio::use_awaitable);
      http::response<http::string_body> res;
      if (t.status) {
        res.result(t.status);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = t.message;
        res.prepare_payload();
      } else {
        res = co_await forward(std::move(req), t);
        if (!head) res.prepare_payload();
      }
      res.keep_alive(keep_alive);
      stream.expires_after(std::chrono::seconds(60));
      if (head) {
        http::response_serializer<http::string_body> sr(res);
        sr.split(true);
        co_await http::async_write_header(stream, sr, asio::use_awaitable);
      } else {
        co_await http::async_write(stream, res, asio::use_awaitable);
      }
      if (!keep_alive) break;
    }
  } catch (const std::exception&) {
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> Edge::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor->get_executor(), serve(std::move(socket)), asio::detached);
  }
}

Edge::Edge(State& state, Strand strand, std::filesystem::path workerd, std::filesystem::path work_dir,
           std::uint16_t api_port)
    : impl_(std::make_unique<Impl>(state, std::move(strand), std::move(workerd), std::move(work_dir), api_port)) {}

Edge::~Edge() { stop(); }

void Edge::bind(asio::io_context& ioc, const std::string& address_port) {
  const auto colon = address_port.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--edge wants ADDRESS:PORT, e.g. 127.0.0.1:8788");
  std::string address = address_port.substr(0, colon);
  if (address.size() > 1 && address.front() == '[') address = address.substr(1, address.size() - 2);
  const std::string port = address_port.substr(colon + 1);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec || port.empty() || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    throw std::runtime_error("--edge wants ADDRESS:PORT, e.g. 127.0.0.1:8788; got '" + address_port + "'");
  impl_->acceptor.emplace(ioc);
  tcp::endpoint ep(ip, static_cast<std::uint16_t>(std::stoul(port)));
  impl_->acceptor->open(ep.protocol());
  impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor->bind(ep, ec);
  if (ec) throw std::runtime_error("cannot listen on " + address_port + " for the edge: " + ec.message());
  impl_->acceptor->listen();
  impl_->host = address == "0.0.0.0" ? "127.0.0.1" : address == "::" ? "[::1]" : ip.is_v6() ? "[" + address + "]" : address;
  std::filesystem::create_directories(impl_->work_dir);
}

void Edge::start() { asio::co_spawn(impl_->acceptor->get_executor(), impl_->accept_loop(), asio::detached); }

void Edge::stop() {
  if (!impl_) return;
  boost::system::error_code ec;
  if (impl_->acceptor) impl_->acceptor->close(ec);
  for (auto& [key, child] : impl_->children) kill_child(child);
  impl_->children.clear();
}

std::uint16_t Edge::port() const { return impl_->acceptor ? impl_->acceptor->local_endpoint().port() : 0; }

std::string Edge::url() const { return "http://" + impl_->host + ":" + std::to_string(port()); }

}  // namespace pw::sandbox
