#include "server/faults.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <stdexcept>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

double share(std::string_view key, std::string_view v) {
  try {
    std::size_t used = 0;
    double d = std::stod(std::string(v), &used);
    if (used == v.size() && d >= 0 && d <= 1) return d;
  } catch (...) {
  }
  throw std::invalid_argument("fault spec: " + std::string(key) +
                              " must be a share between 0 and 1, got \"" + std::string(v) + "\"");
}

std::chrono::milliseconds duration(std::string_view v) {
  auto unit = v.ends_with("ms") ? 2u : (v.ends_with('s') ? 1u : 0u);
  long long n = -1;
  auto digits = v.substr(0, v.size() - unit);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0)
    throw std::invalid_argument("fault spec: latency must look like 20ms, 1s or 10ms-50ms, got \"" +
                                std::string(v) + "\"");
  return std::chrono::milliseconds(unit == 1 ? n * 1000 : n);
}

void apply(FaultSpec& s, std::string_view key, std::string_view value) {
  if (key == "429")
    s.share_429 = share(key, value);
  else if (key == "500")
    s.share_500 = share(key, value);
  else if (key == "502")
    s.share_502 = share(key, value);
  else if (key == "503")
    s.share_503 = share(key, value);
  else if (key == "5xx") {
    double d = share(key, value) / 3;  // split evenly over 500/502/503
    s.share_500 += d;
    s.share_502 += d;
    s.share_503 += d;
  } else if (key == "drop_before")
    s.drop_before = share(key, value);
  else if (key == "drop_after")
    s.drop_after = share(key, value);
  else if (key == "latency") {
    auto dash = value.find('-');
    s.latency_min = duration(value.substr(0, dash));
    s.latency_max =
        dash == std::string_view::npos ? s.latency_min : duration(value.substr(dash + 1));
    if (s.latency_max < s.latency_min)
      throw std::invalid_argument("fault spec: latency range is reversed");
  } else if (key == "path")
    s.path_glob = std::string(value);
  else if (key == "methods" || key == "method") {
    std::size_t start = 0;
    while (start <= value.size()) {
      auto end = value.find_first_of("|+ ", start);
      if (end == std::string_view::npos) end = value.size();
      if (end > start) {
        std::string m(value.substr(start, end - start));
        std::transform(m.begin(), m.end(), m.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        s.methods.push_back(m);
      }
      start = end + 1;
    }
  } else if (key == "count") {
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.count);
    if (ec != std::errc() || end != value.data() + value.size())
      throw std::invalid_argument("fault spec: count must be an unsigned integer");
  } else if (key == "seed") {
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.seed);
    if (ec != std::errc() || end != value.data() + value.size())
      throw std::invalid_argument("fault spec: seed must be an unsigned integer");
    s.seeded = true;
  } else {
    throw std::invalid_argument(
        "fault spec: unknown key \"" + std::string(key) +
        "\" (known: 429, 500, 502, 503, 5xx, drop_before, drop_after, latency, path, "
        "methods, seed, count)");
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with single-star backtracking.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

FaultSpec parse_fault_spec(std::string_view text) {
  FaultSpec s;
  std::string t = trim(text);
  s.text = t;
  if (t.empty()) return s;
  if (t.front() == '{') {
    boost::system::error_code ec;
    json::value v = json::parse(t, ec);
    if (ec || !v.is_object()) throw std::invalid_argument("fault spec: invalid JSON object");
    for (const auto& [k, val] : v.as_object()) {
      if (val.is_string())
        apply(s, k, val.as_string());
      else if (val.is_array()) {
        for (const auto& m : val.as_array())
          if (m.is_string()) apply(s, k, m.as_string());
      } else
        apply(s, k, json::serialize(val));
    }
  } else {
    std::size_t start = 0;
    while (start <= t.size()) {
      auto end = t.find(',', start);
      if (end == std::string::npos) end = t.size();
      std::string item = trim(std::string_view(t).substr(start, end - start));
      start = end + 1;
      if (item.empty()) continue;
      auto eq = item.find('=');
      if (eq == std::string::npos)
        throw std::invalid_argument("fault spec: expected key=value, got \"" + item + "\"");
      apply(s, trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
    }
  }
  double total =
      s.share_429 + s.share_500 + s.share_502 + s.share_503 + s.drop_before + s.drop_after;
  if (total > 1.0 + 1e-9) throw std::invalid_argument("fault spec: shares add up to more than 1");
  return s;
}

void FaultInjector::set(std::string_view spec) {
  FaultSpec s = parse_fault_spec(spec);
  rng_.seed(s.seeded ? s.seed : std::random_device{}());
  spec_ = std::move(s);
  injected_ = 0;
}

FaultDecision FaultInjector::decide(std::string_view method, std::string_view path) {
  FaultDecision d;
  if (spec_.text.empty()) return d;
  if (!spec_.path_glob.empty() && !glob_match(spec_.path_glob, path)) return d;
  if (!spec_.methods.empty() &&
      std::find(spec_.methods.begin(), spec_.methods.end(), method) == spec_.methods.end())
    return d;
  if (spec_.latency_max.count() > 0) {
    std::uniform_int_distribution<long long> dist(spec_.latency_min.count(),
                                                  spec_.latency_max.count());
    d.latency = std::chrono::milliseconds(dist(rng_));
  }
  double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  std::pair<double, FaultKind> shares[] = {
      {spec_.share_429, FaultKind::too_many_requests}, {spec_.share_500, FaultKind::status_500},
      {spec_.share_502, FaultKind::status_502},        {spec_.share_503, FaultKind::status_503},
      {spec_.drop_before, FaultKind::drop_before},     {spec_.drop_after, FaultKind::drop_after}};
  if (spec_.count > 0 && injected_ >= spec_.count) return d;
  for (auto [p, kind] : shares) {
    if (r < p) {
      d.kind = kind;
      ++injected_;
      break;
    }
    r -= p;
  }
  return d;
}

}  // namespace pw::sandbox
