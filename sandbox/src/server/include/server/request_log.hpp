// The request log behind GET /__sandbox/requests and Options::request_log.
// Entries name the credential by id only, never by its secret. Used only on
// the state strand.
#pragma once

#include <boost/json/array.hpp>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include <pipewright/util/rfc3339.hpp>

namespace pw::sandbox {

struct RequestLogEntry {
  util::Timestamp time;       // formatted only when the log is read
  std::string method;
  std::string path;        // without the query
  unsigned status = 0;     // 0 = connection dropped without a response
  std::string credential;  // "token:<id>", "global_key:<user id>" or ""
  std::string fault;       // injected fault, if any
};

class RequestLog {
 public:
  explicit RequestLog(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  void add(RequestLogEntry e);
  boost::json::array json() const;
  void clear() { entries_.clear(); }

 private:
  static constexpr std::size_t capacity = 10000;
  std::function<void(std::string_view)> sink_;
  std::deque<RequestLogEntry> entries_;
};

}  // namespace pw::sandbox
