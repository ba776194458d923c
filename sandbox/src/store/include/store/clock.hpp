// The current time as the API writes it (RFC 3339, UTC, "Z"): the one place
// the sandbox reads the clock. Parsing and formatting are pw_util's.
#pragma once

#include <pipewright/util/rfc3339.hpp>
#include <string>

namespace pw::sandbox {

// "2026-01-01T00:00:00Z"; with fraction: "2026-01-01T00:00:00.123456Z".
inline std::string now_rfc3339(bool fraction = false) {
  return util::format_rfc3339(util::now(), fraction);
}

}  // namespace pw::sandbox
