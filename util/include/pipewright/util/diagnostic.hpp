// One way to say what went wrong, for every room: the config room's
// parse and validation errors, schema problems, plugins the loader refused,
// the diagnostics plugins report through the host services, and the CLI's
// own. Rendered in one place, render_text or render_json, which mask
// secrets. The model is Terraform's Diagnostic: severity, summary, detail,
// subject, and what to do.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pw {

// The values are the plugin ABI's PW_SEVERITY_*.
enum class Severity { error = 1, warning = 2, info = 3 };

// A place in a file: 1-based line and column (columns count characters);
// line 0 when only the file is known.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// What a diagnostic is about: a place in a file, or a JSON Pointer into the
// document concerned (a step's `with`), or both, or neither.
struct Subject {
  SourceLocation where;
  std::string pointer;
};

struct Diagnostic {
  Severity severity = Severity::error;
  std::string summary;  // what failed, in one line
  std::string detail;   // why, when there is more to say; may span lines
  Subject subject;
  std::string hint;  // what to do about it; may be empty
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);
std::string_view severity_name(Severity severity);  // "error", "warning", "info"
// From a PW_SEVERITY_* value; an unknown one counts as an error.
Severity severity_from_abi(int value);

// Applied to every text a renderer writes, to mask secrets; empty = as is.
using Mask = std::function<std::string(std::string_view)>;

// "file:line:col: error: summary (at /pointer)", then the detail's lines
// and "hint: ..." each indented by two spaces.
std::string render_text(const Diagnostic& diagnostic, const Mask& mask = {});
// One JSON object on one line: severity, summary, then detail, file, line,
// column, pointer and hint when set.
std::string render_json(const Diagnostic& diagnostic, const Mask& mask = {});

}  // namespace pw
