#include "store/object_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <vector>

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

namespace {

// Copies `length` bytes of `in` from `offset` to the end of `out`: in the
// kernel where the file system allows, else through a buffer.
bool copy_bytes(int in, off_t offset, std::uint64_t length, int out) {
  while (length > 0) {
    ssize_t n = ::copy_file_range(in, &offset, out, nullptr, length, 0);
    if (n <= 0) break;
    length -= static_cast<std::uint64_t>(n);
  }
  std::vector<char> buf;
  while (length > 0) {
    buf.resize(1 << 20);
    ssize_t r = ::pread(in, buf.data(), std::min<std::uint64_t>(length, buf.size()), offset);
    if (r <= 0 || ::write(out, buf.data(), static_cast<std::size_t>(r)) != r) return false;
    offset += r;
    length -= static_cast<std::uint64_t>(r);
  }
  return true;
}

}  // namespace

std::shared_ptr<boost::beast::http::file_body::value_type> ObjectStore::open_range(
    std::string_view blob_id, std::uint64_t offset, std::uint64_t length) const {
  const fs::path slice = new_temp_path();
  int in = ::open(path_of(blob_id).c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return nullptr;
  int out = ::open(slice.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = out >= 0 && copy_bytes(in, static_cast<off_t>(offset), length, out);
  ::close(in);
  if (out >= 0 && ::close(out) != 0) ok = false;
  std::shared_ptr<boost::beast::http::file_body::value_type> body;
  if (ok) {
    body = std::make_shared<boost::beast::http::file_body::value_type>();
    boost::beast::error_code ec;
    body->open(slice.c_str(), boost::beast::file_mode::scan, ec);
    if (ec) body.reset();
  }
  std::error_code ignored;
  fs::remove(slice, ignored);  // an open file stays readable until it is closed
  return body;
}

std::optional<fs::path> ObjectStore::join(const std::vector<std::string>& blob_ids) const {
  const fs::path joined = new_temp_path();
  int out = ::open(joined.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = out >= 0;
  for (const auto& id : blob_ids) {
    if (!ok) break;
    int in = ::open(path_of(id).c_str(), O_RDONLY | O_CLOEXEC);
    std::error_code ec;
    const auto size = fs::file_size(path_of(id), ec);
    ok = in >= 0 && !ec && copy_bytes(in, 0, size, out);
    if (in >= 0) ::close(in);
  }
  if (out >= 0 && ::close(out) != 0) ok = false;
  if (ok) return joined;
  std::error_code ignored;
  fs::remove(joined, ignored);
  return std::nullopt;
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
