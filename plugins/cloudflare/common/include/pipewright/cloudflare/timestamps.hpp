// RFC 3339 timestamps as Cloudflare sends them ("2026-01-01T00:00:00Z",
// with optional fractional seconds or a numeric offset).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pipewright::cloudflare {

// Seconds since the Unix epoch; nullopt when `text` is not RFC 3339.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// Seconds since the Unix epoch, now.
std::int64_t now_seconds();
// "2026-01-01T00:00:00Z".
std::string format_rfc3339(std::int64_t seconds);

}  // namespace pipewright::cloudflare
