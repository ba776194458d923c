// The one shape of a problem a user caused in a pipeline file.
#include "config_internal.hpp"

namespace pw::config_detail {

Diagnostic config_error(SourceLocation where, std::string summary, std::string hint) {
  return {Severity::error, std::move(summary), {}, {std::move(where), {}}, std::move(hint)};
}

bool has_expression(std::string_view text) { return text.find("${{") != std::string_view::npos; }

}  // namespace pw::config_detail
