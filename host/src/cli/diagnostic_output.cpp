#include "diagnostic_output.hpp"

#include <cstdio>

namespace pw {

void print_diagnostic(const Diagnostic& diagnostic, OutputFormat output, const Redactor* redactor) {
  Mask mask;
  if (redactor) mask = [redactor](std::string_view text) { return redactor->redact(text); };
  const std::string text =
      output == OutputFormat::json ? render_json(diagnostic, mask) : render_text(diagnostic, mask);
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace pw
