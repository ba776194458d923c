// How cloudflare.workers.script turns a module and its settings into the
// multipart body of PUT .../workers/scripts/<name>, and how it recognises a
// deployment that is already current. Pure functions, unit-tested directly.
#pragma once

#include <string>
#include <string_view>

namespace pipewright::cloudflare::worker {

struct Module {
  std::string name;     // file name, e.g. "site-router.js"; also the part name
  std::string content;  // the JavaScript source
};

// The upload body: a "metadata" part (filename "metadata", application/json)
// and one part named after the module (application/javascript+module).
// `boundary` must not occur in either text (see boundary_for).
std::string multipart_body(std::string_view metadata_json, const Module& module,
                           std::string_view boundary);

// A boundary that occurs in neither text, derived from their hash so the
// same upload always produces the same bytes.
std::string boundary_for(std::string_view metadata_json, const Module& module);

// The lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

// The hash that identifies one deployment: metadata and module content.
std::string deploy_hash(std::string_view metadata_json, const Module& module);

// The module as uploaded: its content plus a trailing comment carrying the
// deploy hash, so a later run can read it back from the deployed script.
std::string with_hash_marker(std::string_view content, std::string_view hash);

// The deploy hash found in a deployed script's content; empty when none.
std::string find_hash_marker(std::string_view deployed);

// True for a module file name the upload can carry: [A-Za-z0-9._-]+ ending
// in .js or .mjs.
bool valid_module_name(std::string_view name);

}  // namespace pipewright::cloudflare::worker
