#include <algorithm>
#include <cstdio>
#include <pipewright/util/diagnostic.hpp>

namespace pw {
namespace {

std::string masked(std::string_view text, const Mask& mask) {
  return mask ? mask(text) : std::string(text);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "error";
}

Severity severity_from_abi(int value) {
  if (value == static_cast<int>(Severity::warning)) return Severity::warning;
  if (value == static_cast<int>(Severity::info)) return Severity::info;
  return Severity::error;
}

std::string render_text(const Diagnostic& d, const Mask& mask) {
  const SourceLocation& where = d.subject.where;
  std::string out;
  if (!where.file.empty() || where.line > 0) {
    out += where.file.empty() ? std::string("<input>") : masked(where.file, mask);
    if (where.line > 0)
      out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
    out += ": ";
  }
  out += std::string(severity_name(d.severity)) + ": " + masked(d.summary, mask);
  if (!d.subject.pointer.empty() && where.line == 0)
    out += " (at " + masked(d.subject.pointer, mask) + ")";
  if (!d.detail.empty()) {
    const std::string detail = masked(d.detail, mask);
    std::size_t start = 0;
    while (start <= detail.size()) {
      const std::size_t end = std::min(detail.find('\n', start), detail.size());
      out += "\n  " + detail.substr(start, end - start);
      start = end + 1;
    }
  }
  if (!d.hint.empty()) out += "\n  hint: " + masked(d.hint, mask);
  return out;
}

std::string render_json(const Diagnostic& d, const Mask& mask) {
  std::string out = "{\"severity\":";
  append_json_string(out, severity_name(d.severity));
  out += ",\"summary\":";
  append_json_string(out, masked(d.summary, mask));
  auto member = [&](std::string_view name, const std::string& text) {
    if (text.empty()) return;
    out += ",\"" + std::string(name) + "\":";
    append_json_string(out, masked(text, mask));
  };
  member("detail", d.detail);
  member("file", d.subject.where.file);
  if (d.subject.where.line > 0) {
    out += ",\"line\":" + std::to_string(d.subject.where.line) +
           ",\"column\":" + std::to_string(d.subject.where.column);
  }
  member("pointer", d.subject.pointer);
  member("hint", d.hint);
  out += '}';
  return out;
}

}  // namespace pw
