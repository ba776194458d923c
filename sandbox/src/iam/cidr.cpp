#include "cidr.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <string>

namespace pw::sandbox {
namespace {

std::optional<Cidr> address_bytes(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  Cidr c;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), c.bytes.begin());
    c.v4 = true;
    c.prefix = 32;
  } else {
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), c.bytes.begin());
    c.v4 = false;
    c.prefix = 128;
  }
  return c;
}

}  // namespace

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto c = address_bytes(text.substr(0, slash));
  if (!c) return std::nullopt;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > (c->v4 ? 32 : 128))
      return std::nullopt;
    c->prefix = prefix;
  }
  return c;
}

bool cidr_contains(const Cidr& range, std::string_view ip) {
  auto a = address_bytes(ip);
  if (!a || a->v4 != range.v4) return false;
  for (int bit = 0; bit < range.prefix; ++bit) {
    int byte = bit / 8, mask = 0x80 >> (bit % 8);
    if ((a->bytes[byte] & mask) != (range.bytes[byte] & mask)) return false;
  }
  return true;
}

}  // namespace pw::sandbox
