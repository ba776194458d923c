#include "retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace pw::http {

namespace {

std::optional<long long> parse_non_negative(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// IMF-fixdate, the only HTTP date form servers send today
// ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return std::nullopt;
  const std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace

bool method_is_idempotent(const std::string& method) {
  std::string m = method;
  std::transform(m.begin(), m.end(), m.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

bool status_is_retryable(int status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

std::optional<std::chrono::milliseconds> server_retry_delay(
    const HttpResponse& response, std::chrono::system_clock::time_point now) {
  if (auto ms = response.header("retry-after-ms")) {
    if (auto value = parse_non_negative(*ms)) return std::chrono::milliseconds{*value};
  }
  auto after = response.header("retry-after");
  if (!after) return std::nullopt;
  return parse_delay(*after, now);
}

std::optional<std::chrono::milliseconds> parse_delay(const std::string& text,
                                                     std::chrono::system_clock::time_point now) {
  if (auto seconds = parse_non_negative(text)) {
    // Clamp so that an absurd value cannot overflow; it is "too long" anyway.
    return std::chrono::milliseconds{std::min(*seconds, 1'000'000'000LL) * 1000};
  }
  if (auto date = parse_http_date(text)) {
    const auto delta = std::chrono::ceil<std::chrono::milliseconds>(*date - now);
    return std::max(delta, std::chrono::milliseconds{0});
  }
  return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const HttpClientOptions& options, int next_attempt,
                                        std::mt19937_64& random) {
  const int doublings = std::clamp(next_attempt - 2, 0, 30);
  const auto cap = std::max(options.max_backoff, std::chrono::milliseconds{0});
  auto delay = std::max(options.initial_backoff, std::chrono::milliseconds{0});
  for (int i = 0; i < doublings && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  std::uniform_real_distribution<double> jitter(0.75, 1.0);
  return std::chrono::milliseconds{
      static_cast<long long>(static_cast<double>(delay.count()) * jitter(random))};
}

}  // namespace pw::http
