// What an endpoint's handler sees of an HTTP request, and what it returns.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/file_body.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::sandbox {

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // as received, with the query
  std::string path;    // without the query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
  boost::beast::http::fields headers;                      // case-insensitive lookup
  std::string body;  // empty when the endpoint streams its body to body_file
  // Set for routes registered with RouteOptions::body_to_file: the body was
  // streamed into this temp file. Adopt it with ObjectStore::adopt(), or the
  // server deletes it after the response.
  std::optional<std::filesystem::path> body_file;
  std::string peer_ip;

  std::optional<std::string> query_param(std::string_view name) const;
  std::optional<std::string> header(std::string_view name) const;
};

// %XX sequences decoded (paths, keys); anything else, malformed escapes too, kept.
std::string percent_decode(std::string_view s);

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is streamed from this open file instead of `body`
  // (ObjectStore::open). Open it in the handler (the state strand) so a
  // concurrent delete cannot remove it between the handler and the write.
  std::shared_ptr<boost::beast::http::file_body::value_type> file;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace pw::sandbox
