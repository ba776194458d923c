#include <pipewright/host/http/http_client.hpp>
#include <pipewright/util/text.hpp>

namespace pw {

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (util::iequals(name, lower_name)) return value;
  }
  return std::nullopt;
}

}  // namespace pw
