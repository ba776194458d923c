// A host response (meta JSON on the first line, body after it) through the
// SDK's decode_response and the Cloudflare envelope decoder, then what the
// plugins do with the result: copy it, move it, describe it.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cf = pipewright::cloudflare;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string_view meta = input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  cf::ApiResult result = cf::decode(pipewright::decode_response(meta, body));
  cf::ApiResult copy = result;
  cf::ApiResult moved;
  moved = std::move(copy);
  (void)cf::describe(moved);
  (void)moved.forbidden();
  (void)moved.first_error_code();
  if (moved.result.is_object()) (void)cf::string_at(moved.result.as_object(), "id");
  return 0;
}
