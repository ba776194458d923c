// Raw HTTP/1.1 requests, one after another, through the sandbox's router and
// dispatcher (auth, rate limit, handlers, JSON and multipart bodies) against
// a fresh in-memory state per input. A 500 that no fault injected is a
// handler bug: the dispatcher turns every handler exception into one.
#include "hooks/hooks.hpp"
#include "iam/identity_store.hpp"
#include "products/product_modules.hpp"
#include "products/workers_multipart.hpp"
#include "server/dispatcher.hpp"
#include "server/endpoint_inventory.hpp"
#include "server/module.hpp"
#include "server/runtime.hpp"
#include "server/state.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

namespace http = boost::beast::http;
namespace sb = pw::sandbox;

// Fixed demo identity, so seed requests can name the user, account and zone
// and sign with the global key. Demo values, not secrets.
constexpr std::string_view seed_json = R"({
  "user_id": "0123456789abcdef0123456789abcdef",
  "email": "demo@pipewright.dev",
  "global_key": "0123456789abcdef0123456789abcdef01234",
  "account_id": "1123456789abcdef0123456789abcdef",
  "zone_id": "2123456789abcdef0123456789abcdef",
  "zone_name": "pipewright-demo.net"
})";

std::filesystem::path seed_file() {
  static const std::filesystem::path file = [] {
    auto path = std::filesystem::temp_directory_path() / "pw-sandbox-fuzz-seed.json";
    std::ofstream(path) << seed_json;
    return path;
  }();
  return file;
}

// The modules the server serves: the products and the test hooks.
std::vector<sb::Module> all_modules() {
  auto modules = sb::product_modules();
  modules.push_back(sb::hooks_module());
  return modules;
}

// Endpoints never change once added: one router for every input.
const sb::Router& router() {
  static const sb::Router routes = [] {
    sb::Router r;
    for (const auto& m : all_modules())
      if (m.add_endpoints) m.add_endpoints(r);
    sb::add_endpoint_inventory(r);
    return r;
  }();
  return routes;
}

struct Sandbox {
  sb::Options options;
  std::unique_ptr<sb::State> state;
  std::unique_ptr<sb::Runtime> runtime;

  Sandbox() {
    options.seed_file = seed_file();
    options.hostname_activation_delay = std::chrono::milliseconds(0);
    state = std::make_unique<sb::State>(options);
    runtime = std::make_unique<sb::Runtime>(options);
    sb::install_identity_schema(state->db);
    for (const auto& m : all_modules()) {
      if (m.install_schema) m.install_schema(state->db);
      if (m.activate_custom_hostnames) runtime->hostname_activators.emplace_back(m.activate_custom_hostnames);
    }
    state->identity = sb::seed_identity(state->db, options.seed_file);
  }
};

// The same fields the connection fills from a request head.
sb::Request to_request(http::request<http::string_body>&& message) {
  sb::Request req;
  req.method = std::string(message.method_string());
  req.target = std::string(message.target());
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos)
    if (auto url = boost::urls::parse_origin_form(req.target))
      for (auto p : url->params()) req.query.emplace_back(p.key, p.has_value ? p.value : std::string());
  req.body = std::move(message.body());
  req.headers = std::move(static_cast<http::fields&>(message));
  req.peer_ip = "127.0.0.1";
  return req;
}

void handle(Sandbox& sandbox, sb::Dispatcher& dispatcher, sb::Request& req) {
  auto match = dispatcher.route(req.method, req.path);
  if (match && req.body.size() > match->route->options.body_limit) return;
  if (match && match->route->options.body_to_file) {
    req.body_file = sandbox.state->objects.new_temp_path();
    std::ofstream(*req.body_file, std::ios::binary) << req.body;
    req.body.clear();
  }
  if (auto type = req.header("Content-Type"))
    if (auto boundary = sb::multipart_boundary(*type)) (void)sb::parse_multipart(req.body, *boundary);

  sb::Handled handled = dispatcher.handle(req, match);
  if (req.body_file) {
    std::error_code ec;
    std::filesystem::remove(*req.body_file, ec);
  }
  if (handled.response && handled.response->status == 500 &&
      handled.response->body.find("injected fault") == std::string::npos)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Sandbox sandbox;
  sb::Dispatcher dispatcher(router(), *sandbox.state, *sandbox.runtime);
  boost::beast::flat_buffer buffer;
  auto room = buffer.prepare(size);
  std::memcpy(room.data(), data, size);
  buffer.commit(size);
  // At most a few requests per input keeps each run short.
  for (int i = 0; i < 8 && buffer.size() > 0; ++i) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(1 << 20);
    boost::system::error_code ec;
    while (!parser.is_done()) {
      auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more && buffer.size() > 0 && used > 0) {
        ec = {};
        continue;
      }
      break;
    }
    if (!parser.is_done()) {
      // The end of the input ends a body that has no length.
      if (ec == http::error::need_more) parser.put_eof(ec);
      if (ec || !parser.is_done()) return 0;
    }
    auto req = to_request(parser.release());
    handle(sandbox, dispatcher, req);
  }
  return 0;
}
