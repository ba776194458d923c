#include "store/ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <pipewright/util/text.hpp>
#include <stdexcept>
#include <vector>

namespace pw::sandbox {
namespace {

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

}  // namespace

std::string random_hex(std::size_t chars) {
  auto bytes = random_bytes((chars + 1) / 2);
  return util::hex(bytes.data(), bytes.size()).substr(0, chars);
}

std::string random_alnum(std::size_t chars) {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  // Rejection sampling keeps the distribution uniform over 62 symbols.
  while (s.size() < chars) {
    for (unsigned char b : random_bytes(chars)) {
      if (b < 248 && s.size() < chars) s += alphabet[b % 62];
    }
  }
  return s;
}

std::string random_uuid() {
  auto b = random_bytes(16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string h = util::hex(b.data(), b.size());
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string new_id() { return random_hex(32); }

std::string new_token_value(std::string_view prefix) {
  std::string body = std::string(prefix) + random_alnum(40);
  return body + sha256_hex(body).substr(0, 8);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: OpenSSL 3 looks EVP_sha256() up in its provider tables
  // on every call otherwise.
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (sha256 == nullptr || EVP_Digest(data.data(), data.size(), md, &len, sha256, nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return util::hex(md, len);
}

bool is_id32(std::string_view s) {
  if (s.size() != 32) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::optional<std::string> file_digest(const std::filesystem::path& file, const EVP_MD* type) {
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), type, nullptr) != 1) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<char> buf(256 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(md.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(md.get(), digest.data(), &len) != 1) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(digest.data()), len);
}

}  // namespace

std::optional<std::string> file_md5(const std::filesystem::path& file) { return file_digest(file, EVP_md5()); }

std::optional<std::string> file_sha256(const std::filesystem::path& file) {
  return file_digest(file, EVP_sha256());
}

std::string md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("MD5 failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace pw::sandbox
