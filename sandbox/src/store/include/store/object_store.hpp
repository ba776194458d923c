// Object bodies as files: <root>/<blob id>, written to <root>/tmp first and
// renamed into place so a reader never sees a partial body. Handlers use it
// from the state strand; temp paths are unique so body streaming may run on
// connection threads.
#pragma once

#include <boost/beast/http/file_body.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::sandbox {

class ObjectStore {
 public:
  // With a state dir the root is <state_dir>/objects and survives restarts;
  // without one it is a private temp dir removed by the destructor.
  explicit ObjectStore(const std::optional<std::filesystem::path>& state_dir);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  std::filesystem::path new_temp_path() const;
  // Moves a finished temp file into the store; returns its blob id.
  std::string adopt(const std::filesystem::path& temp);
  // Small bodies written whole (e.g. Worker scripts): temp + rename.
  std::string write(std::string_view bytes);
  // Opens for streaming as Response::file; null when missing.
  std::shared_ptr<boost::beast::http::file_body::value_type> open(std::string_view blob_id) const;
  // `length` bytes from `offset` (a byte range), copied in the kernel into an
  // unlinked temp file, so a large range is never held in memory.
  std::shared_ptr<boost::beast::http::file_body::value_type> open_range(std::string_view blob_id,
                                                                        std::uint64_t offset,
                                                                        std::uint64_t length) const;
  // A temp file holding the blobs one after another (a completed multipart
  // upload), to adopt(); nullopt when one cannot be read.
  std::optional<std::filesystem::path> join(const std::vector<std::string>& blob_ids) const;
  std::uintmax_t size(std::string_view blob_id) const;
  void remove(std::string_view blob_id);
  std::filesystem::path path_of(std::string_view blob_id) const;

 private:
  std::filesystem::path root_;
  bool owned_ = false;
};

}  // namespace pw::sandbox
