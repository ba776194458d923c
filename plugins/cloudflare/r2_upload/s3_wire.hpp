// The S3 API's XML, as cloudflare.r2.upload speaks it to R2 (see
// docs/cloudflare-api.md §5.3a): the bodies it sends and the answers it
// reads. Pure functions, unit-tested without a network.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pipewright::cloudflare::s3 {

struct ListedObject {
  std::string key;
  std::string etag;  // without quotes: an MD5 in hex, or "<hex>-<parts>"
  std::uint64_t size = 0;
};

// One page of ListObjectsV2.
struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;  // with a delimiter
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};

// nullopt and `error` set when the text is not a ListBucketResult.
std::optional<ListPage> parse_list_page(std::string_view xml, std::string& error);

// Follows a listing's continuation tokens: refuses a token given before (an endpoint cycling
// A, B, A would never end) and more than `max_pages` pages.
class ListingCursor {
 public:
  explicit ListingCursor(std::size_t max_pages = 100000) : max_pages_(max_pages) {}
  // An error when the listing must stop rather than ask for the page after `page`.
  std::optional<std::string> refuse_next(const ListPage& page);

 private:
  std::size_t max_pages_;
  std::size_t pages_ = 0;
  std::set<std::string> seen_;
};

// An S3 error answer (<Error><Code>…</Code><Message>…</Message></Error>);
// nullopt when the body is not one.
struct Error {
  std::string code;
  std::string message;
};
std::optional<Error> parse_error(std::string_view xml);

// DeleteObjects: the request body for up to 1,000 keys (quiet: only
// failures are reported), and the keys the answer says were not deleted,
// each with its error code.
std::string delete_objects_body(const std::vector<std::string>& keys);
std::optional<std::vector<std::pair<std::string, Error>>> parse_delete_result(std::string_view xml,
                                                                                std::string& error);

// Multipart upload: the UploadId of CreateMultipartUpload's answer, and
// CompleteMultipartUpload's body from the parts' ETags (part 1 first).
std::optional<std::string> parse_upload_id(std::string_view xml);
std::string complete_multipart_body(const std::vector<std::string>& part_etags);
// The ETag (without quotes) in CompleteMultipartUpload's answer; empty when
// it has none.
std::string parse_complete_etag(std::string_view xml);

// Base64 of the body's MD5, the Content-MD5 header S3 requires on
// DeleteObjects.
std::string content_md5(std::string_view body);

}  // namespace pipewright::cloudflare::s3
