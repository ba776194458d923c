// Reading JSON text written by people: comments and trailing commas are
// allowed, and the 1-based line:column of every value and key is kept, so
// that each problem found later can be reported at its FILE:LINE:COL.
#pragma once

#include <pipewright/util/diagnostic.hpp>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <string_view>

namespace pw::util {

struct ParsedJson {
  boost::json::value value;
  // Keyed by JSON Pointer ("/steps/0/with"), without the file name.
  std::map<std::string, SourceLocation> positions;
  std::map<std::string, SourceLocation> key_positions;  // of the member each pointer names
  Diagnostics errors;  // syntax error, or duplicate keys
  bool ok = false;     // value is usable
};

// `file` is only carried into the locations and errors.
ParsedJson parse_json_with_positions(std::string_view text, const std::string& file);

// "/a" + "b/c" -> "/a/b~1c" (RFC 6901 escaping).
std::string pointer_append(std::string_view parent, std::string_view token);
std::string pointer_append(std::string_view parent, std::size_t index);

}  // namespace pw::util
