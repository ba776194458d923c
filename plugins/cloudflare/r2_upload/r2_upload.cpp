// cloudflare.r2.upload: mirrors a site directory into an R2 bucket under a
// prefix. Unchanged files (local MD5 == stored ETag, same Content-Type and
// Cache-Control) are skipped; the rest go out in one host http_batch, so the
// host owns concurrency, retries and the shared rate budget.
#include "md5_cache.hpp"
#include "site_files.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace cf = pipewright::cloudflare;
namespace site = pipewright::cloudflare::site;
using pipewright::Failure;

// The REST API refuses larger bodies (wrangler enforces the same limit).
constexpr std::uintmax_t max_object_bytes = 300ull * 1024 * 1024;
constexpr std::size_t max_listed_names = 20;

struct StoredObject {
  std::string etag;
  std::string content_type;
  std::string cache_control;
};

struct Work {
  std::string method;  // PUT or DELETE
  std::string key;
  const site::SiteFile* file = nullptr;  // for PUT
};

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max_listed_names; ++i) out += "\n  " + names[i];
  if (names.size() > max_listed_names)
    out += "\n  ... and " + std::to_string(names.size() - max_listed_names) + " more";
  return out;
}

fs::path resolve_directory(const pipewright::Call& call, const std::string& directory) {
  fs::path path(directory);
  if (path.is_relative()) {
    auto workdir = cf::string_at(pipewright::context_object(call), "workdir");
    path = (workdir.empty() ? fs::current_path() : fs::path(workdir)) / path;
  }
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    throw Failure("the site directory " + path.string() + " does not exist or is not a directory",
                  "`directory` is relative to the run's working directory unless absolute",
                  "/directory");
  return path.lexically_normal();
}

int int_or(const json::object& with, std::string_view key, int fallback) {
  if (const auto* v = with.if_contains(key); v && v->is_int64()) return static_cast<int>(v->as_int64());
  return fallback;
}

struct R2Upload {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.r2.upload";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Uploads a directory to an R2 bucket under a prefix, skipping unchanged files";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "account_id": {"type": "string", "minLength": 1, "description": "Cloudflare account id"},
      "bucket": {"type": "string", "minLength": 3, "maxLength": 63, "description": "R2 bucket name"},
      "directory": {"type": "string", "minLength": 1,
                    "description": "site directory, relative to the working directory unless absolute"},
      "prefix": {"type": "string", "minLength": 1,
                 "description": "key prefix, e.g. the tenant; keys are prefix/relative/path"},
      "concurrency": {"type": "integer", "minimum": 1, "maximum": 64, "default": 16},
      "delete_stale": {"type": "boolean", "default": false,
                       "description": "delete objects under the prefix that have no local file"},
      "cache_control": {"type": "string", "description": "Cache-Control stored with every object"},
      "skip_hidden": {"type": "boolean", "default": false,
                      "description": "skip files and directories whose name starts with '.'"},
      "mode": {"enum": ["upload", "verify"], "default": "upload",
               "description": "verify: write nothing, fail unless every file is stored unchanged"},
      "hash_cache": {"type": "boolean", "default": true,
                     "description": "remember each file's MD5 by its size, times and inode in the run's cache directory, so unchanged files are not read again"}
    },
    "required": ["account_id", "bucket", "directory", "prefix"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "files": {"type": "integer", "description": "local files considered"},
      "uploaded": {"type": "integer"},
      "skipped": {"type": "integer", "description": "unchanged files not uploaded"},
      "deleted": {"type": "integer"},
      "bytes": {"type": "integer", "description": "bytes uploaded"},
      "prefix": {"type": "string"},
      "verified": {"type": "integer", "description": "files whose stored ETag is their local MD5: unchanged ones, and uploads checked against the ETag R2 answered"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto started = std::chrono::system_clock::now();
    const auto with = pipewright::with_object(call);
    const auto account = cf::string_at(with, "account_id");
    const auto bucket = cf::string_at(with, "bucket");
    const auto prefix = site::normalise_prefix(cf::string_at(with, "prefix"));
    if (prefix.empty())
      throw Failure("the prefix '" + cf::string_at(with, "prefix") + "' is not a usable R2 key prefix",
                    "use '/'-separated names without empty, '.' or '..' segments, e.g. the tenant id",
                    "/prefix");
    const auto cache_control = cf::string_at(with, "cache_control");
    const bool delete_stale = cf::bool_at(with, "delete_stale", false);
    const int concurrency = int_or(with, "concurrency", 16);
    const bool verify = cf::string_at(with, "mode") == "verify";
    const auto root = resolve_directory(call, cf::string_at(with, "directory"));

    const cf::Client client(call);
    const fs::path cache_dir = cf::bool_at(with, "hash_cache", true)
                                   ? fs::path(cf::string_at(pipewright::context_object(call), "cache_dir"))
                                   : fs::path();
    // The walk (local I/O), reading the hash cache and the listing (a
    // network round trip) run at once; the local threads touch neither
    // `call` nor the client. A local problem is reported before a listing
    // failure: it is the one to fix.
    site::WalkResult walked;
    std::optional<site::Md5Cache> cached;
    std::exception_ptr walk_failed, cache_failed, list_failed;
    std::map<std::string, StoredObject> stored;
    {
      const bool skip_hidden = cf::bool_at(with, "skip_hidden", false);
      std::jthread local([&] {
        try {
          walked = site::walk(root, skip_hidden);
        } catch (...) {
          walk_failed = std::current_exception();
        }
      });
      std::jthread cache([&] {
        try {
          cached.emplace(cache_dir, root, started);
        } catch (...) {
          cache_failed = std::current_exception();
        }
      });
      try {
        stored = list_stored(client, account, bucket, prefix);
      } catch (...) {
        list_failed = std::current_exception();
      }
    }
    if (walk_failed) std::rethrow_exception(walk_failed);
    if (cache_failed) std::rethrow_exception(cache_failed);
    if (!walked.invalid_names.empty())
      throw Failure("file names in " + root.string() + " are not valid UTF-8, which R2 keys must be",
                    "rename them:" + list_names(walked.invalid_names), "/directory");
    if (!walked.symlinks.empty())
      call.info("skipped " + std::to_string(walked.symlinks.size()) +
                " symbolic link(s); links are never followed:" + list_names(walked.symlinks));
    std::vector<std::string> too_big;
    for (const auto& f : walked.files)
      if (f.stamp.size > max_object_bytes) too_big.push_back(f.relative);
    if (!too_big.empty())
      throw Failure("files larger than 300 MB cannot be uploaded through the R2 REST API",
                    "remove or split them:" + list_names(too_big), "/directory");
    if (list_failed) std::rethrow_exception(list_failed);
    site::Md5Cache& hashes = *cached;

    std::vector<Work> work;
    std::size_t skipped = 0;
    std::set<std::string> local_keys;
    for (const auto& file : walked.files) {
      call.throw_if_cancelled();
      auto key = site::object_key(prefix, file.relative);
      if (delete_stale) local_keys.insert(key);  // only stale deletion needs them
      auto found = stored.find(key);
      if (found != stored.end() && unchanged(found->second, file, cache_control, hashes)) {
        ++skipped;
        continue;
      }
      work.push_back({"PUT", std::move(key), &file});
    }
    if (verify) {
      hashes.save();
      report_verification(call, walked.files.size(), skipped, prefix, work);
      return;
    }
    if (delete_stale)
      for (const auto& [key, object] : stored)
        if (!local_keys.contains(key)) work.push_back({"DELETE", key, nullptr});

    std::uintmax_t planned_bytes = 0;
    std::size_t puts = 0;
    for (const auto& w : work)
      if (w.file) planned_bytes += w.file->stamp.size, ++puts;
    call.info(std::to_string(walked.files.size()) + " files under " + root.string() + ": " +
              std::to_string(skipped) + " unchanged, " + std::to_string(puts) + " to upload (" +
              std::to_string(planned_bytes) + " bytes), " + std::to_string(work.size() - puts) +
              " stale to delete; " + std::to_string(hashes.hits()) + " MD5s from the hash cache");

    auto outcome = send(call, client, account, bucket, cache_control, concurrency, work, hashes);
    hashes.save();

    pipewright::set_output(call, "files", static_cast<std::int64_t>(walked.files.size()));
    pipewright::set_output(call, "uploaded", static_cast<std::int64_t>(outcome.uploaded));
    pipewright::set_output(call, "skipped", static_cast<std::int64_t>(skipped));
    pipewright::set_output(call, "deleted", static_cast<std::int64_t>(outcome.deleted));
    pipewright::set_output(call, "bytes", static_cast<std::int64_t>(outcome.bytes));
    pipewright::set_output(call, "prefix", json::value(prefix));
    pipewright::set_output(call, "verified", static_cast<std::int64_t>(skipped + outcome.verified));
    if (outcome.unverified > 0)
      call.warn(std::to_string(outcome.unverified) +
                " upload(s) were answered without an MD5 ETag, so their stored content could not be compared");
    if (!outcome.failures.empty())
      throw Failure(std::to_string(outcome.failures.size()) + " of " + std::to_string(work.size()) +
                        " R2 requests failed in bucket " + bucket,
                    "failed keys:" + list_names(outcome.failures) +
                        "\nrun the step again: unchanged files are skipped, so only these are retried");
  }

 private:
  // Verify mode: every local file must be stored with the same content.
  static void report_verification(const pipewright::Call& call, std::size_t files, std::size_t matching,
                                  const std::string& prefix, const std::vector<Work>& differing) {
    pipewright::set_output(call, "files", static_cast<std::int64_t>(files));
    pipewright::set_output(call, "verified", static_cast<std::int64_t>(matching));
    pipewright::set_output(call, "uploaded", 0);
    pipewright::set_output(call, "skipped", static_cast<std::int64_t>(matching));
    pipewright::set_output(call, "deleted", 0);
    pipewright::set_output(call, "bytes", 0);
    pipewright::set_output(call, "prefix", json::value(prefix));
    if (!differing.empty()) {
      std::vector<std::string> keys;
      for (const auto& w : differing) keys.push_back(w.key);
      throw Failure(std::to_string(differing.size()) + " of " + std::to_string(files) +
                        " files are missing from the bucket or differ from it",
                    "keys:" + list_names(keys) + "\nrun the upload (mode: upload) to fix them");
    }
    call.info("verified " + std::to_string(matching) + "/" + std::to_string(files) + " files under '" + prefix +
              "/': stored and unchanged");
  }

  static std::map<std::string, StoredObject> list_stored(const cf::Client& client, const std::string& account,
                                                         const std::string& bucket, const std::string& prefix) {
    std::map<std::string, StoredObject> stored;
    auto listed = client.list_cursor(
        cf::with_query(cf::api_path({"accounts", account, "r2", "buckets", bucket, "objects"}),
                       {{"prefix", prefix + "/"}}),
        [&stored](json::value& item) {
          if (!item.is_object()) return;
          const auto& o = item.as_object();
          auto key = cf::string_at(o, "key");
          if (key.empty()) return;
          StoredObject s;
          s.etag = site::strip_etag_quotes(cf::string_at(o, "etag"));
          if (const auto* meta = cf::object_at(o, "http_metadata")) {
            s.content_type = cf::string_at(*meta, "contentType");
            s.cache_control = cf::string_at(*meta, "cacheControl");
          }
          stored.emplace(std::move(key), std::move(s));
        },
        {}, 1000);
    if (!listed.ok()) {
      if (listed.status == 404)
        throw Failure("the R2 bucket '" + bucket + "' does not exist in account " + account,
                      cf::describe(listed) + "\ncreate it first (cloudflare.r2.bucket)", "/bucket");
      throw Failure("listing the objects under '" + prefix + "/' in bucket " + bucket + " failed",
                    cf::describe(listed), "/bucket");
    }
    return stored;
  }

  static bool unchanged(const StoredObject& stored, const site::SiteFile& file, const std::string& cache_control,
                        site::Md5Cache& hashes) {
    if (!stored.content_type.empty() && stored.content_type != site::content_type_for(file.relative))
      return false;
    if (stored.cache_control != cache_control) return false;
    if (stored.etag.empty() || stored.etag.size() != 32) return false;  // not a plain MD5: upload
    const auto hits = hashes.hits();
    if (stored.etag == hashes.md5(file)) return true;
    // Remembered, and contradicted by R2: read the file before deciding.
    return hashes.hits() != hits && stored.etag == hashes.fresh_md5(file);
  }

  struct Outcome {
    std::size_t uploaded = 0;
    std::size_t verified = 0;    // uploads whose returned ETag is the local MD5
    std::size_t unverified = 0;  // uploads answered without an MD5 ETag
    std::size_t deleted = 0;
    std::uintmax_t bytes = 0;
    std::vector<std::string> failures;
  };

  static Outcome send(const pipewright::Call& call, const cf::Client& client, const std::string& account,
                      const std::string& bucket, const std::string& cache_control, int concurrency,
                      const std::vector<Work>& work, site::Md5Cache& hashes) {
    Outcome outcome;
    if (work.empty()) {
      call.progress(R"({"done":0,"total":0,"unit":"files","bytes_done":0,"bytes_total":0,"message":"nothing to upload"})");
      return outcome;
    }
    json::array requests;
    for (const auto& w : work) {
      json::object r{{"method", w.method},
                     {"url", client.base_url() + site::object_path(account, bucket, w.key)}};
      if (w.file) {
        json::object headers{{"Content-Type", site::content_type_for(w.file->relative)}};
        if (!cache_control.empty()) headers["Cache-Control"] = cache_control;
        r["headers"] = std::move(headers);
        r["body_file"] = w.file->absolute;
      }
      requests.push_back(std::move(r));
    }
    json::object batch{{"concurrency", concurrency}, {"requests", std::move(requests)}};

    // The host calls back on this thread, one response at a time, so the
    // counters need no lock.
    std::vector<bool> answered(work.size(), false);
    std::size_t done = 0;
    std::uintmax_t bytes_total = 0, bytes_done = 0;
    for (const auto& w : work)
      if (w.file) bytes_total += w.file->stamp.size;
    const auto sending_since = std::chrono::steady_clock::now();
    call.http_batch(json::serialize(batch), [&](std::string_view meta, std::string_view body) {
      auto response = pipewright::decode_response(meta, body);
      boost::system::error_code ec;
      auto parsed = json::parse(meta, ec);
      const json::value* index = (!ec && parsed.is_object()) ? parsed.as_object().if_contains("index") : nullptr;
      if (index == nullptr || !index->is_int64() || index->as_int64() < 0 ||
          static_cast<std::size_t>(index->as_int64()) >= work.size())
        return;
      auto i = static_cast<std::size_t>(index->as_int64());
      answered[i] = true;
      const auto& w = work[i];
      auto result = cf::decode(response);
      bool gone = w.method == "DELETE" && result.status == 404;
      if (result.ok() || gone) {
        if (w.file) {
          ++outcome.uploaded;
          outcome.bytes += w.file->stamp.size;
          // The answer's ETag is the MD5 of what R2 stored: compare it with
          // the file, so a corrupted or changed upload is caught here.
          auto etag = result.result.is_object() ? site::strip_etag_quotes(cf::string_at(result.result.as_object(), "etag"))
                                                : std::string();
          std::string md5;
          try {
            if (etag.size() == 32) md5 = hashes.md5(*w.file);
            // A remembered MD5 that R2 contradicts is read again before
            // the upload is called damaged: the cache may be the one wrong.
            if (!md5.empty() && md5 != etag) md5 = hashes.fresh_md5(*w.file);
          } catch (const std::exception& e) {
            outcome.failures.push_back(w.method + " " + w.key + ": uploaded, but " + e.what());
          }
          if (etag.size() != 32)
            ++outcome.unverified;
          else if (md5 == etag)
            ++outcome.verified;
          else if (!md5.empty())
            outcome.failures.push_back(w.method + " " + w.key + ": R2 stored content with MD5 " + etag +
                                       ", the local file's is " + md5 + " (did it change during the upload?)");
        } else {
          ++outcome.deleted;
        }
      } else {
        outcome.failures.push_back(w.method + " " + w.key + ": " + cf::describe(result));
      }
      // Progress counts what is stored (or deleted), not what was refused:
      // a stopped run says how much is really up.
      if (!(result.ok() || gone)) return;
      ++done;
      if (w.file) bytes_done += w.file->stamp.size;
      // The rate over the whole send so far; the ETA assumes it holds.
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sending_since).count();
      const double rate = seconds > 0 ? static_cast<double>(bytes_done) / seconds : 0.0;
      const double files_per_s = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
      json::object progress{{"done", done},
                            {"total", work.size()},
                            {"unit", "files"},
                            {"bytes_done", bytes_done},
                            {"bytes_total", bytes_total},
                            {"rate_bytes_per_s", static_cast<std::int64_t>(rate)},
                            {"message", w.key}};
      if (files_per_s > 0) progress["eta_s"] = static_cast<double>(work.size() - done) / files_per_s;
      call.progress(json::serialize(progress));
    });
    for (std::size_t i = 0; i < work.size(); ++i)
      if (!answered[i]) outcome.failures.push_back(work[i].method + " " + work[i].key + ": no answer from the host");
    return outcome;
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(R2Upload)
