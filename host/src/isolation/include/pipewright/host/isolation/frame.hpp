// The wire format between the host and an isolated plugin process: frames
// of [u32 json length][u32 bytes length][JSON header][raw bytes], both
// lengths little-endian. The JSON header says what the frame is ("op"); the
// raw bytes carry bodies that are not text.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw::isolation {

inline constexpr std::uint32_t max_frame_part = 512u * 1024 * 1024;

struct Frame {
  boost::json::object header;
  std::string bytes;
};

// Writes one frame; false when the peer is gone.
bool write_frame(int fd, const boost::json::object& header, std::string_view bytes = {});

enum class ReadStatus { ok, closed, malformed, timeout };

// Reads one frame. With timeout_ms >= 0 waits at most that long for the
// first byte (then reads the rest of the frame blocking).
ReadStatus read_frame(int fd, Frame& out, int timeout_ms = -1);

// Helpers for the JSON header.
std::string string_field(const boost::json::object& o, std::string_view key);
std::int64_t int_field(const boost::json::object& o, std::string_view key, std::int64_t fallback = 0);

}  // namespace pw::isolation
