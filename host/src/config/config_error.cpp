// How a user-caused problem is printed.
#include "config_internal.hpp"

namespace pw {

std::string ConfigError::format() const {
  std::string out = where.file.empty() ? std::string("<input>") : where.file;
  if (where.line > 0) {
    out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
  }
  out += ": error: " + message;
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

namespace config_detail {

bool has_expression(std::string_view text) { return text.find("${{") != std::string_view::npos; }

}  // namespace config_detail
}  // namespace pw
