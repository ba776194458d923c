// RFC 3339 timestamps as Cloudflare's API writes and reads them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pw::util {

// Microseconds, not system_clock's nanoseconds: those overflow after 2262,
// and clients do send far-future dates ("2999-01-01T00:00:00Z").
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

Timestamp now();

// "2026-01-01T00:00:00Z"; with fraction "2026-01-01T00:00:00.123456Z".
std::string format_rfc3339(Timestamp t, bool fraction = false);

// Accepts "T", "t" or " " between date and time, an optional fraction (kept
// to the microsecond), and "Z" or a "+hh:mm"/"-hh:mm" offset. Anything else,
// or a date that does not exist, is nullopt.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace pw::util
