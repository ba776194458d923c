// What the S3 door's handlers share (s3_endpoints.cpp, s3_multipart.cpp):
// the account it serves, the bucket check, S3's refusals, the metadata an
// upload carries, and the multipart operations.
#pragma once

#include <boost/property_tree/ptree.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "r2_store.hpp"
#include "server/s3_error.hpp"

namespace pw::sandbox {

inline constexpr std::string_view s3_namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
// R2: a single PutObject or UploadPart holds at most 5 GiB minus 5 MiB.
inline constexpr std::uint64_t s3_max_object_size = (5ull << 30) - (5ull << 20);

// The account whose buckets the S3 listener serves: the demo account (the
// real endpoint names it in its hostname).
const std::string& s3_account(const RequestContext& ctx);
Response s3_access_denied(const RequestContext& ctx);
Response s3_no_such_bucket(const RequestContext& ctx);
Response s3_internal_error(const RequestContext& ctx);
Response s3_malformed_xml(const RequestContext& ctx);

// <name>text</name>, the text escaped.
std::string s3_tag(std::string_view name, std::string_view text);

// The request body's root element `root`; nullopt when the body is not
// well-formed XML with that root, or is nested too deep for the recursive
// parser (answer s3_malformed_xml).
std::optional<boost::property_tree::ptree> s3_xml_body(const RequestContext& ctx, const char* root);
// AccessDenied without one of `groups` on the bucket, then NoSuchBucket.
std::optional<Response> s3_bucket_access(RequestContext& ctx, const GroupNames& groups);
// x-amz-storage-class as R2 names it, else the bucket's default.
Outcome<std::string> s3_requested_storage_class(RequestContext& ctx);
// The custom_metadata JSON the REST API keeps, from x-amz-meta-* headers.
std::string s3_custom_metadata(const Request& req);

void install_r2_s3_schema(Db& db);
Response s3_create_multipart_upload(RequestContext& ctx);
Response s3_upload_part(RequestContext& ctx);
Response s3_complete_multipart_upload(RequestContext& ctx);
Response s3_abort_multipart_upload(RequestContext& ctx);
Response s3_list_parts(RequestContext& ctx);
Response s3_list_multipart_uploads(RequestContext& ctx);

}  // namespace pw::sandbox
