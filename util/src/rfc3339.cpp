#include <pipewright/util/rfc3339.hpp>

#include <cstdio>

namespace pw::util {
namespace {

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

Timestamp now() { return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()); }

std::string format_rfc3339(Timestamp t, bool fraction) {
  using namespace std::chrono;
  const auto day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{t - day_point};
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                        static_cast<int>(hms.seconds().count()));
  if (fraction)
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06lld",
                       static_cast<long long>(hms.subseconds().count()));
  return std::string(buf, static_cast<std::size_t>(n)) + "Z";
}

std::optional<Timestamp> parse_rfc3339(std::string_view t) {
  int year, month, day, hour, minute, second;
  if (t.size() < 20 || !digits(t, 0, 4, year) || t[4] != '-' || !digits(t, 5, 2, month) || t[7] != '-' ||
      !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t, 11, 2, hour) ||
      t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' || !digits(t, 17, 2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t i = 19;
  long long micros = 0;
  if (t[i] == '.') {
    const std::size_t start = ++i;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i)
      if (i - start < 6) micros = micros * 10 + (t[i] - '0');
    if (i == start) return std::nullopt;
    for (std::size_t k = i - start; k < 6; ++k) micros *= 10;
  }
  int offset_minutes = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh, om;
    if (!digits(t, i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' || !digits(t, i + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (oh * 60 + om) * (t[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return Timestamp{sys_days{ymd}} + hours{hour} + minutes{minute} + seconds{second} + microseconds{micros} -
         minutes{offset_minutes};
}

}  // namespace pw::util
