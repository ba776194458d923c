// R2 objects through the REST API (docs/cloudflare-api.md 5.3). Bodies stream to
// a file (RouteOptions::body_to_file) and are adopted by the ObjectStore; the
// row in r2_objects is the only reference to a blob.
#include "store/clock.hpp"

// GCC 12 at -O1 reports false -Warray-bounds/-Wstringop-overflow inside
// libstdc++'s std::string operator+ (the SQL text concatenations below).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#include "r2_store.hpp"
#include "store/ids.hpp"

#include <boost/json.hpp>

#include <array>
#include <memory>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

constexpr std::uint64_t max_object_size = 300ull << 20;  // wrangler refuses > 300 MiB
constexpr std::size_t max_key_bytes = 1024;

// The bucket an endpoint addresses, after the permission check (2.2 order).
struct BucketRef {
  std::string account, jurisdiction, bucket;
};

Outcome<BucketRef> bucket_for(RequestContext& ctx, const GroupNames& groups) {
  auto jurisdiction = request_jurisdiction(ctx.request);
  if (!jurisdiction) return std::move(jurisdiction.error());
  BucketRef ref{ctx.param("account_id"), *jurisdiction, ctx.param("bucket")};
  if (auto denied = ctx.require(groups, Resource::r2_bucket(ref.account, ref.jurisdiction, ref.bucket)))
    return std::move(*denied);
  if (!r2_bucket_exists(ctx.state, ref.account, ref.jurisdiction, ref.bucket)) return r2_no_such_bucket();
  return ref;
}

Response no_such_key() { return fail(404, 10007, "The specified key does not exist."); }

constexpr std::string_view object_columns =
    "SELECT key, size, etag, version, uploaded, http_metadata, custom_metadata, storage_class, blob_id "
    "FROM r2_objects";

Response put_object(RequestContext& ctx) {
  auto ref = bucket_for(ctx, r2_item_write);
  if (!ref) return std::move(ref.error());
  const auto& key = ctx.param("key");
  if (key.size() > max_key_bytes) return r2_invalid_argument("Object keys are limited to 1024 bytes.");
  if (!ctx.request.body_file) return internal_error();
  const auto& temp = *ctx.request.body_file;
  const auto size = std::filesystem::file_size(temp);
  if (size > max_object_size) return fail(413, 100100, "Objects uploaded through the API are limited to 300 MB.");
  std::string storage_class = ctx.request.header("cf-r2-storage-class").value_or("");
  if (storage_class.empty()) {
    auto s = ctx.state.db.query("SELECT storage_class FROM r2_buckets WHERE account_id=?1 AND jurisdiction=?2 AND name=?3",
                                ref->account, ref->jurisdiction, ref->bucket);
    storage_class = s.step() ? s.text(0) : "Standard";
  } else if (storage_class != "Standard" && storage_class != "InfrequentAccess") {
    return r2_invalid_argument("Header cf-r2-storage-class must be Standard or InfrequentAccess.");
  }
  auto digest = file_md5(temp);
  if (!digest) return internal_error();
  const auto etag = util::hex(*digest);

  const R2ObjectRow row{ref->account, ref->jurisdiction, ref->bucket, key, size, etag,
                        r2_http_metadata(ctx.request), "{}", storage_class};
  const auto [version, uploaded] = r2_put_object_row(ctx.state, row, temp);
  return ok(json::object{{"key", key},
                         {"size", std::to_string(size)},
                         {"etag", etag},
                         {"version", version},
                         {"uploaded", uploaded},
                         {"storage_class", storage_class}});
}

Response get_object(RequestContext& ctx) {
  auto ref = bucket_for(ctx, r2_item_read);
  if (!ref) return std::move(ref.error());
  auto s = ctx.state.db.query(std::string(object_columns) + " WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key=?4",
                              ref->account, ref->jurisdiction, ref->bucket, ctx.param("key"));
  if (!s.step()) return no_such_key();
  const std::string etag = s.text(2);
  Response r;
  r.header("ETag", "\"" + etag + "\"");
  if (auto inm = ctx.request.header("if-none-match"); inm && r2_etag_listed(*inm, etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.file = ctx.state.objects.open(s.text(8));
  if (!r.file) return internal_error();
  json::value meta = json::parse(s.text(5));
  const auto& m = meta.as_object();
  r.content_type = m.contains("contentType") ? std::string(m.at("contentType").as_string()) : "application/octet-stream";
  for (auto [header, field] : r2_metadata_headers)
    if (header != "content-type" && m.contains(field)) r.header(std::string(header), std::string(m.at(field).as_string()));
  if (auto date = r2_http_date(s.view(4)); !date.empty()) r.header("Last-Modified", date);
  return r;
}

Response delete_object(RequestContext& ctx) {
  auto ref = bucket_for(ctx, r2_item_write);
  if (!ref) return std::move(ref.error());
  const auto& key = ctx.param("key");
  r2_delete_object_row(ctx.state, ref->account, ref->jurisdiction, ref->bucket, key);
  return ok(json::object{{"key", key}});  // idempotent: a missing key is not an error
}

// Keys in byte order; with a delimiter, keys sharing a prefix up to the next
// delimiter collapse into one `delimited` entry that counts toward per_page.
Response list_objects(RequestContext& ctx) {
  auto ref = bucket_for(ctx, r2_item_read);
  if (!ref) return std::move(ref.error());
  const std::string prefix = ctx.request.query_param("prefix").value_or("");
  const std::string delimiter = ctx.request.query_param("delimiter").value_or("");
  const std::int64_t per_page = r2_per_page(ctx.request, 1000, 1000);
  std::string after = ctx.request.query_param("start_after").value_or("");
  if (auto c = ctx.request.query_param("cursor"); c && !c->empty()) {
    auto decoded = r2_from_cursor(*c);
    if (!decoded) return r2_invalid_argument("Invalid cursor.");
    after = std::max(after, *decoded);
  }
  auto s = ctx.state.db.query(std::string(object_columns) +
                                  " WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key>?4 AND key>=?5 "
                                  "ORDER BY key",
                              ref->account, ref->jurisdiction, ref->bucket, after, prefix);
  // Up to a thousand objects, written as text into one buffer: the stored
  // metadata is JSON already, and building a DOM (or a string per field)
  // only to serialise it was most of the cost of listing a site.
  std::string items = ok_text_open(256 * 1024);
  items += '[';
  const std::size_t first_item = items.size();
  std::string delimited;
  std::int64_t entries = 0;
  std::string last, last_prefix;
  bool more = false;
  while (s.step()) {
    const std::string_view key = s.view(0);
    if (!key.starts_with(prefix)) break;  // keys with the prefix are contiguous
    std::string_view common;
    if (!delimiter.empty()) {
      auto pos = key.find(delimiter, prefix.size());
      if (pos != std::string_view::npos) common = key.substr(0, pos + delimiter.size());
    }
    if (!common.empty() && common == last_prefix) continue;
    if (entries == per_page) {
      more = true;
      break;
    }
    ++entries;
    if (!common.empty()) {
      if (!delimited.empty()) delimited += ',';
      append_json_string(delimited, common);
      last_prefix = common;
      last = last_prefix + "\xff";  // resume past every key under this prefix (0xFF never occurs in UTF-8)
    } else {
      items += items.size() == first_item ? R"({"key":)" : R"(,{"key":)";
      append_json_string(items, key);
      items += R"(,"size":)";
      items += std::to_string(s.integer(1));
      items += R"(,"etag":)";
      append_json_string(items, s.view(2));
      items += R"(,"last_modified":)";
      append_json_string(items, s.view(4));
      items += R"(,"http_metadata":)";
      items += s.view(5);
      items += R"(,"custom_metadata":)";
      items += s.view(6);
      items += R"(,"storage_class":)";
      append_json_string(items, s.view(7));
      items += R"(,"ssec":false})";
      last = key;
    }
  }
  std::string info = R"({"cursor":)";
  append_json_string(info, more ? r2_to_cursor(last) : std::string());
  info += R"(,"is_truncated":)";
  info += more ? "true" : "false";
  info += R"(,"per_page":)" + std::to_string(per_page) + R"(,"delimited":[)" + delimited + "]}";
  items += ']';
  return ok_text_close(std::move(items), info);
}

}  // namespace

// What the edge's R2 binding shim reads (docs/sandbox.md, "The edge"):
// the object with its R2 metadata in one header, no credential (a
// loopback-only hook, like every /__sandbox/ path).
Response edge_get_object(RequestContext& ctx) {
  auto s = ctx.state.db.query(std::string(object_columns) +
                                  " WHERE account_id=?1 AND jurisdiction='default' AND bucket=?2 AND key=?3",
                              ctx.param("account_id"), ctx.param("bucket"), ctx.param("key"));
  if (!s.step()) return fail(404, 10007, "The specified key does not exist.");
  Response r;
  json::object meta{{"key", s.text(0)},        {"size", s.integer(1)},
                    {"etag", s.text(2)},       {"version", s.text(3)},
                    {"uploaded", s.text(4)},   {"httpMetadata", json::parse(s.text(5))},
                    {"customMetadata", json::parse(s.text(6))}, {"storageClass", s.text(7)}};
  r.header("x-pw-r2-object", json::serialize(meta));
  r.content_type = "application/octet-stream";
  if (ctx.request.query_param("head")) return r;
  r.file = ctx.state.objects.open(s.text(8));
  if (!r.file) return internal_error();
  return r;
}

// Keys after `cursor` under `prefix`, at most `limit` (1000 by default).
Response edge_list_objects(RequestContext& ctx) {
  const std::string prefix = ctx.request.query_param("prefix").value_or("");
  const std::string after = ctx.request.query_param("cursor").value_or("");
  std::int64_t limit = 1000;
  if (auto l = ctx.request.query_param("limit")) limit = std::clamp<std::int64_t>(std::atoll(l->c_str()), 1, 1000);
  auto s = ctx.state.db.query(std::string(object_columns) +
                                  " WHERE account_id=?1 AND jurisdiction='default' AND bucket=?2 AND "
                                  "substr(key,1,length(?3))=?3 AND key>?4 ORDER BY key LIMIT ?5",
                              ctx.param("account_id"), ctx.param("bucket"), prefix, after, limit + 1);
  json::array objects;
  while (s.step())
    objects.push_back(json::object{{"key", s.text(0)},      {"size", s.integer(1)},   {"etag", s.text(2)},
                                   {"version", s.text(3)},  {"uploaded", s.text(4)},
                                   {"httpMetadata", json::parse(s.text(5))},
                                   {"customMetadata", json::parse(s.text(6))}, {"storageClass", s.text(7)}});
  const bool truncated = objects.size() > static_cast<std::size_t>(limit);
  if (truncated) objects.pop_back();
  json::object out{{"objects", objects}, {"truncated", truncated}};
  if (truncated) out["cursor"] = objects.back().as_object().at("key");
  return ok(std::move(out));
}

void add_r2_object_endpoints(Router& r) {
  r.add_hook("GET", "/r2/{account_id:id}/{bucket}", edge_list_objects);
  r.add_hook("GET", "/r2/{account_id:id}/{bucket}/{key*}", edge_get_object);
  RouteOptions upload;
  upload.body_to_file = true;
  upload.body_limit = max_object_size + 1;  // so an oversize body gets R2's own message
  r.add("GET", "/accounts/{account_id:id}/r2/buckets/{bucket}/objects", list_objects);
  r.add("PUT", "/accounts/{account_id:id}/r2/buckets/{bucket}/objects/{key*}", put_object, upload);
  r.add("GET", "/accounts/{account_id:id}/r2/buckets/{bucket}/objects/{key*}", get_object);
  r.add("DELETE", "/accounts/{account_id:id}/r2/buckets/{bucket}/objects/{key*}", delete_object);
}

}  // namespace pw::sandbox
