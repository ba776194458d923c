// What cloudflare.r2.upload knows about a site directory, without touching
// the network: the files in it, their MD5, their content types and the R2
// keys and API paths they map to. Pure functions, no SDK calls, so they are
// unit-tested directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipewright::cloudflare::site {

// What lstat() says of a file: enough to tell that it has not changed
// (see md5_cache.hpp).
struct FileStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool operator==(const FileStamp&) const = default;
};

// nullopt when the file cannot be lstat()ed or is not a regular file.
std::optional<FileStamp> stamp_of(const std::filesystem::path& file);

struct SiteFile {
  std::string relative;  // '/'-separated path below the site directory (UTF-8)
  std::string absolute;  // root + "/" + relative: text, not a parsed path (walking a
                         // thousand files parsed a thousand paths nobody looked into)
  FileStamp stamp;  // taken while walking, before the file is read (its size too)
};

struct WalkResult {
  std::vector<SiteFile> files;     // sorted by `relative`
  std::vector<std::string> symlinks;  // skipped: links are never followed
  std::vector<std::string> invalid_names;  // not UTF-8: R2 keys must be
};

// Every regular file below `root`, recursively, each stat()ed once.
// Symbolic links (to files or directories) are never followed: they are
// listed in `symlinks`. Hidden entries (".name") are skipped only when
// asked; a file removed while walking is left out. Throws
// std::filesystem::filesystem_error naming the directory that cannot be read.
WalkResult walk(const std::filesystem::path& root, bool skip_hidden);

// The lower-case hex MD5 of a file, read in fixed-size chunks so a file of
// any size is never held in memory. Throws std::runtime_error naming the
// file when it cannot be read.
std::string md5_file(const std::filesystem::path& file);

// The ETag S3 gives the file uploaded in parts of `part_size` bytes (the
// last one shorter): the MD5 of the parts' binary MD5s, "-" and the number
// of parts. Read in one pass, like md5_file.
std::string multipart_etag(const std::filesystem::path& file, std::uint64_t part_size);

// The Content-Type for a path, from its extension (case-insensitive);
// "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view path);

// "prefix/relative"; `prefix` must already be normalised (see normalise_prefix).
std::string object_key(std::string_view prefix, std::string_view relative);

// `prefix` without leading and trailing '/'; empty when it is empty, holds an
// empty, "." or ".." segment, or a backslash.
std::string normalise_prefix(std::string_view prefix);

// "/accounts/<a>/r2/buckets/<b>/objects/<key>": each '/'-separated segment
// of the key percent-encoded (spaces, unicode, '?', '#', '%'), '/' literal.
std::string object_path(std::string_view account_id, std::string_view bucket, std::string_view key);

// An R2 ETag as listed ("\"abc\"" or "abc"), without the quotes.
std::string strip_etag_quotes(std::string_view etag);

bool is_valid_utf8(std::string_view text);

}  // namespace pipewright::cloudflare::site
