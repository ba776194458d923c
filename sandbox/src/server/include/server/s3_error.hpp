// S3's wire format for errors, as R2's S3 API answers them:
//   <Error><Code>NoSuchKey</Code><Message>...</Message>
//   <Resource>/bucket/key</Resource><RequestId>...</RequestId></Error>
// with the HTTP status S3 gives the code.
#pragma once

#include <string>
#include <string_view>

#include "wire/http_types.hpp"

namespace pw::sandbox {

// `resource` is the request's path (bucket or bucket/key), never a credential.
Response s3_error(unsigned status, std::string_view code, std::string_view message,
                  std::string_view resource = "");

// An S3 XML document: the declaration, then `body` (already XML).
Response s3_xml(std::string body, unsigned status = 200);

}  // namespace pw::sandbox
