// .env text: parse() must read anything, and what update() and quote() write
// must read back as the value written.
#include "dotenv_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line is a value to write; the whole input is the file.
  std::string value(input.substr(0, input.find('\n')));
  auto parsed = pw::dotenv::parse(input);

  auto quoted = pw::dotenv::parse("K=" + pw::dotenv::quote(value) + "\n");
  require(quoted.errors.empty() && quoted.get("K") == value);

  // Rewriting a well-formed file: an existing key and a new one.
  if (!parsed.errors.empty()) return 0;
  std::vector<std::pair<std::string, std::string>> values{{"PW_FUZZ_NEW", value}};
  if (!parsed.entries.empty()) values.emplace_back(parsed.entries.front().key, value);
  auto rewritten = pw::dotenv::parse(pw::dotenv::update(input, values));
  require(rewritten.errors.empty());
  for (const auto& [key, written] : values) require(rewritten.get(key) == written);
  return 0;
}
