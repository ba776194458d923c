// Schema validation of a `with` object; used by validation.cpp.
#pragma once

#include "config_internal.hpp"

#include <functional>

namespace pw::config_detail {

// Where a member of `with` is, by its pointer inside `with` ("" = `with`
// itself); `at_key` asks for the member's key rather than its value.
using WithLocator = std::function<SourceLocation(const std::string& pointer, bool at_key)>;

// Every problem of `with` against a plugin's params schema, each located by
// `locate`, with its pointer inside `with` as the subject's pointer.
Diagnostics check_with_schema(const boost::json::value& schema, const boost::json::object& with,
                              const WithLocator& locate);

}  // namespace pw::config_detail
