// Raw HTTP/1.1 requests, one after another, through the sandbox's router and
// dispatcher (auth, rate limit, handlers, JSON and multipart bodies) against
// a fresh in-memory state per input. A 500 that no fault injected is a
// handler bug: the dispatcher turns every handler exception into one.
// A target under /__s3 goes to the S3 door with that prefix removed; the
// harness signs it (SigV4, an R2 Write token) unless it carries its own
// Authorization, so the S3 handlers and payload decoding are reached.
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
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <ctime>
#include <pipewright/util/sigv4.hpp>

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

const sb::Router& s3_router() {
  static const sb::Router routes = [] {
    sb::Router r("");
    sb::add_s3_endpoints(r);
    return r;
  }();
  return routes;
}

constexpr std::string_view s3_prefix = "/__s3";

struct Sandbox {
  sb::Options options;
  std::unique_ptr<sb::State> state;
  std::unique_ptr<sb::Runtime> runtime;
  std::string s3_key_id, s3_secret;  // an R2 Write token's id and value hash

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
    const sb::TokenOwner owner{false, state->identity.user_id};
    auto input = sb::parse_token_input(boost::json::parse(R"({"name": "s3", "policies": [{"effect": "allow",
        "resources": {"com.cloudflare.api.account.1123456789abcdef0123456789abcdef": "*"},
        "permission_groups": [{"id": "bf7481a1826f439697cb59a20b22293e"}]}]})"),
                                       owner, false, true);
    if (!input) std::abort();
    auto created = sb::create_token(state->db, owner, *input);
    if (!created) std::abort();
    s3_key_id = created->first.id;
    s3_secret = pw::sigv4::sha256_hex(created->second);
  }
};

// Signs an S3 request the fuzzer left unsigned, over host, x-amz-date and
// x-amz-content-sha256 (UNSIGNED-PAYLOAD unless the input chose one).
void sign_s3(const Sandbox& sandbox, sb::Request& req) {
  if (req.header("Authorization") || req.query_param("X-Amz-Algorithm")) return;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
  if (!req.header("Host")) req.headers.set("Host", "127.0.0.1");
  if (!req.header("x-amz-content-sha256")) req.headers.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  req.headers.set("x-amz-date", date);
  pw::sigv4::Request c;
  c.method = req.method;
  c.path = sb::percent_decode(req.path);
  c.query = req.query;
  for (std::string_view name : {"host", "x-amz-date", "x-amz-content-sha256"})
    c.headers.emplace_back(std::string(name), *req.header(name));
  c.payload_hash = *req.header("x-amz-content-sha256");
  const pw::sigv4::Scope scope{std::string(date, 8), "auto", "s3"};
  req.headers.set("Authorization", pw::sigv4::authorization(sandbox.s3_key_id, sandbox.s3_secret, scope, date, c));
}

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
  sb::Dispatcher s3_dispatcher(s3_router(), *sandbox.state, *sandbox.runtime, sb::Door::s3);
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
    if (req.path == s3_prefix || req.path.starts_with(std::string(s3_prefix) + "/")) {
      req.path.erase(0, s3_prefix.size());
      req.target.erase(0, s3_prefix.size());
      if (req.path.empty()) {
        req.path = "/";
        req.target.insert(0, "/");
      }
      sign_s3(sandbox, req);
      handle(sandbox, s3_dispatcher, req);
      continue;
    }
    handle(sandbox, dispatcher, req);
  }
  return 0;
}
