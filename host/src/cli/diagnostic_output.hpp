// The CLI's one way to show diagnostics (config errors, refused plugins):
// on stderr, each masked by the run's redactor, as text or, with
// --output json, one JSON object per line.
#pragma once

#include <pipewright/host/run/events.hpp>
#include <pipewright/host/run/redactor.hpp>
#include <pipewright/util/diagnostic.hpp>

namespace pw {

// `redactor` may be null where nothing secret was read (validate).
void print_diagnostic(const Diagnostic& diagnostic, OutputFormat output, const Redactor* redactor);

}  // namespace pw
