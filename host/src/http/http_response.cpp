#include <pipewright/host/http/http_client.hpp>

#include <algorithm>
#include <cctype>

namespace pw {

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name.size() == lower_name.size() &&
        std::equal(name.begin(), name.end(), lower_name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return value;
  }
  return std::nullopt;
}

}  // namespace pw
