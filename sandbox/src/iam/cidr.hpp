// IP ranges for token conditions ("192.0.2.0/24", "2001:db8::/32", or a bare
// address meaning a single host).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pw::sandbox {

struct Cidr {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = true;
  int prefix = 32;
};

std::optional<Cidr> parse_cidr(std::string_view text);
// IPv4-mapped IPv6 peers ("::ffff:192.0.2.7") match IPv4 ranges.
bool cidr_contains(const Cidr& range, std::string_view ip);

}  // namespace pw::sandbox
