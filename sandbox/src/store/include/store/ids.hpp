// Random identifiers and secrets, and the hashes we store instead of secrets.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

std::string random_hex(std::size_t chars);    // lower-case, from OpenSSL's CSPRNG
std::string random_alnum(std::size_t chars);  // [A-Za-z0-9]
std::string random_uuid();                    // RFC 4122 version 4, lower-case
std::string new_id();                         // 32 lower-case hex: accounts, zones, tokens...
std::string new_token_value(std::string_view prefix);  // prefix + 40 alnum + 8-hex checksum
std::string sha256_hex(std::string_view data);
// Digests of a file read in pieces (object bodies may be gigabytes); raw
// bytes, nullopt when it cannot be read.
std::optional<std::string> file_md5(const std::filesystem::path& file);
std::optional<std::string> file_sha256(const std::filesystem::path& file);
std::string md5(std::string_view data);  // raw bytes
bool is_id32(std::string_view s);  // 32 lower-case hex

}  // namespace pw::sandbox
