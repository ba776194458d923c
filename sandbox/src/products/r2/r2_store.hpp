// R2 state shared by the bucket and object handlers: tables, the bucket
// addressed by a request (account + jurisdiction + name), and the checks that
// every R2 endpoint makes in the order of docs/cloudflare-api.md 2.2.
#pragma once

#include "products/r2.hpp"
#include "server/context.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pw::sandbox {

void install_r2_schema(Db& db);
void add_r2_bucket_endpoints(Router& r);
void add_r2_object_endpoints(Router& r);
// CORS, lifecycle and lock rules (r2_bucket_config_endpoints.cpp).
void install_r2_bucket_config_schema(Db& db);
void add_r2_bucket_config_endpoints(Router& r);
void remove_r2_bucket_configs(State& state, std::string_view account, std::string_view jurisdiction,
                              std::string_view bucket);

// Headers R2 keeps as an object's http_metadata, by their JSON names.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 6> r2_metadata_headers{{
    {"content-type", "contentType"},
    {"content-language", "contentLanguage"},
    {"content-disposition", "contentDisposition"},
    {"content-encoding", "contentEncoding"},
    {"cache-control", "cacheControl"},
    {"expires", "cacheExpiry"},
}};
// The http_metadata JSON text of an upload (contentType defaults to
// application/octet-stream), from its headers.
std::string r2_http_metadata(const Request& req);

// An If-Match / If-None-Match list (quoted or not, W/ ignored, "*") names `etag`.
bool r2_etag_listed(std::string_view list, std::string_view etag);
// "Sun, 06 Nov 1994 08:49:37 GMT" from a stored RFC 3339 time; "" if unreadable.
std::string r2_http_date(std::string_view rfc3339);

// An object's row in r2_objects, whichever API wrote it.
struct R2ObjectRow {
  std::string account, jurisdiction, bucket, key;
  std::uint64_t size = 0;
  std::string etag;             // without quotes: MD5 hex, or "<hex>-<parts>"
  std::string http_metadata;    // JSON object text
  std::string custom_metadata;  // JSON object text
  std::string storage_class;    // Standard | InfrequentAccess
};
// Adopts `body` (a finished temp file) as the object's blob and writes the
// row, replacing (and freeing) an older object of the same key.
struct R2Stored {
  std::string version, uploaded;
};
R2Stored r2_put_object_row(State& state, const R2ObjectRow& row, const std::filesystem::path& body);
// Removes the row and its blob; false when there was none.
bool r2_delete_object_row(State& state, std::string_view account, std::string_view jurisdiction,
                          std::string_view bucket, std::string_view key);
// The rule R2 names buckets by (3-63 of a-z 0-9 -, no hyphen at either end).
bool r2_valid_bucket_name(std::string_view name);

// The jurisdiction a request addresses (header cf-r2-jurisdiction, default
// "default"), or the 400 to send for an unknown one.
Outcome<std::string> request_jurisdiction(const Request& req);

// Permission groups, as docs/cloudflare-api.md 5.2/5.3 list them.
inline const GroupNames r2_account_read{"Workers R2 Storage Read", "Workers R2 Storage Write"};
inline const GroupNames r2_account_write{"Workers R2 Storage Write"};
inline const GroupNames r2_item_read{"Workers R2 Storage Read", "Workers R2 Storage Write",
                                     "Workers R2 Storage Bucket Item Read",
                                     "Workers R2 Storage Bucket Item Write"};
inline const GroupNames r2_item_write{"Workers R2 Storage Write", "Workers R2 Storage Bucket Item Write"};

bool r2_bucket_exists_anywhere(State& state, std::string_view account_id, std::string_view name);
Response r2_no_such_bucket();  // 404 10006

// List cursors are the hex of the position to resume after: opaque to clients.
std::string r2_to_cursor(std::string_view resume_after);
std::optional<std::string> r2_from_cursor(std::string_view cursor);
// per_page clamped to [1, max]; `fallback` when absent or not a number.
std::int64_t r2_per_page(const Request& req, std::int64_t fallback, std::int64_t max);
// 400 10040 for arguments R2 rejects that have no code of their own
// (docs/sandbox.md, "Product endpoints").
Response r2_invalid_argument(std::string message);

}  // namespace pw::sandbox
