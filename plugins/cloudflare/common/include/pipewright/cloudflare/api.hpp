// The Cloudflare v4 API as Cloudflare plugins see it: URL building, one
// request through the host's HTTP service, the response envelope decoded,
// and list helpers for both pagination styles. Auth headers are added by the
// host, never here (an auth plugin may pass its own in Request::headers).
#pragma once

#include <pipewright/plugin_json.hpp>

#include <boost/json.hpp>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipewright::cloudflare {

inline constexpr std::string_view default_base_url = "https://api.cloudflare.com/client/v4";

// Percent-encodes one path segment: everything except A-Z a-z 0-9 - . _ ~,
// so a '/' inside an id becomes %2F.
std::string encode_segment(std::string_view segment);
// Percent-encodes like encode_segment but keeps '/' literal (R2 object keys).
std::string encode_key_path(std::string_view key);
// Percent-encodes a query value (same set as a segment).
std::string encode_query_value(std::string_view value);
// "/seg1/seg2/..." with every segment encoded.
std::string api_path(std::initializer_list<std::string_view> segments);
// `path` plus "?k=v&..." (or "&..." when it already has a query); values encoded.
std::string with_query(std::string path,
                       std::initializer_list<std::pair<std::string_view, std::string>> query);

// The base URL of the Cloudflare API from a plugin's context_json
// (base_urls.cloudflare), without a trailing '/'; default_base_url when the
// context names none.
std::string base_url_from_context(std::string_view context_json);

struct ApiError {
  long long code = 0;
  std::string message;
};

// One API call's outcome, decoded from Cloudflare's envelope.
struct ApiResult {
  int status = 0;        // HTTP status; 0 when no response arrived
  bool success = false;  // 2xx and the envelope did not say success:false
  boost::json::value result;       // envelope "result" (null when absent)
  boost::json::object result_info; // empty when absent
  std::vector<ApiError> errors;    // each error followed by its error_chain, flattened
  std::string transport_error;     // set when status == 0
  std::string outcome;             // "ok" | "failed" | "unknown" (see plugin.h)
  std::string body;                // raw response body
  boost::json::object headers;     // lower-case names
  int attempts = 1;
  // What the user can do about it, when the client can tell (nothing
  // listens at the base URL; a base URL without /client/v4); describe()
  // adds it.
  std::string hint;

  ApiResult() = default;
  ApiResult(const ApiResult&) = default;
  ApiResult(ApiResult&&) noexcept = default;
  ApiResult& operator=(const ApiResult&) = default;
  // Takes `result` over with its storage (the arena decode() parsed it
  // into); boost::json's own move assignment would copy it node by node.
  // A copy shares that arena (it is never freed before the last holder, and
  // is not thread-safe): an ApiResult belongs to one thread.
  ApiResult& operator=(ApiResult&& other) noexcept;

  bool ok() const noexcept { return success; }
  // Sent, but the connection broke before an answer: it may have happened.
  bool unknown_outcome() const noexcept { return outcome == "unknown"; }
  bool has_error(long long code) const noexcept;
  long long first_error_code() const noexcept;  // 0 when none
  // 403 with 10000 or 9109: the credential lacks a permission (or resource).
  bool forbidden() const noexcept;
};

// Decodes a host response (status, headers, body) into an ApiResult; the
// rvalue form takes the body and headers over instead of copying them.
ApiResult decode(Response&& response);
ApiResult decode(const Response& response);
// "403 Forbidden: Authentication error (10000)"; for no answer, what happened.
// Never includes request or response headers.
std::string describe(const ApiResult& result);
// "Forbidden" for 403 and so on; "" when unknown.
std::string_view reason_phrase(int status);

// A create's answer when the create went through reconcile_create: either
// the API's answer to a create, or the object found after a create whose
// outcome was unknown (`adopted`: the lost request made it, or someone else did).
struct Created {
  ApiResult result;                         // the last create's answer
  std::optional<boost::json::value> adopted;  // set when found instead of created
  bool ok() const noexcept { return adopted.has_value() || result.ok(); }
};

struct Request {
  std::string method = "GET";
  std::string path;  // relative to the base: "/zones/<id>"; may carry a query
  std::optional<boost::json::value> json;  // sent as application/json
  std::string body;                        // raw body, used when json is empty
  std::string content_type;                // for the raw body
  std::optional<std::string> body_file;    // stream the body from this file
  // nullopt: the host's default (GET/HEAD/PUT/DELETE safe, POST/PATCH not).
  std::optional<bool> safe_to_retry;
  int timeout_ms = 0;  // 0: the host's default
  // Extra headers. Step plugins never set credentials; the host injects them.
  boost::json::object headers;
  // false: the host adds no auth headers, and `headers` carries a credential
  // the plugin was given as an input (ABI 1.2; check Call::host_abi_minor()).
  bool step_auth = true;
};

// One Cloudflare API client per plugin run. Holds a reference to the call:
// use it only inside that run.
class Client {
 public:
  explicit Client(const Call& call);
  Client(const Call& call, std::string base_url);

  const std::string& base_url() const noexcept { return base_; }
  const Call& call() const noexcept { return call_; }

  ApiResult request(const Request& request) const;
  ApiResult get(std::string_view path) const;
  // JSON body; POST/PATCH are not repeated by the host unless safe_to_retry.
  ApiResult send(std::string_view method, std::string_view path,
                 const boost::json::value& json_body,
                 std::optional<bool> safe_to_retry = std::nullopt) const;

  // Sends a create that the host does not repeat by itself (a POST), so
  // that it is made once and only once: when its outcome is unknown (no
  // answer, or a 5xx, after the request was sent), `find` reads the state
  // first and what it finds is adopted; only when nothing is found is the
  // create sent again, at most `max_sends` times in all. A definite answer
  // (success or a 4xx) is returned as it is. `find` throws when the state
  // cannot be read, since the outcome then stays unknown.
  Created create_once(const Request& create,
                      const std::function<std::optional<boost::json::value>()>& find,
                      std::string_view what, int max_sends = 4) const;

  // Several requests at once through the host's batched HTTP (the host
  // keeps the rate budget and retries); results in the order of `requests`.
  // A raw body must be UTF-8 text here (it travels inside the batch's JSON).
  // concurrency 0: as many at once as the host's in-flight budget allows.
  std::vector<ApiResult> batch(const std::vector<Request>& requests, int concurrency = 0) const;

  // Page-number list: page=1,2,... with per_page until a page comes back
  // empty (or shorter than per_page with total_pages reached). Appends every
  // item to `items`. Returns the last result: success, or the failing page.
  ApiResult list_pages(std::string_view path, boost::json::array& items,
                       int per_page = 50, int max_pages = 200) const;
  // The same, starting from page 1 already fetched (`path` with
  // page=1&per_page=N, e.g. in a batch with other reads).
  ApiResult list_pages(std::string_view path, boost::json::array& items, int per_page, int max_pages,
                       ApiResult page_one) const;
  // Cursor list: follows result_info.cursor until it is absent or empty,
  // appending every item to `items` (a copy: the pages live in their own
  // arenas; the visitor overload below copies nothing).
  // `items_key` names the array inside result ("buckets" for R2 buckets);
  // empty when result itself is the array.
  ApiResult list_cursor(std::string_view path, boost::json::array& items,
                        std::string_view items_key = {}, int per_page = 0,
                        int max_pages = 1000) const;
  // The same, handing each item to `each` (which may move from it) instead
  // of collecting them: nothing is copied.
  ApiResult list_cursor(std::string_view path, const std::function<void(boost::json::value&)>& each,
                        std::string_view items_key = {}, int per_page = 0,
                        int max_pages = 1000) const;

 private:
  // Adds the hint a wrong base URL deserves.
  void annotate(ApiResult& result) const;

  const Call& call_;
  std::string base_;
};

// Small JSON accessors used by every Cloudflare plugin.
std::string string_at(const boost::json::object& object, std::string_view key);
const boost::json::object* object_at(const boost::json::object& object, std::string_view key);
const boost::json::array* array_at(const boost::json::object& object, std::string_view key);
bool bool_at(const boost::json::object& object, std::string_view key, bool fallback);

}  // namespace pipewright::cloudflare
