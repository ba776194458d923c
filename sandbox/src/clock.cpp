#include "clock.hpp"

#include <cstdio>
#include <ctime>

namespace pw::sandbox {

std::string format_rfc3339(SystemTime t, bool fraction) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (fraction) {
    auto us = duration_cast<microseconds>(t - secs).count();
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
    s += frac;
  }
  return s + "Z";
}

std::string format_rfc3339(std::chrono::system_clock::time_point t, bool fraction) {
  return format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(t), fraction);
}

SystemTime now_time() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string now_rfc3339(bool fraction) { return format_rfc3339(now_time(), fraction); }

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  std::string s(text);
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) !=
          6 ||
      consumed != 19)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  long long micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 6; ++k) micros *= 10;
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  using namespace std::chrono;
  auto days = sys_days(year(y) / month(static_cast<unsigned>(mo)) / day(static_cast<unsigned>(d)));
  if (!year_month_day(year(y) / month(static_cast<unsigned>(mo)) / day(static_cast<unsigned>(d)))
           .ok())
    return std::nullopt;
  SystemTime t = time_point_cast<microseconds>(days) + hours(h) + minutes(mi) + seconds(sec) +
                 microseconds(micros);
  return t - seconds(offset);
}

}  // namespace pw::sandbox
