// Shared by the product tests: paths, a multipart builder for Worker uploads.
#pragma once

#include "test_client.hpp"

#include <string>
#include <vector>

namespace pw::sandbox::test {

inline std::string r2(const Identity& id, const std::string& rest = "") {
  return "/accounts/" + id.account_id + "/r2/buckets" + rest;
}
inline std::string scripts(const Identity& id, const std::string& rest = "") {
  return "/accounts/" + id.account_id + "/workers/scripts" + rest;
}
inline std::string zone_path(const Identity& id, const std::string& rest) { return "/zones/" + id.zone_id + rest; }

struct FormPart {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
};

// A multipart/form-data body and its Content-Type header.
inline std::pair<std::string, std::string> multipart(const std::vector<FormPart>& parts) {
  const std::string boundary = "----pwtestboundary7MA4YWxkTrZu0gW";
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) body += "; filename=\"" + *p.filename + "\"";
    body += "\r\n";
    if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
    body += "\r\n" + p.body + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {body, "multipart/form-data; boundary=" + boundary};
}

inline HttpResponse upload(TestClient& c, const std::string& path, const std::vector<FormPart>& parts, Headers h,
                           const std::string& method = "PUT") {
  auto [body, type] = multipart(parts);
  h.emplace_back("Content-Type", type);
  return c.request(method, path, h, body);
}

// wrangler's layout: metadata as a plain field, the module named after itself.
inline std::vector<FormPart> module_worker(const json::object& metadata, const std::string& source = "export default { fetch() { return new Response('hi'); } };") {
  return {{"metadata", std::nullopt, "", json::serialize(metadata)},
          {"index.js", "index.js", "application/javascript+module", source}};
}

}  // namespace pw::sandbox::test
