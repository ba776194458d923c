// Parses the multipart/form-data bodies of Worker script uploads (both the
// wrangler and the TS SDK layouts). Parts point into the caller's body, which
// must outlive them. Part of the Workers room's API so that the request
// fuzzer (tests/fuzz) can feed it untrusted bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::sandbox {

struct MultipartPart {
  std::string name;                     // Content-Disposition name=
  std::optional<std::string> filename;  // Content-Disposition filename=
  std::string content_type;             // empty when the part has none
  std::string_view body;
};

// The boundary parameter of a multipart Content-Type, or nullopt when the
// header is not multipart or carries no boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Splits body into parts; nullopt when it is not well-formed multipart.
std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                          std::string_view boundary);

}  // namespace pw::sandbox
