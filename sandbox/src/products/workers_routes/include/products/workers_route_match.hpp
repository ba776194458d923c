// Which Workers route serves a request, by Cloudflare's rules: a pattern is
// "host/path"; the host may start with '*' ("*/*" every host the zone sees,
// "*.zone" its subdomains, "*zone" the zone and its subdomains), the path
// may end with '*' (a prefix, else the exact path). The most specific
// pattern wins: the longer literal host first, an exact host over a
// wildcard, then the longer literal path, an exact path over a prefix.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::sandbox {

struct WorkersRoute {
  std::string pattern;
  std::optional<std::string> script;  // none: the route keeps Workers off the requests it matches
};

// Whether `pattern` matches a request for `host` (lower case, no port) and
// `path` (no query).
bool workers_route_matches(std::string_view pattern, std::string_view host, std::string_view path);

// The index of the most specific route matching the request, if any.
std::optional<std::size_t> match_workers_route(const std::vector<WorkersRoute>& routes, std::string_view host,
                                               std::string_view path);

}  // namespace pw::sandbox
