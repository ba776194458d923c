#include "site_files.hpp"

#include <pipewright/cloudflare/api.hpp>

#include <openssl/evp.h>
#include <pipewright/util/text.hpp>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace pipewright::cloudflare::site {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

FileStamp stamp_from(const struct stat& st) {
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  FileStamp s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = ns(st.st_mtim);
  s.ctime_ns = ns(st.st_ctim);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.device = static_cast<std::uint64_t>(st.st_dev);
  return s;
}

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw fs::filesystem_error(what, path, std::error_code(errno, std::generic_category()));
}

using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;

// One directory of walk(): `fd` is open on `root / relative_dir` and is
// owned (closed) here; `root_text` is the root's text ending in '/'.
// Entries are named relative to their directory's descriptor, so no path is
// parsed or resolved from the root per file.
void walk_directory(int fd, const fs::path& root, const std::string& root_text, const std::string& relative_dir,
                    bool skip_hidden, WalkResult& result) {
  Dir dir(::fdopendir(fd), &::closedir);
  if (!dir) {
    ::close(fd);
    throw_errno("cannot read the directory", root / relative_dir);
  }
  for (errno = 0; const dirent* entry = ::readdir(dir.get()); errno = 0) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    if (skip_hidden && name.front() == '.') continue;
    std::string relative = relative_dir.empty() ? std::string(name) : relative_dir + "/" + std::string(name);
    struct stat st {};
    // d_type saves a stat for directories and links; regular files are
    // stat()ed anyway for their stamp.
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN || type == DT_REG) {
      if (::fstatat(::dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed since it was listed
        throw_errno("cannot stat", root / relative);
      }
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (type == DT_LNK) {
      result.symlinks.push_back(std::move(relative));
    } else if (type == DT_DIR) {
      int child = ::openat(::dirfd(dir.get()), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        if (errno == ENOENT) continue;
        throw_errno("cannot open the directory", root / relative);
      }
      walk_directory(child, root, root_text, relative, skip_hidden, result);
    } else if (type == DT_REG) {
      if (!is_valid_utf8(relative)) {
        result.invalid_names.push_back(std::move(relative));
        continue;
      }
      std::string absolute = root_text + relative;
      auto stamp = stamp_from(st);
      result.files.push_back({std::move(relative), std::move(absolute), stamp});
    }
  }
  if (errno != 0) throw_errno("cannot read the directory", root / relative_dir);
}

}  // namespace

std::optional<FileStamp> stamp_of(const fs::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return stamp_from(st);
}

WalkResult walk(const fs::path& root, bool skip_hidden) {
  WalkResult result;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open the directory", root);
  std::string root_text = root.native();
  if (root_text.empty() || root_text.back() != '/') root_text.push_back('/');
  walk_directory(fd, root, root_text, "", skip_hidden, result);
  std::sort(result.files.begin(), result.files.end(),
            [](const SiteFile& a, const SiteFile& b) { return a.relative < b.relative; });
  return result;
}

std::string md5_file(const fs::path& file) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rbe"), &std::fclose);
  if (!in) throw std::runtime_error("cannot open " + file.string() + " for reading");
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not start an MD5 digest");
  std::array<unsigned char, 64 * 1024> buffer;
  for (;;) {
    auto n = std::fread(buffer.data(), 1, buffer.size(), in.get());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), buffer.data(), n) != 1)
      throw std::runtime_error("OpenSSL failed while hashing " + file.string());
    if (n < buffer.size()) {
      if (std::ferror(in.get())) throw std::runtime_error("read error on " + file.string());
      break;
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1)
    throw std::runtime_error("OpenSSL could not finish the MD5 of " + file.string());
  return pw::util::hex(digest.data(), length);
}

std::string multipart_etag(const fs::path& file, std::uint64_t part_size) {
  if (part_size == 0) throw std::invalid_argument("multipart_etag: the part size must not be 0");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rbe"), &std::fclose);
  if (!in) throw std::runtime_error("cannot open " + file.string() + " for reading");
  using Digest = std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)>;
  auto start = [&] {
    Digest ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1)
      throw std::runtime_error("OpenSSL could not start an MD5 digest");
    return ctx;
  };
  Digest whole = start(), part = start();
  std::uint64_t parts = 0, in_part = 0;
  auto close_part = [&] {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(part.get(), digest, &length) != 1 || EVP_DigestUpdate(whole.get(), digest, length) != 1)
      throw std::runtime_error("OpenSSL failed while hashing " + file.string());
    part = start();
    ++parts;
    in_part = 0;
  };
  std::array<unsigned char, 64 * 1024> buffer;
  for (;;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), part_size - in_part));
    const std::size_t n = std::fread(buffer.data(), 1, want, in.get());
    if (n > 0 && EVP_DigestUpdate(part.get(), buffer.data(), n) != 1)
      throw std::runtime_error("OpenSSL failed while hashing " + file.string());
    in_part += n;
    if (in_part == part_size) close_part();
    if (n < want) {
      if (std::ferror(in.get())) throw std::runtime_error("read error on " + file.string());
      break;
    }
  }
  // An empty file is still one (empty) part; a partial last part closes here.
  if (in_part > 0 || parts == 0) close_part();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(whole.get(), digest, &length) != 1)
    throw std::runtime_error("OpenSSL could not finish the MD5 of " + file.string());
  return pw::util::hex(digest, length) + "-" + std::to_string(parts);
}

std::string_view content_type_for(std::string_view path) {
  struct Mapping {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr std::array<Mapping, 21> types{{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"txt", "text/plain; charset=utf-8"},
      {"xml", "application/xml"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"", "application/octet-stream"},
  }};
  auto name = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return types.back().type;
  auto extension = lower(name.substr(dot + 1));
  for (const auto& m : types)
    if (!m.extension.empty() && m.extension == extension) return m.type;
  return types.back().type;
}

std::string object_key(std::string_view prefix, std::string_view relative) {
  std::string key(prefix);
  key.push_back('/');
  key += relative;
  return key;
}

std::string normalise_prefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.find('\\') != std::string_view::npos) return {};
  std::string_view rest = prefix;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return {};
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return std::string(prefix);
}

std::string object_path(std::string_view account_id, std::string_view bucket, std::string_view key) {
  return api_path({"accounts", account_id, "r2", "buckets", bucket, "objects"}) + "/" + encode_key_path(key);
}

std::string strip_etag_quotes(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < minimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace pipewright::cloudflare::site
