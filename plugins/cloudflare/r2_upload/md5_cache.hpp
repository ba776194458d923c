// The MD5 of each site file, remembered between runs by what stat() says of
// the file, so an unchanged site is not read again to learn that it is
// unchanged (git's index does the same). A cache, not state: losing it or
// failing to write it only costs a re-hash.
//
// An entry is trusted only when size, mtime, ctime, inode and device are all
// the same, and it is recorded only for a file whose timestamps are older
// than the step's start by more than the file system's timestamp
// granularity, so a write in the same clock tick as the hashed one can never
// hide behind an equal timestamp ("racy" files are hashed every time).
#pragma once

#include "site_files.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>

namespace pipewright::cloudflare::site {

class Md5Cache {
 public:
  // The cache of the site directory `root` inside `cache_dir`
  // (<cache_dir>/r2-upload/<hash of root>.json); an empty `cache_dir`
  // disables caching. `started` is when the step began.
  Md5Cache(const std::filesystem::path& cache_dir, const std::filesystem::path& root,
           std::chrono::system_clock::time_point started);

  // The file's MD5, from the cache when the stamp taken by walk() is the
  // one recorded, else read.
  // Throws what md5_file throws.
  std::string md5(const SiteFile& file);

  // The file's MD5 read from the file, replacing whatever the cache holds:
  // for when a remembered MD5 is contradicted (R2 stored other bytes).
  std::string fresh_md5(const SiteFile& file);

  // Writes the entries used in this run, and those of files this run did
  // not look at that still exist (deleted files drop out), atomically, when
  // anything changed. Never throws.
  void save() const;

  std::size_t hits() const { return hits_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Entry {
    FileStamp stamp;
    std::string md5;
  };
  bool old_enough(const FileStamp& stamp) const;
  void save_or_throw() const;

  std::filesystem::path file_;  // empty: disabled
  std::string root_;
  std::int64_t started_ns_ = 0;
  std::unordered_map<std::string, Entry> loaded_;
  std::unordered_map<std::string, Entry> used_;
  bool changed_ = false;
  std::size_t hits_ = 0;
};

}  // namespace pipewright::cloudflare::site
