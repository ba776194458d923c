// Helpers shared by the config room's source files; not part of its API.
#pragma once

#include <pipewright/host/config/config.hpp>
#include <pipewright/util/edit_distance.hpp>
#include <pipewright/util/json_source.hpp>

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::config_detail {

using util::ParsedJson;
using util::parse_json_with_positions;
using util::pointer_append;

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
