#include <pipewright/host/isolation/frame.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pw::isolation {
namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    // MSG_NOSIGNAL: a dead peer must be an error, not a SIGPIPE.
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// 1: read everything, 0: clean EOF before the first byte, -1: error/short.
int read_all(int fd, char* data, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return got == 0 ? 0 : -1;
    if (n < 0) return -1;
    got += static_cast<std::size_t>(n);
  }
  return 1;
}

void put_u32(char* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint32_t get_u32(const char* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

}  // namespace

bool write_frame(int fd, const boost::json::object& header, std::string_view bytes) {
  std::string json = boost::json::serialize(header);
  char prefix[8];
  put_u32(prefix, static_cast<std::uint32_t>(json.size()));
  put_u32(prefix + 4, static_cast<std::uint32_t>(bytes.size()));
  return write_all(fd, prefix, sizeof prefix) && write_all(fd, json.data(), json.size()) &&
         write_all(fd, bytes.data(), bytes.size());
}

ReadStatus read_frame(int fd, Frame& out, int timeout_ms) {
  if (timeout_ms >= 0) {
    pollfd p{fd, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return ReadStatus::timeout;
  }
  char prefix[8];
  int r = read_all(fd, prefix, sizeof prefix);
  if (r == 0) return ReadStatus::closed;
  if (r < 0) return ReadStatus::malformed;
  std::uint32_t json_size = get_u32(prefix), bytes_size = get_u32(prefix + 4);
  if (json_size == 0 || json_size > max_frame_part || bytes_size > max_frame_part)
    return ReadStatus::malformed;
  std::string json(json_size, '\0');
  out.bytes.assign(bytes_size, '\0');
  if (read_all(fd, json.data(), json_size) != 1) return ReadStatus::malformed;
  if (bytes_size > 0 && read_all(fd, out.bytes.data(), bytes_size) != 1) return ReadStatus::malformed;
  boost::system::error_code ec;
  auto value = boost::json::parse(json, ec);
  if (ec || !value.is_object() || !value.as_object().if_contains("op")) return ReadStatus::malformed;
  out.header = std::move(value.as_object());
  return ReadStatus::ok;
}

std::string string_field(const boost::json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

std::int64_t int_field(const boost::json::object& o, std::string_view key, std::int64_t fallback) {
  if (auto* v = o.if_contains(key); v && v->is_int64()) return v->as_int64();
  return fallback;
}

}  // namespace pw::isolation
