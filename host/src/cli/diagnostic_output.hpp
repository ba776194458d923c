// The CLI's one way to show problems found before a run starts (config
// errors, refused plugins, usage errors), each masked by the run's redactor:
// as text on stderr or, with --output json, as one `diagnostic` event per
// line on stdout, in the same stream as the run's own events.
#pragma once

#include <pipewright/host/run/events.hpp>
#include <pipewright/host/run/redactor.hpp>
#include <pipewright/util/diagnostic.hpp>

#include <string_view>

namespace pw {

// `redactor` may be null where nothing secret was read (validate).
void print_diagnostic(const Diagnostic& diagnostic, OutputFormat output, const Redactor* redactor);

// A CLI message ("pipewright: what failed\n  more\n  hint: what to do") as
// a Diagnostic: summary, detail and hint.
Diagnostic usage_diagnostic(std::string_view message);

// The message as is in text mode, as a diagnostic event in JSON mode.
void print_message(std::string_view message, OutputFormat output, const Redactor* redactor);

}  // namespace pw
