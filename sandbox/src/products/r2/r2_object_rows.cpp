// Writing and removing R2 objects: the row in r2_objects is the only
// reference to a blob, so a replaced or deleted object's blob goes with it.
#include <boost/json.hpp>
#include <ctime>

#include "r2_store.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {

std::string r2_http_metadata(const Request& req) {
  boost::json::object http_metadata;
  for (auto [header, field] : r2_metadata_headers)
    if (auto v = req.header(header); v && !v->empty()) http_metadata[field] = *v;
  if (!http_metadata.contains("contentType")) http_metadata["contentType"] = "application/octet-stream";
  return boost::json::serialize(http_metadata);
}

bool r2_etag_listed(std::string_view list, std::string_view etag) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t comma = list.find(',', pos);
    std::string_view item = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') item = item.substr(1, item.size() - 2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string r2_http_date(std::string_view rfc3339) {
  auto t = util::parse_rfc3339(rfc3339);
  if (!t) return "";
  auto tt = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(*t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

R2Stored r2_put_object_row(State& state, const R2ObjectRow& row, const std::filesystem::path& body) {
  std::optional<std::string> old_blob;
  {
    auto old = state.db.query(
        "SELECT blob_id FROM r2_objects WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key=?4",
        row.account, row.jurisdiction, row.bucket, row.key);
    if (old.step()) old_blob = old.text(0);
  }
  const std::string blob = state.objects.adopt(body);
  R2Stored stored{random_uuid(), now_rfc3339(true)};
  state.db
      .query("INSERT OR REPLACE INTO r2_objects(account_id,jurisdiction,bucket,key,size,etag,version,uploaded,"
             "http_metadata,custom_metadata,storage_class,blob_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
             row.account, row.jurisdiction, row.bucket, row.key, static_cast<std::int64_t>(row.size), row.etag,
             stored.version, stored.uploaded, row.http_metadata, row.custom_metadata, row.storage_class, blob)
      .run();
  if (old_blob) state.objects.remove(*old_blob);
  return stored;
}

bool r2_delete_object_row(State& state, std::string_view account, std::string_view jurisdiction,
                          std::string_view bucket, std::string_view key) {
  std::optional<std::string> blob;
  {
    auto s = state.db.query(
        "SELECT blob_id FROM r2_objects WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key=?4", account,
        jurisdiction, bucket, key);
    if (s.step()) blob = s.text(0);
  }
  if (!blob) return false;
  state.db
      .query("DELETE FROM r2_objects WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key=?4", account,
             jurisdiction, bucket, key)
      .run();
  state.objects.remove(*blob);
  return true;
}

}  // namespace pw::sandbox
