// The v4 JSON envelope: {success, errors, messages, result[, result_info]}.
// Invariant kept here: 2xx <=> success:true.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/http_types.hpp"
#include "wire/outcome.hpp"

namespace pw::sandbox {

struct ErrorItem {
  std::int64_t code = 0;
  std::string message;
  std::vector<ErrorItem> error_chain;  // sent only when non-empty
};

// 200 (or `status`, must be 2xx) with `result`.
Response ok(boost::json::value result, unsigned status = 200);
Response ok(boost::json::value result, boost::json::value result_info, unsigned status = 200);
// The same envelope (200) around a result and result_info that are JSON
// text already: for long lists written without building a DOM.
Response ok_text(std::string_view result_json, std::string_view result_info_json);
// The same, built in one buffer: ok_text_open() starts the body, the caller
// appends the result's JSON to it, ok_text_close() adds result_info.
std::string ok_text_open(std::size_t result_size_hint);
Response ok_text_close(std::string body, std::string_view result_info_json);
// Appends `text` (UTF-8) as a JSON string literal, escaped as Boost.JSON
// escapes it, for results written as text.
void append_json_string(std::string& out, std::string_view text);
// Full control: messages are {code, message, type} objects or strings.
Response ok_with(boost::json::value result, std::optional<boost::json::value> result_info,
                 boost::json::array messages, unsigned status = 200);

// Error envelope; put the decisive code first (wrangler reads errors[0]).
Response fail(unsigned status, std::vector<ErrorItem> errors);
Response fail(unsigned status, std::int64_t code, std::string message);

// The common refusals, worded as Cloudflare words them.
Response no_route(std::string_view path);  // 400 7003 + 7000
// 501 10501: a real endpoint (from the inventory) that the sandbox does not serve.
Response not_emulated(std::string_view method, std::string_view pattern);
Response auth_error();                     // 403 10000 "Authentication error"
Response user_level_denied();              // 403 9109 "Unauthorized to access requested resource"
Response malformed_json();                 // 400 6007
Response internal_error();                 // 500 10001

// Parses a JSON body whatever the Content-Type. An empty body parses as {}.
// `malformed` is the error sent for bad JSON (products pick their own code).
Outcome<boost::json::value> parse_json(const std::string& body,
                                       const Response& malformed = malformed_json());

// Page-number pagination (section 1): reads page/per_page from the query
// with the product's bounds; a page past the end is an empty page, never 404.
struct PageRequest {
  std::int64_t page = 1;
  std::int64_t per_page = 20;
};
PageRequest page_request(const Request& req, std::int64_t default_per_page = 20,
                         std::int64_t min_per_page = 5, std::int64_t max_per_page = 50);
// Slices `all` for `p` and returns {result array, result_info}.
Response paged(const boost::json::array& all, const PageRequest& p);

}  // namespace pw::sandbox
