// Multipart uploads on the S3 door. Each part lands in the object store as
// a blob of its own when it arrives (so a large upload is never held in
// memory); CompleteMultipartUpload joins the listed parts into the object's
// blob (ObjectStore::join) and frees them. R2's rules: parts of
// 5 MiB to 5 GiB except the last, all parts but the last of one size and
// the last no larger, at most 10,000 parts.
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <charconv>
#include <pipewright/util/text.hpp>
#include <sstream>

#include "s3_store.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {
namespace {

constexpr std::uint64_t min_part_size = 5ull << 20;
constexpr int max_parts = 10000;

struct Upload {
  std::string id, key, initiated, http_metadata, custom_metadata, storage_class;
};

Response no_such_upload(const RequestContext& ctx) {
  return s3_error(404, "NoSuchUpload",
                  "The specified multipart upload does not exist. The upload ID may be invalid, or the upload "
                  "may have been aborted or completed.",
                  ctx.request.path);
}

// The upload named by ?uploadId, if it belongs to this bucket and key.
std::optional<Upload> find_upload(RequestContext& ctx) {
  auto id = ctx.request.query_param("uploadId");
  if (!id) return std::nullopt;
  auto s = ctx.state.db.query(
      "SELECT upload_id, key, initiated, http_metadata, custom_metadata, storage_class FROM r2_s3_uploads "
      "WHERE upload_id=?1 AND account_id=?2 AND bucket=?3 AND key=?4",
      *id, s3_account(ctx), ctx.param("bucket"), ctx.param("key"));
  if (!s.step()) return std::nullopt;
  return Upload{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
}

std::optional<int> part_number(std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > max_parts) return std::nullopt;
  return n;
}

void drop_upload(State& state, std::string_view upload_id) {
  auto s = state.db.query("SELECT blob_id FROM r2_s3_parts WHERE upload_id=?1", upload_id);
  while (s.step()) state.objects.remove(s.text(0));
  state.db.query("DELETE FROM r2_s3_parts WHERE upload_id=?1", upload_id).run();
  state.db.query("DELETE FROM r2_s3_uploads WHERE upload_id=?1", upload_id).run();
}

std::string unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace

void install_r2_s3_schema(Db& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS r2_s3_uploads(
  upload_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
  initiated TEXT NOT NULL, http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL,
  storage_class TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS r2_s3_parts(
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  uploaded TEXT NOT NULL,
  blob_id TEXT NOT NULL,  -- the part's file in the ObjectStore until the upload completes or aborts
  PRIMARY KEY(upload_id, part_number));
)sql");
}

Module r2_s3_module() { return {"r2_s3", install_r2_s3_schema, nullptr, nullptr}; }

Response s3_create_multipart_upload(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  const std::string& key = ctx.param("key");
  if (key.size() > 1024) return s3_error(400, "KeyTooLongError", "Your key is too long.", ctx.request.path);
  auto storage_class = s3_requested_storage_class(ctx);
  if (!storage_class) return std::move(storage_class.error());
  const std::string id = random_alnum(64);
  ctx.state.db
      .query("INSERT INTO r2_s3_uploads(upload_id,account_id,bucket,key,initiated,http_metadata,custom_metadata,"
             "storage_class) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
             id, s3_account(ctx), ctx.param("bucket"), key, now_rfc3339(true), r2_http_metadata(ctx.request),
             s3_custom_metadata(ctx.request), *storage_class)
      .run();
  return s3_xml("<InitiateMultipartUploadResult xmlns=\"" + std::string(s3_namespace) + "\">" +
                s3_tag("Bucket", ctx.param("bucket")) + s3_tag("Key", key) + s3_tag("UploadId", id) +
                "</InitiateMultipartUploadResult>");
}

Response s3_upload_part(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  auto number = part_number(ctx.request.query_param("partNumber").value_or(""));
  if (!number || !ctx.request.query_param("uploadId"))
    return s3_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.",
                    ctx.request.path);
  if (ctx.request.header("x-amz-copy-source"))
    return s3_error(501, "NotImplemented", "UploadPartCopy is not emulated by the sandbox.", ctx.request.path);
  auto upload = find_upload(ctx);
  if (!upload) return no_such_upload(ctx);
  if (!ctx.request.body_file) return s3_internal_error(ctx);
  const auto& temp = *ctx.request.body_file;
  const auto size = std::filesystem::file_size(temp);
  if (size > s3_max_object_size)
    return s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.",
                    ctx.request.path);
  auto digest = file_md5(temp);
  if (!digest) return s3_internal_error(ctx);
  const std::string etag = util::hex(*digest);
  std::optional<std::string> old_blob;
  {
    auto s = ctx.state.db.query("SELECT blob_id FROM r2_s3_parts WHERE upload_id=?1 AND part_number=?2",
                                upload->id, *number);
    if (s.step()) old_blob = s.text(0);
  }
  const std::string blob = ctx.state.objects.adopt(temp);
  ctx.state.db
      .query("INSERT OR REPLACE INTO r2_s3_parts(upload_id,part_number,size,etag,uploaded,blob_id) "
             "VALUES(?1,?2,?3,?4,?5,?6)",
             upload->id, *number, static_cast<std::int64_t>(size), etag, now_rfc3339(true), blob)
      .run();
  if (old_blob) ctx.state.objects.remove(*old_blob);
  Response r;
  r.content_type.clear();
  r.header("ETag", "\"" + etag + "\"");
  return r;
}

Response s3_complete_multipart_upload(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  auto upload = find_upload(ctx);
  if (!upload) return no_such_upload(ctx);
  auto root = s3_xml_body(ctx, "CompleteMultipartUpload");
  if (!root) return s3_malformed_xml(ctx);
  struct Listed {
    int number;
    std::string etag;
  };
  std::vector<Listed> listed;
  for (const auto& [name, child] : *root) {
    if (name != "Part") continue;
    auto n = part_number(child.get<std::string>("PartNumber", ""));
    auto etag = child.get_optional<std::string>("ETag");
    if (!n || !etag) return s3_malformed_xml(ctx);
    listed.push_back({*n, unquoted(*etag)});
  }
  if (listed.empty()) return s3_malformed_xml(ctx);

  struct Part {
    std::uint64_t size;
    std::string etag, blob;
  };
  std::vector<Part> parts;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (i > 0 && listed[i].number <= listed[i - 1].number)
      return s3_error(400, "InvalidPartOrder", "The list of parts was not in ascending order.", ctx.request.path);
    auto s = ctx.state.db.query("SELECT size, etag, blob_id FROM r2_s3_parts WHERE upload_id=?1 AND part_number=?2",
                                upload->id, listed[i].number);
    if (!s.step() || s.text(1) != listed[i].etag)
      return s3_error(400, "InvalidPart",
                      "One or more of the specified parts could not be found (part " +
                          std::to_string(listed[i].number) + "), or its ETag did not match.",
                      ctx.request.path);
    parts.push_back({static_cast<std::uint64_t>(s.integer(0)), s.text(1), s.text(2)});
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].size < min_part_size)
      return s3_error(400, "EntityTooSmall",
                      "Your proposed upload is smaller than the minimum allowed object size: every part but "
                      "the last must be at least 5 MiB (part " + std::to_string(listed[i].number) + " has " +
                          std::to_string(parts[i].size) + " bytes).",
                      ctx.request.path);
    if (parts[i].size != parts[0].size)
      return s3_error(400, "InvalidPart", "All non-trailing parts must have the same length.", ctx.request.path);
  }
  if (parts.size() > 1 && parts.back().size > parts[0].size)
    return s3_error(400, "InvalidPart", "The last part must not be larger than the other parts.",
                    ctx.request.path);

  std::vector<std::string> blobs;
  std::string part_md5s;
  std::uint64_t size = 0;
  for (const auto& p : parts) {
    blobs.push_back(p.blob);
    for (std::size_t i = 0; i + 1 < p.etag.size(); i += 2)
      part_md5s += static_cast<char>(std::stoi(p.etag.substr(i, 2), nullptr, 16));
    size += p.size;
  }
  const auto joined = ctx.state.objects.join(blobs);
  if (!joined) return s3_internal_error(ctx);
  const std::string etag = util::hex(md5(part_md5s)) + "-" + std::to_string(parts.size());
  R2ObjectRow row{s3_account(ctx),        "default",      ctx.param("bucket"),     upload->key, size, etag,
                  upload->http_metadata, upload->custom_metadata, upload->storage_class};
  r2_put_object_row(ctx.state, row, *joined);
  drop_upload(ctx.state, upload->id);  // parts not listed are freed too, as S3 does
  return s3_xml("<CompleteMultipartUploadResult xmlns=\"" + std::string(s3_namespace) + "\">" +
                s3_tag("Location", ctx.request.path) + s3_tag("Bucket", ctx.param("bucket")) + s3_tag("Key", upload->key) +
                s3_tag("ETag", "\"" + etag + "\"") + "</CompleteMultipartUploadResult>");
}

Response s3_abort_multipart_upload(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_write)) return std::move(*refused);
  auto upload = find_upload(ctx);
  if (!upload) return no_such_upload(ctx);
  drop_upload(ctx.state, upload->id);
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response s3_list_parts(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  auto upload = find_upload(ctx);
  if (!upload) return no_such_upload(ctx);
  int marker = 0, max = 1000;
  if (auto m = ctx.request.query_param("part-number-marker")) std::from_chars(m->data(), m->data() + m->size(), marker);
  if (auto m = ctx.request.query_param("max-parts")) std::from_chars(m->data(), m->data() + m->size(), max);
  max = std::clamp(max, 0, 1000);
  auto s = ctx.state.db.query(
      "SELECT part_number, size, etag, uploaded FROM r2_s3_parts WHERE upload_id=?1 AND part_number>?2 "
      "ORDER BY part_number",
      upload->id, marker);
  std::string parts;
  int count = 0, last = marker;
  bool truncated = false;
  while (s.step()) {
    if (count == max) {
      truncated = true;
      break;
    }
    ++count;
    last = static_cast<int>(s.integer(0));
    parts += "<Part>" + s3_tag("PartNumber", std::to_string(last)) + s3_tag("LastModified", s.text(3)) +
             s3_tag("ETag", "\"" + s.text(2) + "\"") + s3_tag("Size", std::to_string(s.integer(1))) + "</Part>";
  }
  return s3_xml("<ListPartsResult xmlns=\"" + std::string(s3_namespace) + "\">" +
                s3_tag("Bucket", ctx.param("bucket")) + s3_tag("Key", upload->key) + s3_tag("UploadId", upload->id) +
                s3_tag("PartNumberMarker", std::to_string(marker)) +
                s3_tag("NextPartNumberMarker", std::to_string(last)) + s3_tag("MaxParts", std::to_string(max)) +
                s3_tag("IsTruncated", truncated ? "true" : "false") + parts + "</ListPartsResult>");
}

Response s3_list_multipart_uploads(RequestContext& ctx) {
  if (auto refused = s3_bucket_access(ctx, r2_item_read)) return std::move(*refused);
  const std::string prefix = ctx.request.query_param("prefix").value_or("");
  auto s = ctx.state.db.query(
      "SELECT key, upload_id, initiated FROM r2_s3_uploads WHERE account_id=?1 AND bucket=?2 AND key>=?3 "
      "ORDER BY key, initiated LIMIT 1000",
      s3_account(ctx), ctx.param("bucket"), prefix);
  std::string uploads;
  while (s.step()) {
    if (!s.view(0).starts_with(prefix)) break;
    uploads += "<Upload>" + s3_tag("Key", s.view(0)) + s3_tag("UploadId", s.view(1)) + s3_tag("Initiated", s.view(2)) +
               "<StorageClass>STANDARD</StorageClass></Upload>";
  }
  return s3_xml("<ListMultipartUploadsResult xmlns=\"" + std::string(s3_namespace) + "\">" +
                s3_tag("Bucket", ctx.param("bucket")) + s3_tag("Prefix", prefix) + "<MaxUploads>1000</MaxUploads>" +
                "<IsTruncated>false</IsTruncated>" + uploads + "</ListMultipartUploadsResult>");
}

}  // namespace pw::sandbox
