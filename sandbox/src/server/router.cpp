#include "server/router.hpp"

#include <stdexcept>

#include "store/ids.hpp"

namespace pw::sandbox {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  // One trailing slash is tolerated: "/zones/" routes like "/zones".
  if (out.size() > 1 && out.back().empty()) out.pop_back();
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  add_route(method, std::string(api_prefix) + std::string(pattern), std::move(handler), options,
            false);
}

void Router::add_hook(std::string_view method, std::string_view pattern, Handler handler) {
  add_route(method, std::string(hook_prefix) + std::string(pattern), std::move(handler), {}, true);
}

void Router::add_inventory(std::string_view method, std::string_view pattern) {
  add_route(method, std::string(api_prefix) + std::string(pattern), nullptr, {}, false, true);
}

void Router::add_route(std::string_view method, std::string full_pattern, Handler handler,
                       RouteOptions options, bool hook, bool not_emulated) {
  Route r{std::string(method), full_pattern, {}, std::move(handler), options, hook, not_emulated};
  for (auto seg : split_path(full_pattern)) {
    using Kind = Route::Segment::Kind;
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      auto inner = seg.substr(1, seg.size() - 2);
      if (inner.ends_with(":id"))
        r.segments.push_back({Kind::id, std::string(inner.substr(0, inner.size() - 3))});
      else if (inner.ends_with('*'))
        r.segments.push_back({Kind::rest, std::string(inner.substr(0, inner.size() - 1))});
      else
        r.segments.push_back({Kind::param, std::string(inner)});
    } else {
      r.segments.push_back({Kind::literal, std::string(seg)});
    }
  }
  for (std::size_t i = 0; i + 1 < r.segments.size(); ++i)
    if (r.segments[i].kind == Route::Segment::Kind::rest)
      throw std::logic_error("route " + full_pattern + ": {name*} must be the last segment");
  routes_.push_back(std::move(r));
  auto index = routes_.size() - 1;
  for (auto& [m, indices] : by_method_)
    if (m == method) {
      indices.push_back(index);
      return;
    }
  by_method_.emplace_back(std::string(method), std::vector<std::size_t>{index});
}

namespace {

// Scores a route against the split path without allocating: one digit per
// segment (literal 3 > id 2 > param 1 > rest 0), compared left to right.
// Returns false when the route does not match.
bool score_route(const Route& r, const std::vector<std::string_view>& parts, std::string_view path,
                 std::vector<int>& score) {
  using Kind = Route::Segment::Kind;
  score.clear();
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    if (i >= parts.size()) return false;
    if (seg.kind == Kind::rest) {
      auto offset = static_cast<std::size_t>(parts[i].data() - path.data());
      if (path.substr(offset).empty()) return false;
      score.push_back(0);
      return true;
    }
    switch (seg.kind) {
      case Kind::literal:
        if (parts[i] != seg.text) return false;
        score.push_back(3);
        break;
      case Kind::id:
        if (!is_id32(parts[i])) return false;
        score.push_back(2);
        break;
      default:
        if (parts[i].empty()) return false;
        score.push_back(1);
    }
  }
  return r.segments.size() == parts.size();
}

PathParams capture(const Route& r, const std::vector<std::string_view>& parts, std::string_view path) {
  using Kind = Route::Segment::Kind;
  PathParams params;
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    if (seg.kind == Kind::literal) continue;
    if (seg.kind == Kind::rest) {
      // The raw remainder of the path, from this segment on.
      auto offset = static_cast<std::size_t>(parts[i].data() - path.data());
      params.emplace_back(seg.text, percent_decode(path.substr(offset)));
    } else if (seg.kind == Kind::id) {
      params.emplace_back(seg.text, std::string(parts[i]));
    } else {
      params.emplace_back(seg.text, percent_decode(parts[i]));
    }
  }
  return params;
}

}  // namespace

const Route* Router::best_match(const std::vector<std::size_t>& candidates,
                               const std::vector<std::string_view>& parts, std::string_view path,
                               bool not_emulated, std::vector<int>& best_score) const {
  const Route* best = nullptr;
  std::vector<int> score;
  best_score.clear();
  for (auto index : candidates) {
    const auto& r = routes_[index];
    if (r.not_emulated != not_emulated || !score_route(r, parts, path, score)) continue;
    if (!best || score > best_score) {
      best = &r;
      std::swap(best_score, score);
    }
  }
  return best;
}

std::optional<Router::Match> Router::match(std::string_view method, std::string_view path) const {
  const std::vector<std::size_t>* candidates = nullptr;
  for (const auto& [m, indices] : by_method_)
    if (m == method) candidates = &indices;
  if (!candidates) return std::nullopt;
  auto parts = split_path(path);
  std::vector<int> served_score, inventory_score;
  const Route* best = best_match(*candidates, parts, path, false, served_score);
  // An inventory endpoint with a literal where the served route has a
  // parameter is the more specific one (…/custom_hostnames/fallback_origin
  // over …/custom_hostnames/{id}); id and plain parameters count alike, so
  // a served route always wins over its own inventory entry.
  if (const Route* known = best_match(*candidates, parts, path, true, inventory_score)) {
    auto coarse = [](std::vector<int> s) {
      for (auto& d : s) d = d == 2 ? 1 : d;
      return s;
    };
    if (!best || coarse(inventory_score) > coarse(served_score)) best = known;
  }
  if (!best) return std::nullopt;
  return Match{best, capture(*best, parts, path)};
}

}  // namespace pw::sandbox
