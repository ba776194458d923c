#include "products/workers_route_pattern.hpp"

#include <algorithm>
#include <cctype>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {

std::optional<std::string> workers_route_pattern_problem(std::string_view pattern, std::string_view zone_name) {
  if (pattern.empty()) return "pattern must not be empty";
  if (pattern.size() > 1024) return "pattern is longer than 1024 characters";
  if (pattern.find("://") != std::string_view::npos)
    return "pattern must not contain a scheme; write it as host/path, e.g. " + std::string(zone_name) + "/*";
  if (std::any_of(pattern.begin(), pattern.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }))
    return "pattern must not contain spaces or non-ASCII characters";
  const auto slash = pattern.find('/');
  std::string host = util::lower(pattern.substr(0, slash));
  if (auto colon = host.find(':'); colon != std::string::npos) host.erase(colon);  // port
  if (slash != std::string_view::npos) {
    const std::string_view path = pattern.substr(slash);
    if (path.find_first_of("?#") != std::string_view::npos) return "a pattern must not contain a query or a fragment";
    if (auto star = path.find('*'); star != std::string_view::npos && star + 1 != path.size())
      return "a '*' in the path is only allowed at its end";
  }
  // "*/*": every hostname the zone serves, custom hostnames included (SaaS zones).
  if (host == "*") return std::nullopt;
  std::string_view bare = host;
  if (bare.starts_with("*.")) bare.remove_prefix(2);
  else if (bare.starts_with("*")) bare.remove_prefix(1);
  const bool inside = bare == zone_name ||
                      (bare.size() > zone_name.size() && bare.ends_with(zone_name) &&
                       bare[bare.size() - zone_name.size() - 1] == '.');
  if (!inside)
    return "the host '" + host + "' of pattern '" + std::string(pattern) + "' is not in zone '" +
           std::string(zone_name) + "'";
  if (bare.find('*') != std::string_view::npos) return "a '*' is only allowed at the start of the host";
  return std::nullopt;
}

}  // namespace pw::sandbox
