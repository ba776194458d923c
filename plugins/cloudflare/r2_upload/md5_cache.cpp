#include "md5_cache.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>
#include <pipewright/util/text.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <system_error>

namespace pipewright::cloudflare::site {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;
// Linux stamps files from a clock that advances once per tick (1-10 ms);
// five ticks of the slowest kernel configuration.
constexpr std::int64_t fine_granularity_ns = 50'000'000;
// File systems that keep whole seconds (ext3, FAT keeps two, some NFS).
constexpr std::int64_t coarse_granularity_ns = 2 * ns_per_second;
constexpr std::int64_t format_version = 1;

std::string sha256_prefix(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return pw::util::hex(digest, std::min(16u, length));
}

bool is_md5_hex(std::string_view text) {
  return text.size() == 32 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

template <class T>
bool read_number(const json::value& v, T& out) {
  boost::system::error_code ec;
  auto n = v.to_number<T>(ec);
  if (ec) return false;
  out = n;
  return true;
}

}  // namespace

Md5Cache::Md5Cache(const fs::path& cache_dir, const fs::path& root,
                   std::chrono::system_clock::time_point started)
    : root_(root.string()),
      started_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count()) {
  if (cache_dir.empty()) return;
  auto name = sha256_prefix(root_);
  if (name.empty()) return;
  file_ = cache_dir / "r2-upload" / (name + ".json");

  std::error_code not_a_file;
  if (!fs::is_regular_file(file_, not_a_file)) return;
  std::string text;
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file_.c_str(), "rbe"), &std::fclose);
    if (!in) return;
    char buffer[64 * 1024];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0;) text.append(buffer, n);
    if (std::ferror(in.get())) return;
  }
  // The document only lives while the entries are copied out: one arena.
  json::monotonic_resource arena;
  boost::system::error_code ec;
  auto doc = json::parse(text, ec, &arena);
  // Anything unexpected (another version, another root with the same hash,
  // a torn file) is an empty cache.
  if (ec || !doc.is_object()) return;
  const auto& o = doc.as_object();
  const auto* version = o.if_contains("version");
  const auto* stored_root = o.if_contains("root");
  const auto* files = o.if_contains("files");
  if (!version || !version->is_int64() || version->as_int64() != format_version || !stored_root ||
      !stored_root->is_string() || stored_root->as_string() != root_ || !files || !files->is_object())
    return;
  for (const auto& [relative, value] : files->as_object()) {
    if (!value.is_array() || value.as_array().size() != 6 || !value.as_array()[5].is_string()) continue;
    const auto& a = value.as_array();
    Entry e;
    if (!read_number(a[0], e.stamp.size) || !read_number(a[1], e.stamp.mtime_ns) ||
        !read_number(a[2], e.stamp.ctime_ns) || !read_number(a[3], e.stamp.inode) ||
        !read_number(a[4], e.stamp.device))
      continue;
    e.md5 = std::string(a[5].as_string());
    if (!is_md5_hex(e.md5)) continue;
    loaded_.emplace(std::string(relative), std::move(e));
  }
}

bool Md5Cache::old_enough(const FileStamp& stamp) const {
  bool whole_seconds = stamp.mtime_ns % ns_per_second == 0 && stamp.ctime_ns % ns_per_second == 0;
  auto granularity = whole_seconds ? coarse_granularity_ns : fine_granularity_ns;
  return started_ns_ - std::max(stamp.mtime_ns, stamp.ctime_ns) > granularity;
}

std::string Md5Cache::md5(const SiteFile& file) {
  if (file_.empty()) return md5_file(file.absolute);
  if (auto it = used_.find(file.relative); it != used_.end() && it->second.stamp == file.stamp) return it->second.md5;
  if (auto it = loaded_.find(file.relative); it != loaded_.end() && it->second.stamp == file.stamp) {
    ++hits_;
    // The entry moves (no copy): save() writes used_ and what is left of loaded_.
    auto node = used_.insert(loaded_.extract(it)).position;
    return node->second.md5;
  }
  return fresh_md5(file);
}

std::string Md5Cache::fresh_md5(const SiteFile& file) {
  auto md5 = md5_file(file.absolute);
  if (file_.empty()) return md5;
  // The file changed, or the entry (still loaded, or moved to used_ by a
  // hit) was wrong.
  const bool was_loaded = loaded_.erase(file.relative) > 0;
  const bool was_used = used_.erase(file.relative) > 0;
  if (was_loaded || was_used) changed_ = true;
  // Stamped before the read (by walk()): a write during the read changes it.
  if (old_enough(file.stamp)) {
    used_[file.relative] = Entry{file.stamp, md5};
    changed_ = true;
  }
  return md5;
}

void Md5Cache::save() const {
  // A cache: nothing here may fail the step (the uploads already happened).
  try {
    save_or_throw();
  } catch (...) {
  }
}

void Md5Cache::save_or_throw() const {
  if (file_.empty()) return;
  // Entries not used this run are files that are gone (or were not looked
  // at: keep those, a later step of the same site may need them).
  bool dropped_any = false;
  json::object files;
  for (const auto& [relative, e] : loaded_) {
    if (used_.contains(relative)) continue;
    std::error_code ec;
    if (!fs::exists(fs::path(root_) / relative, ec)) {
      dropped_any = true;
      continue;
    }
    files[relative] = json::array{e.stamp.size, e.stamp.mtime_ns, e.stamp.ctime_ns, e.stamp.inode,
                                  e.stamp.device, e.md5};
  }
  if (!changed_ && !dropped_any) return;
  for (const auto& [relative, e] : used_)
    files[relative] = json::array{e.stamp.size, e.stamp.mtime_ns, e.stamp.ctime_ns, e.stamp.inode,
                                  e.stamp.device, e.md5};
  // Everything that can throw happens before the temporary file exists.
  const std::string text =
      json::serialize(json::object{{"version", format_version}, {"root", root_}, {"files", std::move(files)}});
  std::random_device random;
  auto temp = file_;
  temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random());

  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  if (ec) return;
  // A unique temporary beside the target, renamed over it: a concurrent
  // step on the same site replaces the whole file, never interleaves.
  std::FILE* out = std::fopen(temp.c_str(), "wbe");  // e: close-on-exec
  if (!out) return;
  const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  if (std::fclose(out) != 0 || !written) {
    fs::remove(temp, ec);
    return;
  }
  fs::rename(temp, file_, ec);
  if (ec) fs::remove(temp, ec);
}

}  // namespace pipewright::cloudflare::site
