// A plain HTTP/1.1 client and a fixture for driving the sandbox over real
// sockets in tests. Header-only; shared by tests/sandbox and
// tests/sandbox_products.
//
//   SandboxFixture f;                                  // server on 127.0.0.1:0, in-memory state
//   auto r = f.client.get("/zones", f.global());       // "/client/v4" is prepended
//   BOOST_TEST(r.status == 200);  BOOST_TEST(r.result().as_array().size() == 1u);
//   auto t = f.make_token({policy({"Zone Read"}, zone_key(f.id().zone_id))});
//   f.client.get("/zones/" + f.id().zone_id, bearer(t.value));
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <pipewright/sandbox.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace pw::sandbox::test {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  unsigned status = 0;
  boost::beast::http::fields headers;
  std::string body;
  json::value json;  // null when the body is not JSON

  std::string header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : std::string(it->value());
  }
  bool success() const {
    return json.is_object() && json.as_object().contains("success") && json.at("success").as_bool();
  }
  const json::value& result() const { return json.at("result"); }
  const json::array& errors() const { return json.at("errors").as_array(); }
  // errors[i].code, or -1 when absent.
  std::int64_t error_code(std::size_t i = 0) const {
    if (!json.is_object() || !json.as_object().contains("errors") || errors().size() <= i)
      return -1;
    return errors()[i].at("code").to_number<std::int64_t>();
  }
  std::string error_message(std::size_t i = 0) const {
    return std::string(errors().at(i).at("message").as_string());
  }
};

// One keep-alive connection, reopened when the server closed it. A dropped
// connection (injected fault) surfaces as boost::system::system_error.
class TestClient {
 public:
  TestClient() = default;
  TestClient(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

  // Paths starting with "/client/" or "/__sandbox/" are sent as given;
  // anything else gets "/client/v4" prepended.
  HttpResponse request(std::string method, const std::string& path, const Headers& headers = {},
                       std::optional<std::string> body = std::nullopt) {
    namespace http = boost::beast::http;
    if (!socket_.is_open()) connect();
    std::string target = path.rfind("/client/", 0) == 0 || path.rfind("/__sandbox/", 0) == 0
                             ? path
                             : "/client/v4" + path;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    if (req.method() == http::verb::unknown) req.method_string(method);
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    req.set(http::field::user_agent, "pipewright-test");
    for (const auto& [k, v] : headers) req.insert(k, v);
    if (body) {
      req.body() = std::move(*body);
      req.prepare_payload();
    }
    HttpResponse out;
    try {
      http::write(socket_, req);
      boost::beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      http::read(socket_, buffer, parser);
      auto res = parser.release();
      out.status = res.result_int();
      for (const auto& f : res) out.headers.insert(f.name_string(), f.value());
      out.body = std::move(res.body());
      if (!res.keep_alive()) close();
    } catch (...) {
      close();
      throw;
    }
    boost::system::error_code ec;
    out.json = json::parse(out.body, ec);
    if (ec) out.json = nullptr;
    return out;
  }

  HttpResponse get(const std::string& path, const Headers& h = {}) {
    return request("GET", path, h);
  }
  HttpResponse del(const std::string& path, const Headers& h = {}) {
    return request("DELETE", path, h);
  }
  HttpResponse post(const std::string& path, std::string body, const Headers& h = {}) {
    return request("POST", path, with_json(h), std::move(body));
  }
  HttpResponse put(const std::string& path, std::string body, const Headers& h = {}) {
    return request("PUT", path, with_json(h), std::move(body));
  }
  HttpResponse patch(const std::string& path, std::string body, const Headers& h = {}) {
    return request("PATCH", path, with_json(h), std::move(body));
  }
  HttpResponse post(const std::string& path, const json::value& body, const Headers& h = {}) {
    return post(path, json::serialize(body), h);
  }
  HttpResponse put(const std::string& path, const json::value& body, const Headers& h = {}) {
    return put(path, json::serialize(body), h);
  }

  // Opens the connection now rather than on the first request (throws when
  // the server does not accept it).
  void connect() {
    boost::asio::ip::tcp::resolver resolver(ioc_);
    boost::asio::connect(socket_, resolver.resolve(host_, std::to_string(port_)));
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  // Adds Content-Type: application/json unless the caller set a Content-Type.
  static Headers with_json(Headers h) {
    for (const auto& [k, v] : h)
      if (boost::beast::iequals(k, "content-type")) return h;
    h.emplace_back("Content-Type", "application/json");
    return h;
  }
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_{ioc_};
};

inline Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// Resource keys (docs/cloudflare-api.md 3.3).
inline std::string account_key(const std::string& id) { return "com.cloudflare.api.account." + id; }
inline std::string zone_key(const std::string& id) {
  return "com.cloudflare.api.account.zone." + id;
}
inline std::string user_key(const std::string& id) { return "com.cloudflare.api.user." + id; }
inline std::string bucket_key(const std::string& account, const std::string& jurisdiction,
                              const std::string& name) {
  return "com.cloudflare.edge.r2.bucket." + account + "_" + jurisdiction + "_" + name;
}

// A policy granting groups (by name; only the /__sandbox/tokens hook
// resolves names) on one resource key, or on a nested resources object.
inline json::object policy(const std::vector<std::string>& group_names, const std::string& key,
                           const std::string& effect = "allow") {
  json::array groups;
  for (const auto& n : group_names) groups.push_back(json::object{{"name", n}});
  return json::object{
      {"effect", effect}, {"resources", json::object{{key, "*"}}}, {"permission_groups", groups}};
}
inline json::object policy(const std::vector<std::string>& group_names, json::object resources,
                           const std::string& effect = "allow") {
  json::array groups;
  for (const auto& n : group_names) groups.push_back(json::object{{"name", n}});
  return json::object{
      {"effect", effect}, {"resources", std::move(resources)}, {"permission_groups", groups}};
}

// A private directory removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("pw-sandbox-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CreatedToken {
  std::string id;
  std::string value;
};

// Sends `raw` bytes as they are on a new connection and reads one response:
// for requests the Beast-built client cannot make (trailers, a head whose
// body is never sent).
inline boost::beast::http::response<boost::beast::http::string_body> raw_exchange(std::uint16_t port,
                                                                                  const std::string& raw) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(raw));
  boost::beast::flat_buffer buffer;
  boost::beast::http::response<boost::beast::http::string_body> res;
  boost::beast::http::read(socket, buffer, res);
  return res;
}

// Polls `condition` every 20 ms until it holds or `within` has passed: for
// what the server does in its own time (closing, counting, cleaning up).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < give_up) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// One raw connection for clients that misbehave: every wait has a deadline,
// so a server that fails to act makes the test fail, not hang.
//
//   RawConnection c(port);
//   c.send("GET /client/v4/zones HTTP/1.1\r\n");        // half a head
//   BOOST_TEST(c.wait_for_close(10s).closed);
class RawConnection {
 public:
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  struct Ending {
    bool closed = false;  // EOF or reset; false when `within` ran out first
    std::string bytes;    // what arrived before
  };

  explicit RawConnection(std::uint16_t port) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  // False when the server has closed (or reset) the connection.
  bool send(std::string_view bytes, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    return !run([&](auto done) { boost::asio::async_write(socket_, boost::asio::buffer(bytes), done); },
                within);
  }
  void shut_down_sending() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
  // Closes so that the server sees a reset, not an orderly close.
  void reset() {
    boost::system::error_code ec;
    socket_.set_option(boost::asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }

  // One response; nothing when the connection ends (or `within` runs out) first.
  std::optional<Response> read_response(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(1ull << 30);
    if (run([&](auto done) { boost::beast::http::async_read(socket_, buffer_, parser, done); }, within))
      return std::nullopt;
    return parser.release();
  }
  // What one read brings (empty when the connection ended or `within` ran out).
  std::string read_some(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    return read_chunk(within).second;
  }
  // Reads until the server closes the connection or `within` runs out.
  Ending wait_for_close(std::chrono::milliseconds within) {
    Ending out;
    out.bytes.assign(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    const auto give_up = std::chrono::steady_clock::now() + within;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      auto [ec, bytes] = read_chunk(left);
      out.bytes += bytes;
      if (ec == boost::asio::error::timed_out) return out;
      if (ec) {
        out.closed = true;
        return out;
      }
    }
  }

 private:
  // Starts an operation with a completion handler and runs it for at most
  // `within`; its error, or timed_out (the operation is then cancelled).
  template <class Start>
  boost::system::error_code run(Start start, std::chrono::milliseconds within) {
    boost::system::error_code result;
    bool finished = false;
    io_.restart();
    start([&](boost::system::error_code ec, std::size_t) {
      result = ec;
      finished = true;
    });
    io_.run_for(within);
    if (finished) return result;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return boost::asio::error::timed_out;
  }

  std::pair<boost::system::error_code, std::string> read_chunk(std::chrono::milliseconds within) {
    std::array<char, 16 * 1024> chunk;
    std::size_t got = 0;
    auto ec = run([&](auto done) {
      socket_.async_read_some(boost::asio::buffer(chunk), [&got, done](boost::system::error_code e, std::size_t n) {
        got = n;
        done(e, n);
      });
    }, within);
    return {ec, std::string(chunk.data(), got)};
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

// A started server (in-memory unless options say otherwise) and a client.
struct SandboxFixture {
  SandboxFixture() : SandboxFixture(Options{}) {}
  explicit SandboxFixture(Options options)
      : server(std::move(options)), client("127.0.0.1", start()) {}

  const Identity& id() const { return server.identity(); }
  Headers global() const { return {{"X-Auth-Email", id().email}, {"X-Auth-Key", id().global_key}}; }

  // Creates a token through POST /__sandbox/tokens. `policies` items may name
  // groups by "name"; `extra` adds fields (expires_on, not_before, condition,
  // status, account_id for an account-owned token).
  CreatedToken make_token(json::array policies, json::object extra = {}) {
    extra["policies"] = std::move(policies);
    auto r = client.post("/__sandbox/tokens", json::value(extra));
    if (r.status != 200) throw std::runtime_error("make_token failed: " + r.body);
    return {std::string(r.result().at("id").as_string()),
            std::string(r.result().at("value").as_string())};
  }

  Server server;
  TestClient client;

 private:
  std::uint16_t start() {
    server.start();
    return server.port();
  }
};

// A sandbox seeded with a second user (own global key) owning its own
// account and zone, which the demo user cannot reach.
struct TwoTenants {
  static constexpr const char* other_user = "0123456789abcdef0123456789abcdef";
  static constexpr const char* other_key = "0123456789abcdef0123456789abcdef01234";  // 37 hex
  static constexpr const char* other_email = "other@pipewright.dev";
  static constexpr const char* other_account = "fedcba9876543210fedcba9876543210";
  static constexpr const char* other_zone = "00112233445566778899aabbccddeeff";
  static constexpr const char* other_zone_name = "other-tenant.net";

  TempDir dir;
  std::optional<SandboxFixture> f;
  TwoTenants() {
    auto seed = dir.path() / "seed.json";
    std::ofstream(seed) << json::serialize(json::object{
        {"users", json::array{json::object{{"id", other_user}, {"email", other_email}, {"global_key", other_key}}}},
        {"accounts", json::array{json::object{{"id", other_account}, {"name", "Other"}, {"member", other_user}}}},
        {"zones", json::array{json::object{{"id", other_zone}, {"name", other_zone_name}, {"account_id", other_account}}}}});
    Options o;
    o.seed_file = seed;
    o.hostname_activation_delay = std::chrono::milliseconds{0};
    f.emplace(o);
  }
  Headers other() const { return {{"X-Auth-Email", other_email}, {"X-Auth-Key", other_key}}; }
};

}  // namespace pw::sandbox::test
