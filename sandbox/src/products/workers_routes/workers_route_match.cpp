#include "products/workers_route_match.hpp"

#include <pipewright/util/text.hpp>
#include <tuple>

namespace pw::sandbox {
namespace {

struct Parsed {
  std::string host;  // literal part of the host, lower case, no port
  enum class Host { any, suffix, exact } host_kind = Host::exact;
  std::string path;  // literal part of the path
  bool path_prefix = false;
};

Parsed parse(std::string_view pattern) {
  Parsed p;
  const auto slash = pattern.find('/');
  std::string host = util::lower(pattern.substr(0, slash));
  if (auto colon = host.find(':'); colon != std::string::npos) host.erase(colon);
  if (host == "*") {
    p.host_kind = Parsed::Host::any;
  } else if (host.starts_with("*")) {
    p.host_kind = Parsed::Host::suffix;
    p.host = host.substr(1);
  } else {
    p.host = host;
  }
  std::string_view path = slash == std::string_view::npos ? std::string_view("/") : pattern.substr(slash);
  if (path.ends_with("*")) {
    p.path_prefix = true;
    path.remove_suffix(1);
  }
  p.path = std::string(path);
  return p;
}

bool matches(const Parsed& p, std::string_view host, std::string_view path) {
  switch (p.host_kind) {
    case Parsed::Host::any:
      break;
    case Parsed::Host::suffix:
      // "*.zone" needs a label before the dot; "*zone" also matches "zone" itself.
      if (!host.ends_with(p.host) || (p.host.starts_with(".") && host.size() == p.host.size())) return false;
      break;
    case Parsed::Host::exact:
      if (host != p.host) return false;
      break;
  }
  return p.path_prefix ? path.starts_with(p.path) : path == p.path;
}

auto specificity(const Parsed& p) {
  return std::make_tuple(p.host.size(), p.host_kind == Parsed::Host::exact, p.path.size(), !p.path_prefix);
}

}  // namespace

bool workers_route_matches(std::string_view pattern, std::string_view host, std::string_view path) {
  return matches(parse(pattern), host, path);
}

std::optional<std::size_t> match_workers_route(const std::vector<WorkersRoute>& routes, std::string_view host,
                                               std::string_view path) {
  std::optional<std::size_t> best;
  std::optional<decltype(specificity(Parsed{}))> best_rank;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const Parsed p = parse(routes[i].pattern);
    if (!matches(p, host, path)) continue;
    const auto rank = specificity(p);
    if (!best_rank || rank > *best_rank) {
      best = i;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace pw::sandbox
