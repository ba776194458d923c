// RFC 3339 timestamps as the API writes them (UTC, "Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

// Microseconds, not system_clock's nanoseconds: those overflow after 2262
// and clients do send far-future dates ("2999-01-01T00:00:00Z").
using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

SystemTime now_time();

// "2026-01-01T00:00:00Z"; with fraction: "2026-01-01T00:00:00.123456Z".
std::string format_rfc3339(SystemTime t, bool fraction = false);
std::string format_rfc3339(std::chrono::system_clock::time_point t, bool fraction = false);
std::string now_rfc3339(bool fraction = false);
// Accepts an optional fraction and either "Z" or a "+hh:mm"/"-hh:mm" offset.
std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace pw::sandbox
