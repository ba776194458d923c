// R2 through its S3 API (docs/cloudflare-api.md 5.3a, docs/sandbox.md "The
// S3 door"): buckets of the demo account path-style at the S3 listener's
// root, over the same r2_buckets / r2_objects rows and blobs as the REST
// API. The dispatcher has authenticated the request (SigV4); handlers check
// R2 permissions and answer S3 XML. Multipart uploads are in s3_multipart.cpp.
#include "s3_store.hpp"

#include <boost/json.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <charconv>
#include <pipewright/util/sigv4.hpp>
#include <pipewright/util/text.hpp>
#include <sstream>

#include "store/clock.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

constexpr std::size_t max_key_bytes = 1024;
constexpr std::size_t max_delete_keys = 1000;

std::string s3_storage_class(std::string_view r2_class) {
  return r2_class == "InfrequentAccess" ? "STANDARD_IA" : "STANDARD";
}

// S3 writes times with milliseconds: 2026-01-01T00:00:00.000Z.
std::string xml_time(std::string_view rfc3339) {
  auto t = util::parse_rfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  std::string s = util::format_rfc3339(*t, true);  // .123456Z
  auto dot = s.find('.');
  return dot == std::string::npos ? s : s.substr(0, dot + 4) + "Z";
}

Response list_buckets(RequestContext& ctx) {
  const std::string& account = s3_account(ctx);
  const bool account_wide = ctx.allowed(r2_account_read, Resource::account(account));
  auto s = ctx.state.db.query(
      "SELECT name, creation_date FROM r2_buckets WHERE account_id=?1 AND jurisdiction='default' ORDER BY name",
      account);
  std::string buckets;
  bool any = account_wide;
  while (s.step()) {
    if (!account_wide && !ctx.allowed(r2_item_read, Resource::r2_bucket(account, "default", s.text(0)))) continue;
    any = true;
    buckets += "<Bucket>" + s3_tag("Name", s.view(0)) + s3_tag("CreationDate", xml_time(s.view(1))) + "</Bucket>";
  }
  if (!any) return s3_access_denied(ctx);
  return s3_xml("<ListAllMyBucketsResult xmlns=\"" + std::string(s3_namespace) + "\"><Owner>" +
                s3_tag("ID", account) + s3_tag("DisplayName", account) + "</Owner><Buckets>" + buckets +
                "</Buckets></ListAllMyBucketsResult>");
}

Response head_bucket(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  Response r;
  r.content_type.clear();
  r.header("x-amz-bucket-region", "auto");
  return r;
}

Response create_bucket(RequestContext& ctx) {
  const std::string& account = s3_account(ctx);
  const std::string& bucket = ctx.param("bucket");
  if (!ctx.allowed(r2_account_write, Resource::account(account))) return s3_access_denied(ctx);
  if (!r2_valid_bucket_name(bucket))
    return s3_error(400, "InvalidBucketName",
                    "Bucket names are 3 to 63 characters: lower-case letters, digits and hyphens, "
                    "starting and ending with a letter or digit.",
                    ctx.request.path);
  if (r2_bucket_exists(ctx.state, account, "default", bucket))
    return s3_error(409, "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    ctx.request.path);
  ctx.state.db
      .query("INSERT INTO r2_buckets(account_id,jurisdiction,name,creation_date,location,storage_class) "
             "VALUES(?1,'default',?2,?3,'ENAM','Standard')",
             account, bucket, now_rfc3339(true))
      .run();
  Response r;
  r.content_type.clear();
  r.header("Location", "/" + bucket);
  return r;
}

Response delete_bucket(RequestContext& ctx) {
  const std::string& account = s3_account(ctx);
  const std::string& bucket = ctx.param("bucket");
  if (!ctx.allowed(r2_account_write, Resource::account(account))) return s3_access_denied(ctx);
  if (!r2_bucket_exists(ctx.state, account, "default", bucket)) return s3_no_such_bucket(ctx);
  auto s = ctx.state.db.query(
      "SELECT 1 FROM r2_objects WHERE account_id=?1 AND jurisdiction='default' AND bucket=?2 LIMIT 1", account,
      bucket);
  if (s.step())
    return s3_error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.", ctx.request.path);
  ctx.state.db.query("DELETE FROM r2_buckets WHERE account_id=?1 AND jurisdiction='default' AND name=?2", account,
                     bucket)
      .run();
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

// ListObjectsV2 (list-type=2) and the original ListObjects: keys in byte
// order; with a delimiter, keys sharing a prefix up to the next delimiter
// collapse into one CommonPrefixes entry that counts toward max-keys.
Response list_objects(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  const auto& q = ctx.request;
  const bool v2 = q.query_param("list-type") == "2";
  const std::string prefix = q.query_param("prefix").value_or("");
  const std::string delimiter = q.query_param("delimiter").value_or("");
  const bool url_encoding = q.query_param("encoding-type") == "url";
  if (auto e = q.query_param("encoding-type"); e && *e != "url")
    return s3_error(400, "InvalidArgument", "Invalid Encoding Method specified in Request", q.path);
  std::int64_t max_keys = 1000;
  if (auto m = q.query_param("max-keys")) {
    auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), max_keys);
    if (ec != std::errc() || end != m->data() + m->size() || max_keys < 0)
      return s3_error(400, "InvalidArgument", "max-keys must be an integer between 0 and 2147483647.", q.path);
    max_keys = std::min<std::int64_t>(max_keys, 1000);
  }
  std::string after;
  std::optional<std::string> token, start_after, marker;
  if (v2) {
    start_after = q.query_param("start-after");
    after = start_after.value_or("");
    token = q.query_param("continuation-token");
    if (token) {
      auto decoded = r2_from_cursor(*token);
      if (!decoded)
        return s3_error(400, "InvalidArgument", "The continuation token provided is incorrect.", q.path);
      after = std::max(after, *decoded);
    }
  } else {
    marker = q.query_param("marker");
    after = marker.value_or("");
    // A NextMarker that is a common prefix resumes past every key under it.
    if (!delimiter.empty() && after.starts_with(prefix) && after.size() > prefix.size() &&
        after.ends_with(delimiter))
      after += "\xff";
  }
  const std::string& account = s3_account(ctx);
  auto s = ctx.state.db.query(
      "SELECT key, size, etag, uploaded, storage_class FROM r2_objects WHERE account_id=?1 AND "
      "jurisdiction='default' AND bucket=?2 AND key>?3 AND key>=?4 ORDER BY key",
      account, ctx.param("bucket"), after, prefix);
  auto enc = [&](std::string_view text) {
    return url_encoding ? sigv4::uri_encode(text, true) : std::string(text);
  };
  std::string contents, prefixes, last, last_prefix;
  std::int64_t count = 0;
  bool truncated = false;
  while (s.step()) {
    const std::string_view key = s.view(0);
    if (!key.starts_with(prefix)) break;  // keys with the prefix are contiguous
    std::string_view common;
    if (!delimiter.empty()) {
      auto pos = key.find(delimiter, prefix.size());
      if (pos != std::string_view::npos) common = key.substr(0, pos + delimiter.size());
    }
    if (!common.empty() && common == last_prefix) continue;
    if (count == max_keys) {
      truncated = max_keys > 0;
      break;
    }
    ++count;
    if (!common.empty()) {
      prefixes += "<CommonPrefixes>" + s3_tag("Prefix", enc(common)) + "</CommonPrefixes>";
      last_prefix = common;
      last = last_prefix + "\xff";  // resume past every key under it (0xFF never occurs in UTF-8)
    } else {
      contents += "<Contents>" + s3_tag("Key", enc(key)) + s3_tag("LastModified", xml_time(s.view(3))) +
                  s3_tag("ETag", "\"" + std::string(s.view(2)) + "\"") + s3_tag("Size", std::to_string(s.integer(1))) +
                  s3_tag("StorageClass", s3_storage_class(s.view(4))) + "</Contents>";
      last = key;
    }
  }
  std::string body = "<ListBucketResult xmlns=\"" + std::string(s3_namespace) + "\">" +
                     s3_tag("Name", ctx.param("bucket")) + s3_tag("Prefix", enc(prefix));
  if (v2) {
    if (token) body += s3_tag("ContinuationToken", *token);
    if (start_after) body += s3_tag("StartAfter", enc(*start_after));
    body += s3_tag("KeyCount", std::to_string(count));
  } else {
    body += s3_tag("Marker", enc(marker.value_or("")));
  }
  body += s3_tag("MaxKeys", std::to_string(max_keys));
  if (!delimiter.empty()) body += s3_tag("Delimiter", enc(delimiter));
  if (url_encoding) body += s3_tag("EncodingType", "url");
  body += s3_tag("IsTruncated", truncated ? "true" : "false");
  if (truncated) {
    if (v2)
      body += s3_tag("NextContinuationToken", r2_to_cursor(last));
    else
      body += s3_tag("NextMarker", enc(last.ends_with('\xff') ? last_prefix : last));
  }
  body += contents + prefixes + "</ListBucketResult>";
  return s3_xml(std::move(body));
}

Response get_bucket_location(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  return s3_xml("<LocationConstraint xmlns=\"" + std::string(s3_namespace) + "\">auto</LocationConstraint>");
}

// DeleteObjects: <Delete><Quiet/><Object><Key/></Object>...</Delete>, at
// most 1,000 keys; a missing key counts as deleted (S3 semantics).
Response delete_objects(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  auto root = s3_xml_body(ctx, "Delete");
  if (!root) return s3_malformed_xml(ctx);
  const bool quiet = root->get<std::string>("Quiet", "false") == "true";
  std::vector<std::string> keys;
  for (const auto& [name, child] : *root) {
    if (name != "Object") continue;
    auto key = child.get_optional<std::string>("Key");
    if (!key) return s3_malformed_xml(ctx);
    keys.push_back(*key);
  }
  if (keys.empty() || keys.size() > max_delete_keys) return s3_malformed_xml(ctx);
  const std::string& account = s3_account(ctx);
  const std::string& bucket = ctx.param("bucket");
  std::string results;
  for (const auto& key : keys) {
    r2_delete_object_row(ctx.state, account, "default", bucket, key);
    if (!quiet) results += "<Deleted>" + s3_tag("Key", key) + "</Deleted>";
  }
  return s3_xml("<DeleteResult xmlns=\"" + std::string(s3_namespace) + "\">" + results + "</DeleteResult>");
}

Response put_object(RequestContext& ctx) {
  if (ctx.request.header("x-amz-copy-source"))
    return s3_error(501, "NotImplemented", "CopyObject is not emulated by the sandbox.", ctx.request.path);
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  const std::string& key = ctx.param("key");
  if (key.size() > max_key_bytes)
    return s3_error(400, "KeyTooLongError", "Your key is too long.", ctx.request.path);
  if (!ctx.request.body_file) return s3_internal_error(ctx);
  const auto& temp = *ctx.request.body_file;
  const auto size = std::filesystem::file_size(temp);
  if (size > s3_max_object_size)
    return s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.",
                    ctx.request.path);
  auto storage_class = s3_requested_storage_class(ctx);
  if (!storage_class) return std::move(storage_class.error());
  auto digest = file_md5(temp);
  if (!digest) return s3_internal_error(ctx);
  const std::string etag = util::hex(*digest);
  R2ObjectRow row{s3_account(ctx), "default", ctx.param("bucket"), key, size, etag,
                  r2_http_metadata(ctx.request), s3_custom_metadata(ctx.request), *storage_class};
  r2_put_object_row(ctx.state, row, temp);
  Response r;
  r.content_type.clear();
  r.header("ETag", "\"" + etag + "\"");
  return r;
}

struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
};

// "bytes=a-b", "bytes=a-", "bytes=-n"; nullopt: not satisfiable. A header
// this does not understand is ignored (whole body), as HTTP allows.
std::optional<std::optional<ByteRange>> parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view unit = "bytes=";
  if (!header.starts_with(unit) || header.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  header.remove_prefix(unit.size());
  auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  auto number = [](std::string_view t, std::uint64_t& v) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && end == t.data() + t.size() && !t.empty();
  };
  std::uint64_t a = 0, b = 0;
  std::string_view first = header.substr(0, dash), last = header.substr(dash + 1);
  if (first.empty()) {
    if (!number(last, b)) return std::optional<ByteRange>();
    if (b == 0 || size == 0) return std::nullopt;
    return std::optional<ByteRange>(ByteRange{size - std::min(b, size), size - 1});
  }
  if (!number(first, a)) return std::optional<ByteRange>();
  if (last.empty()) b = size - 1;
  else if (!number(last, b) || b < a) return std::optional<ByteRange>();
  if (a >= size) return std::nullopt;
  return std::optional<ByteRange>(ByteRange{a, std::min(b, size - 1)});
}

// GetObject and HeadObject (the connection sends no body for HEAD).
Response get_object(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  auto s = ctx.state.db.query(
      "SELECT size, etag, uploaded, http_metadata, custom_metadata, blob_id FROM r2_objects WHERE account_id=?1 "
      "AND jurisdiction='default' AND bucket=?2 AND key=?3",
      s3_account(ctx), ctx.param("bucket"), ctx.param("key"));
  if (!s.step())
    return s3_error(404, "NoSuchKey", "The specified key does not exist.", ctx.request.path);
  const auto size = static_cast<std::uint64_t>(s.integer(0));
  const std::string etag = s.text(1);
  Response r;
  r.header("ETag", "\"" + etag + "\"");
  r.header("Last-Modified", r2_http_date(s.view(2)));
  r.header("Accept-Ranges", "bytes");
  if (auto im = ctx.request.header("if-match"); im && !r2_etag_listed(*im, etag))
    return s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                    ctx.request.path);
  if (auto inm = ctx.request.header("if-none-match"); inm && r2_etag_listed(*inm, etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  json::value meta = json::parse(s.view(3));
  const auto& m = meta.as_object();
  r.content_type = m.contains("contentType") ? std::string(m.at("contentType").as_string())
                                             : "application/octet-stream";
  for (auto [header, field] : r2_metadata_headers)
    if (header != "content-type" && m.contains(field))
      r.header(std::string(header), std::string(m.at(field).as_string()));
  json::value custom = json::parse(s.view(4));
  for (const auto& [name, value] : custom.as_object())
    if (value.is_string()) r.header("x-amz-meta-" + std::string(name), std::string(value.as_string()));
  // response-* query parameters override what the answer says (presigned downloads use them).
  for (auto [header, field] : r2_metadata_headers) {
    auto override_value = ctx.request.query_param("response-" + std::string(header));
    if (!override_value) continue;
    if (header == "content-type") {
      r.content_type = *override_value;
      continue;
    }
    std::erase_if(r.headers, [h = header](const auto& kv) { return util::iequals(kv.first, h); });
    r.header(std::string(header), *override_value);
  }
  std::optional<ByteRange> range;
  if (auto h = ctx.request.header("range")) {
    auto parsed = parse_range(*h, size);
    if (!parsed) {
      Response bad = s3_error(416, "InvalidRange", "The requested range is not satisfiable", ctx.request.path);
      bad.header("Content-Range", "bytes */" + std::to_string(size));
      return bad;
    }
    range = *parsed;
  }
  if (!range) {
    r.file = ctx.state.objects.open(s.text(5));
    if (!r.file) return s3_internal_error(ctx);
    return r;
  }
  r.file = ctx.state.objects.open_range(s.text(5), range->first, range->last - range->first + 1);
  if (!r.file) return s3_internal_error(ctx);
  r.status = 206;
  r.header("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                                std::to_string(size));
  return r;
}

Response delete_object(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  r2_delete_object_row(ctx.state, s3_account(ctx), "default", ctx.param("bucket"), ctx.param("key"));
  Response r;
  r.status = 204;  // idempotent: a missing key is not an error
  r.content_type.clear();
  return r;
}

// One path, several operations: S3 tells them apart by the query.
Response bucket_get(RequestContext& ctx) {
  const auto& q = ctx.request;
  if (q.query_param("location")) return get_bucket_location(ctx);
  if (q.query_param("uploads")) return s3_list_multipart_uploads(ctx);
  for (std::string_view sub : {"acl", "cors", "lifecycle", "policy", "versioning", "website", "tagging",
                               "encryption", "versions", "object-lock", "replication", "logging"})
    if (q.query_param(sub))
      return s3_error(501, "NotImplemented", "GET ?" + std::string(sub) + " is not emulated by the sandbox.",
                      q.path);
  return list_objects(ctx);
}

Response bucket_post(RequestContext& ctx) {
  if (ctx.request.query_param("delete")) return delete_objects(ctx);
  return s3_error(400, "InvalidRequest", "POST on a bucket needs ?delete (DeleteObjects).", ctx.request.path);
}

Response object_put(RequestContext& ctx) {
  if (ctx.request.query_param("uploadId") || ctx.request.query_param("partNumber")) return s3_upload_part(ctx);
  return put_object(ctx);
}

Response object_get(RequestContext& ctx) {
  if (ctx.request.query_param("uploadId")) return s3_list_parts(ctx);
  return get_object(ctx);
}

Response object_delete(RequestContext& ctx) {
  if (ctx.request.query_param("uploadId")) return s3_abort_multipart_upload(ctx);
  return delete_object(ctx);
}

Response object_post(RequestContext& ctx) {
  if (ctx.request.query_param("uploads")) return s3_create_multipart_upload(ctx);
  if (ctx.request.query_param("uploadId")) return s3_complete_multipart_upload(ctx);
  return s3_error(400, "InvalidRequest", "POST on an object needs ?uploads or ?uploadId.", ctx.request.path);
}

}  // namespace

const std::string& s3_account(const RequestContext& ctx) { return ctx.state.identity.account_id; }

Response s3_access_denied(const RequestContext& ctx) {
  return s3_error(403, "AccessDenied",
                  "Access Denied: the API token needs an R2 permission (Workers R2 Storage Read or Write, "
                  "or Bucket Item Read or Write) on this account or bucket.",
                  ctx.request.path);
}

Response s3_no_such_bucket(const RequestContext& ctx) {
  return s3_error(404, "NoSuchBucket", "The specified bucket does not exist.", ctx.request.path);
}

Response s3_internal_error(const RequestContext& ctx) {
  return s3_error(500, "InternalError", "Internal error in the sandbox; see its log.", ctx.request.path);
}

Response s3_malformed_xml(const RequestContext& ctx) {
  return s3_error(400, "MalformedXML",
                  "The XML you provided was not well-formed or did not validate against our published schema.",
                  ctx.request.path);
}

std::string s3_tag(std::string_view name, std::string_view text) {
  return "<" + std::string(name) + ">" + util::xml_escape(text) + "</" + std::string(name) + ">";
}

std::optional<boost::property_tree::ptree> s3_xml_body(const RequestContext& ctx, const char* root) {
  namespace pt = boost::property_tree;
  // The parser recurses per level: a deeply nested body must not reach it.
  constexpr int max_depth = 16;
  if (util::xml_depth(ctx.request.body, max_depth) > max_depth) return std::nullopt;
  pt::ptree doc;
  try {
    std::istringstream in(ctx.request.body);
    pt::read_xml(in, doc);
  } catch (const pt::ptree_error&) {
    return std::nullopt;
  }
  auto child = doc.get_child_optional(root);
  if (!child) return std::nullopt;
  return *child;
}

std::optional<Response> s3_bucket_access(RequestContext& ctx, const GroupNames& groups) {
  const std::string& account = s3_account(ctx);
  const std::string& bucket = ctx.param("bucket");
  if (!ctx.allowed(groups, Resource::r2_bucket(account, "default", bucket))) return s3_access_denied(ctx);
  if (!r2_bucket_exists(ctx.state, account, "default", bucket)) return s3_no_such_bucket(ctx);
  return std::nullopt;
}

Outcome<std::string> s3_requested_storage_class(RequestContext& ctx) {
  auto requested = ctx.request.header("x-amz-storage-class");
  if (!requested || requested->empty()) {
    auto s = ctx.state.db.query(
        "SELECT storage_class FROM r2_buckets WHERE account_id=?1 AND jurisdiction='default' AND name=?2",
        s3_account(ctx), ctx.param("bucket"));
    return s.step() ? s.text(0) : std::string("Standard");
  }
  if (*requested == "STANDARD") return std::string("Standard");
  if (*requested == "STANDARD_IA") return std::string("InfrequentAccess");
  return s3_error(400, "InvalidStorageClass", "R2 storage classes are STANDARD and STANDARD_IA.",
                  ctx.request.path);
}

std::string s3_custom_metadata(const Request& req) {
  constexpr std::string_view prefix = "x-amz-meta-";
  json::object custom;
  for (const auto& f : req.headers) {
    std::string name = util::lower(f.name_string());
    if (name.starts_with(prefix) && name.size() > prefix.size())
      custom[name.substr(prefix.size())] = std::string(f.value());
  }
  return json::serialize(custom);
}

void add_r2_s3_endpoints(Router& r) {
  RouteOptions upload;
  upload.body_to_file = true;
  upload.body_limit = s3_max_object_size + (16 << 20);  // aws-chunked framing on top of the largest body
  RouteOptions xml;
  xml.body_limit = 4 << 20;  // DeleteObjects: 1,000 keys of 1,024 bytes, escaped
  r.add("GET", "/", list_buckets);
  r.add("HEAD", "/{bucket}", head_bucket);
  r.add("GET", "/{bucket}", bucket_get);
  r.add("PUT", "/{bucket}", create_bucket, xml);
  r.add("DELETE", "/{bucket}", delete_bucket);
  r.add("POST", "/{bucket}", bucket_post, xml);
  r.add("PUT", "/{bucket}/{key*}", object_put, upload);
  r.add("GET", "/{bucket}/{key*}", object_get);
  r.add("HEAD", "/{bucket}/{key*}", get_object);
  r.add("DELETE", "/{bucket}/{key*}", object_delete);
  r.add("POST", "/{bucket}/{key*}", object_post, xml);
}

}  // namespace pw::sandbox
