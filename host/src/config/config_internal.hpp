// Helpers shared by the config room's source files; not part of its API.
#pragma once

#include <pipewright/host/config/config.hpp>
#include <pipewright/util/edit_distance.hpp>

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::config_detail {

struct ParsedJson {
  boost::json::value value;
  std::map<std::string, SourceLocation> positions;
  std::map<std::string, SourceLocation> key_positions;
  Diagnostics errors;  // syntax error, or duplicate keys
  bool ok = false;                  // value is usable
};

// Parses JSON with comments and trailing commas and records the 1-based
// line:column of every value and key, keyed by JSON Pointer (without the
// file name, which errors carry).
ParsedJson parse_json_with_positions(std::string_view text, const std::string& file);

// "/a" + "b/c" -> "/a/b~1c" (RFC 6901 escaping).
std::string pointer_append(std::string_view parent, std::string_view token);
std::string pointer_append(std::string_view parent, std::size_t index);

// "Did you mean": the one edit distance of pw_util (ASCII case ignored).
using util::closest_match;

// The text of conf/schema/pipeline.schema.json, compiled in at build time
// so that the binary has no schema file to find.
extern const std::string_view pipeline_schema_text;

// Checks a pipeline document's shape against the pipeline schema, adding
// each problem to `errors`, located through `pipeline`'s position maps.
void check_pipeline_shape(const boost::json::value& root, const Pipeline& pipeline, Diagnostics& errors);

// An error the user caused, at `where`.
Diagnostic config_error(SourceLocation where, std::string summary, std::string hint = {});

// True when the string holds at least one "${{".
bool has_expression(std::string_view text);

}  // namespace pw::config_detail

namespace pw::config_detail {

// The bodies of every ${{ }} in one string, in order. Sets `error` (and
// returns what was found so far) when a ${{ has no closing }}.
std::vector<std::string> expressions_in_string(std::string_view text, std::string* error);

// The body of a string that is exactly one ${{ }}; nullopt otherwise.
std::optional<std::string> sole_expression(std::string_view text);

// nullopt when `expr` (a body, without ${{ }}) parses; otherwise why not.
std::optional<std::string> expression_syntax_error(std::string_view expr);

}  // namespace pw::config_detail
