// Writing and removing R2 objects: the row in r2_objects is the only
// reference to a blob, so a replaced or deleted object's blob goes with it.
#include "r2_store.hpp"
#include "store/clock.hpp"
#include "store/ids.hpp"

namespace pw::sandbox {

void r2_put_object_row(State& state, const R2ObjectRow& row, const std::filesystem::path& body) {
  std::optional<std::string> old_blob;
  {
    auto old = state.db.query(
        "SELECT blob_id FROM r2_objects WHERE account_id=?1 AND jurisdiction=?2 AND bucket=?3 AND key=?4",
        row.account, row.jurisdiction, row.bucket, row.key);
    if (old.step()) old_blob = old.text(0);
  }
  const std::string blob = state.objects.adopt(body);
  state.db
      .query("INSERT OR REPLACE INTO r2_objects(account_id,jurisdiction,bucket,key,size,etag,version,uploaded,"
             "http_metadata,custom_metadata,storage_class,blob_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
             row.account, row.jurisdiction, row.bucket, row.key, static_cast<std::int64_t>(row.size), row.etag,
             random_uuid(), now_rfc3339(true), row.http_metadata, row.custom_metadata, row.storage_class, blob)
      .run();
  if (old_blob) state.objects.remove(*old_blob);
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
