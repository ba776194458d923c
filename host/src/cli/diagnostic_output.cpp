#include "diagnostic_output.hpp"

#include <unistd.h>

#include <cstdio>

namespace pw {

void print_diagnostic(const Diagnostic& diagnostic, OutputFormat output, const Redactor* redactor) {
  Mask mask;
  if (redactor) mask = [redactor](std::string_view text) { return redactor->redact(text); };
  if (output == OutputFormat::json) {
    // The same `diagnostic` event a step's problem is, so a reader of the
    // stream needs one parser; render_json writes "{" first.
    const std::string fields = render_json(diagnostic, mask);
    std::printf("{\"type\":\"diagnostic\",\"ts\":%lld,%s\n", static_cast<long long>(now_ms()), fields.c_str() + 1);
    std::fflush(stdout);
    return;
  }
  std::string text = render_text(diagnostic, mask);
  // The severity word in colour on a terminal (text_style_for says when).
  const std::string word = std::string(severity_name(diagnostic.severity)) + ": ";
  if (auto at = text.find(word); at != std::string::npos && text_style_for(STDERR_FILENO).colour)
    text.replace(at, word.size() - 2,
                 std::string(diagnostic.severity == Severity::error ? "\x1b[31m" : "\x1b[33m") +
                     std::string(severity_name(diagnostic.severity)) + "\x1b[0m");
  std::fprintf(stderr, "%s\n", text.c_str());
}

Diagnostic usage_diagnostic(std::string_view message) {
  constexpr std::string_view prefix = "pipewright: ";
  constexpr std::string_view hint_mark = "\n  hint: ";
  if (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
  Diagnostic d;
  const auto hint = message.find(hint_mark);
  if (hint != std::string_view::npos) {
    d.hint = std::string(message.substr(hint + hint_mark.size()));
    message = message.substr(0, hint);
  }
  const auto newline = message.find('\n');
  d.summary = std::string(message.substr(0, newline));
  if (newline != std::string_view::npos) d.detail = std::string(message.substr(newline + 1));
  return d;
}

void print_message(std::string_view message, OutputFormat output, const Redactor* redactor) {
  if (output == OutputFormat::json) return print_diagnostic(usage_diagnostic(message), output, redactor);
  const std::string text = redactor ? redactor->redact(message) : std::string(message);
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace pw
