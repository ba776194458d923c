// A scripted HTTP/1.1 server on 127.0.0.1:0 for the client tests. It runs
// its own io_context on one thread (joined on destruction), so the handler
// is only ever called on that thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_certificate.hpp"

namespace pw::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool drop = false;                   // read the request, then close without answering
  bool close_after = false;            // answer (keep-alive), then close: an idle timeout
};

class TestServer {
 public:
  // `number` counts requests from 1 across all connections.
  using Handler = std::function<Reply(const ReceivedRequest& request, std::size_t number)>;

  explicit TestServer(Handler handler, std::optional<TestCertificate> tls = std::nullopt);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const;
  // "http(s)://<host>:<port><path>"
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const;

  std::size_t connections() const;
  std::size_t requests() const;
  std::size_t max_in_flight() const;
  std::vector<ReceivedRequest> received() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pw::test
