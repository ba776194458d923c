#include "store/object_store.hpp"

#include <fstream>
#include <stdexcept>

#include "store/ids.hpp"

namespace pw::sandbox {
namespace fs = std::filesystem;

ObjectStore::ObjectStore(const std::optional<fs::path>& state_dir) {
  if (state_dir) {
    root_ = *state_dir / "objects";
  } else {
    root_ = fs::temp_directory_path() / ("pw-sandbox-" + random_hex(16));
    owned_ = true;
  }
  fs::create_directories(root_ / "tmp");
  // Temp files of a previous run never got renamed: they are garbage.
  for (const auto& e : fs::directory_iterator(root_ / "tmp")) fs::remove(e.path());
}

ObjectStore::~ObjectStore() {
  if (owned_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

fs::path ObjectStore::new_temp_path() const { return root_ / "tmp" / random_hex(32); }

std::string ObjectStore::adopt(const fs::path& temp) {
  std::string id = random_hex(32);
  fs::rename(temp, path_of(id));
  return id;
}

std::string ObjectStore::write(std::string_view bytes) {
  fs::path temp = new_temp_path();
  {
    std::ofstream out(temp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
  }
  return adopt(temp);
}

std::shared_ptr<boost::beast::http::file_body::value_type> ObjectStore::open(
    std::string_view blob_id) const {
  auto body = std::make_shared<boost::beast::http::file_body::value_type>();
  boost::beast::error_code ec;
  body->open(path_of(blob_id).c_str(), boost::beast::file_mode::scan, ec);
  if (ec) return nullptr;
  return body;
}

std::uintmax_t ObjectStore::size(std::string_view blob_id) const {
  return fs::file_size(path_of(blob_id));
}

void ObjectStore::remove(std::string_view blob_id) {
  std::error_code ec;
  fs::remove(path_of(blob_id), ec);
}

fs::path ObjectStore::path_of(std::string_view blob_id) const {
  // Blob ids are ours (hex), never client text, so no path escaping is possible.
  return root_ / std::string(blob_id);
}

}  // namespace pw::sandbox
