#include "server/request_log.hpp"

#include <boost/json/object.hpp>

namespace pw::sandbox {

void RequestLog::add(RequestLogEntry e) {
  if (sink_) {
    std::string line = util::format_rfc3339(e.time, true) + " " + e.method + " " + e.path + " " + std::to_string(e.status) +
                       " " + (e.credential.empty() ? "-" : e.credential);
    if (!e.fault.empty()) line += " fault=" + e.fault;
    sink_(line);
  }
  entries_.push_back(std::move(e));
  if (entries_.size() > capacity) entries_.pop_front();
}

boost::json::array RequestLog::json() const {
  boost::json::array out;
  for (const auto& e : entries_)
    out.push_back(boost::json::object{{"time", util::format_rfc3339(e.time, true)},
                                      {"method", e.method},
                                      {"path", e.path},
                                      {"status", e.status},
                                      {"credential", e.credential},
                                      {"fault", e.fault}});
  return out;
}

}  // namespace pw::sandbox
