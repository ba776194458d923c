// cloudflare.r2.upload: mirrors a site directory into an R2 bucket under a
// prefix. Unchanged files (local MD5 == stored ETag, same Content-Type and
// Cache-Control where the listing tells them) are skipped; the rest go out
// in one host http_batch, so the host owns concurrency, retries and the
// shared rate budget. Two transports: the REST API (every request spends
// the 1,200 per 5 minutes budget) or R2's S3 API, signed by the host with
// the credentials the step's auth provides and not metered; large files go
// through S3 in parts streamed from disk.
#include "md5_cache.hpp"
#include "s3_wire.hpp"
#include "site_files.hpp"
#include "transport.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>
#include <pipewright/util/sigv4.hpp>

#include <algorithm>
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
namespace s3 = pipewright::cloudflare::s3;
using pipewright::Failure;

// The REST API refuses larger bodies (wrangler enforces the same limit).
constexpr std::uintmax_t max_object_bytes = 300ull * 1024 * 1024;
constexpr std::size_t max_listed_names = 20;
constexpr std::uint64_t mib = 1024ull * 1024;
// DeleteObjects takes at most this many keys a request.
constexpr std::size_t max_delete_keys = 1000;
constexpr const char* r2_write_group = "Workers R2 Storage Write";

struct StoredObject {
  std::string etag;
  std::string content_type;
  std::string cache_control;
  bool has_metadata = true;  // false from S3's listing, which has no metadata
};

struct Work {
  std::string method;  // PUT or DELETE
  std::string key;
  const site::SiteFile* file = nullptr;  // for PUT
};

// Where and how requests go for this step.
struct Target {
  std::string transport;  // "s3" or "api"
  std::string account;
  std::string bucket;
  std::string endpoint;  // S3 only
  std::uint64_t multipart_threshold = 64 * mib;
  std::uint64_t part_size = 16 * mib;
  bool s3() const { return transport == "s3"; }
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

// An http_batch; concurrency 0 leaves it to the host (an older host takes
// a batch without one as 16 at a time).
json::object batch_of(json::array requests, int concurrency) {
  json::object batch{{"requests", std::move(requests)}};
  if (concurrency > 0) batch["concurrency"] = concurrency;
  return batch;
}

std::string describe_s3(const pipewright::Response& r) {
  if (r.status == 0) return r.error.empty() ? std::string("no answer") : r.error;
  std::string out = "HTTP " + std::to_string(r.status);
  if (auto e = s3::parse_error(r.body)) out += " " + e->code + (e->message.empty() ? "" : ": " + e->message);
  return out;
}

std::string s3_code(const pipewright::Response& r) {
  auto e = s3::parse_error(r.body);
  return e ? e->code : std::string();
}

// The failure for an S3 answer that stops the step: the ones a user can fix
// say how.
Failure s3_failure(const pipewright::Response& r, const Target& t, const std::string& what) {
  const auto code = s3_code(r);
  if (r.status == 0)
    return Failure(what + " failed: R2's S3 endpoint " + t.endpoint + " did not answer",
                   describe_s3(r) + "\nset CLOUDFLARE_R2_ENDPOINT if R2 is reached elsewhere, or use transport: api",
                   "/transport");
  if (code == "AccessDenied")
    return Failure("the API token has no R2 permission: " + what + " was refused (S3 AccessDenied)",
                   std::string("add the permission group \"") + r2_write_group +
                       "\" to the token (My Profile -> API Tokens -> Edit), or create one with pipewright run "
                       "create-token; S3 credentials derived from a token carry exactly its permissions",
                   "/bucket");
  if (code == "NoSuchBucket")
    return Failure("the R2 bucket '" + t.bucket + "' does not exist in account " + t.account,
                   describe_s3(r) + "\ncreate it first (cloudflare.r2.bucket)", "/bucket");
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId")
    return Failure("R2 refused the S3 credentials: " + what + " answered " + code,
                   "if R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY are set, check them; otherwise the credentials are "
                   "derived from the API token and its id. Or use transport: api",
                   "/transport");
  return Failure(what + " failed", describe_s3(r), "/bucket");
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
      "account_id": {"type": "string", "pattern": "^[0-9a-f]{32}$",
                     "description": "Cloudflare account id (32 lowercase hex digits); for S3 it names the host"},
      "bucket": {"type": "string", "minLength": 3, "maxLength": 63, "description": "R2 bucket name"},
      "directory": {"type": "string", "minLength": 1,
                    "description": "site directory, relative to the working directory unless absolute"},
      "prefix": {"type": "string", "minLength": 1,
                 "description": "key prefix, e.g. the tenant; keys are prefix/relative/path"},
      "concurrency": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 256}, {"enum": ["auto"]}],
                      "default": "auto",
                      "description": "uploads in flight at most; auto: as many as the host's in-flight budget for the API allows, which follows the measured latency and is shared with every other step"},
      "delete_stale": {"type": "boolean", "default": false,
                       "description": "delete objects under the prefix that have no local file"},
      "cache_control": {"type": "string", "description": "Cache-Control stored with every object"},
      "skip_hidden": {"type": "boolean", "default": false,
                      "description": "skip files and directories whose name starts with '.'"},
      "mode": {"enum": ["upload", "verify"], "default": "upload",
               "description": "verify: write nothing, fail unless every file is stored unchanged"},
      "hash_cache": {"type": "boolean", "default": true,
                     "description": "remember each file's MD5 by its size, times and inode in the run's cache directory, so unchanged files are not read again"},
      "transport": {"enum": ["auto", "s3", "api"], "default": "auto",
                    "description": "s3: R2's S3 API, signed with the auth's S3 credentials, not metered by the REST budget; api: the REST API; auto: s3 when the auth provides S3 credentials"},
      "multipart_threshold_mib": {"type": "integer", "minimum": 5, "maximum": 5000, "default": 64,
                                  "description": "s3: files larger than this many MiB are uploaded in parts, streamed from disk"},
      "part_size_mib": {"type": "integer", "minimum": 5, "maximum": 5000, "default": 16,
                        "description": "s3: the size of each part of a multipart upload, raised when a file would need more than 10,000 parts"}
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
      "stale_kept": {"type": "integer", "description": "stale objects not deleted because an upload failed"},
      "bytes": {"type": "integer", "description": "bytes uploaded"},
      "prefix": {"type": "string"},
      "verified": {"type": "integer", "description": "files whose stored ETag is their local MD5: unchanged ones, and uploads checked against the ETag R2 answered"},
      "transport": {"type": "string", "description": "the transport used: s3 or api"}
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
    // 0: auto, the host decides.
    const int concurrency = int_or(with, "concurrency", 0);
    const bool verify = cf::string_at(with, "mode") == "verify";
    const auto root = resolve_directory(call, cf::string_at(with, "directory"));
    const auto context = pipewright::context_object(call);
    const auto asked = cf::string_at(with, "transport");
    const auto choice = site::choose_transport(asked.empty() ? "auto" : asked, context, call.host_abi_minor());
    if (!choice.error.empty())
      throw Failure("transport s3 cannot be used: " + choice.error,
                    "use an auth with \"uses\": \"cloudflare.auth.api_token\" (it derives S3 credentials from the "
                    "token), or set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY and pass them to it; or use transport: "
                    "auto or api",
                    "/transport");
    Target target;
    target.transport = choice.transport;
    target.account = account;
    target.bucket = bucket;
    if (target.s3()) {
      try {
        target.endpoint = site::s3_endpoint(context, account);
      } catch (const std::invalid_argument& e) {
        throw Failure(e.what(), "use the account id shown in the Cloudflare dashboard", "/account_id");
      }
    }
    target.multipart_threshold = static_cast<std::uint64_t>(int_or(with, "multipart_threshold_mib", 64)) * mib;
    target.part_size = static_cast<std::uint64_t>(int_or(with, "part_size_mib", 16)) * mib;
    call.info(target.s3() ? "uploading through R2's S3 API at " + target.endpoint + " (" + choice.reason + ")"
                          : "uploading through the REST API (" + choice.reason + ")");

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
        stored = target.s3() ? list_stored_s3(call, target, prefix) : list_stored(client, account, bucket, prefix);
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
      if (!target.s3() && f.stamp.size > max_object_bytes) too_big.push_back(f.relative);
    if (!too_big.empty())
      throw Failure("files larger than 300 MB cannot be uploaded through the R2 REST API",
                    "use transport: s3 (it uploads large files in parts), or remove or split them:" +
                        list_names(too_big),
                    "/directory");
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
      if (found != stored.end() && unchanged(found->second, file, cache_control, target, hashes)) {
        ++skipped;
        continue;
      }
      work.push_back({"PUT", std::move(key), &file});
    }
    if (verify) {
      hashes.save();
      pipewright::set_output(call, "transport", json::value(target.transport));
      report_verification(call, walked.files.size(), skipped, prefix, work);
      return;
    }
    // Only keys under the prefix: a listing that answers others must not make this step delete them.
    if (delete_stale)
      for (const auto& [key, object] : stored)
        if (key.starts_with(prefix + "/") && !local_keys.contains(key)) work.push_back({"DELETE", key, nullptr});

    std::uintmax_t planned_bytes = 0;
    std::size_t puts = 0;
    for (const auto& w : work)
      if (w.file) planned_bytes += w.file->stamp.size, ++puts;
    call.info(std::to_string(walked.files.size()) + " files under " + root.string() + ": " +
              std::to_string(skipped) + " unchanged, " + std::to_string(puts) + " to upload (" +
              std::to_string(planned_bytes) + " bytes), " + std::to_string(work.size() - puts) +
              " stale to delete; " + std::to_string(hashes.hits()) + " MD5s from the hash cache");

    auto send_work = [&](const std::vector<Work>& part) {
      return target.s3() ? send_s3(call, target, cache_control, concurrency, part, hashes)
                         : send(call, client, account, bucket, cache_control, concurrency, part, hashes);
    };
    // Uploads first, stale deletions only once every upload succeeded: a failed upload leaves
    // the prefix as it was plus what did arrive, never with files removed and not replaced.
    const auto first_delete =
        std::partition_point(work.begin(), work.end(), [](const Work& w) { return w.file != nullptr; });
    const std::vector<Work> uploads(work.begin(), first_delete), deletes(first_delete, work.end());
    Outcome outcome;
    if (!uploads.empty() || deletes.empty()) outcome = send_work(uploads);
    std::size_t stale_kept = 0;
    if (!deletes.empty() && !outcome.failures.empty()) {
      stale_kept = deletes.size();
      call.warn("kept " + std::to_string(stale_kept) + " stale object(s): " +
                std::to_string(outcome.failures.size()) + " upload(s) failed, so nothing is deleted");
    } else if (!deletes.empty()) {
      auto deleted = send_work(deletes);
      outcome.deleted += deleted.deleted;
      outcome.failures.insert(outcome.failures.end(), deleted.failures.begin(), deleted.failures.end());
    }
    hashes.save();

    pipewright::set_output(call, "files", static_cast<std::int64_t>(walked.files.size()));
    pipewright::set_output(call, "uploaded", static_cast<std::int64_t>(outcome.uploaded));
    pipewright::set_output(call, "skipped", static_cast<std::int64_t>(skipped));
    pipewright::set_output(call, "deleted", static_cast<std::int64_t>(outcome.deleted));
    pipewright::set_output(call, "stale_kept", static_cast<std::int64_t>(stale_kept));
    pipewright::set_output(call, "bytes", static_cast<std::int64_t>(outcome.bytes));
    pipewright::set_output(call, "prefix", json::value(prefix));
    pipewright::set_output(call, "verified", static_cast<std::int64_t>(skipped + outcome.verified));
    pipewright::set_output(call, "transport", json::value(target.transport));
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
      if (listed.status == 403)
        throw Failure("the API token has no R2 permission: listing bucket " + bucket + " was refused",
                      cf::describe(listed) + std::string("\nadd the permission group \"") + r2_write_group +
                          "\" to the token (My Profile -> API Tokens -> Edit), or create one with pipewright run "
                          "create-token",
                      "/bucket");
      if (listed.status == 404)
        throw Failure("the R2 bucket '" + bucket + "' does not exist in account " + account,
                      cf::describe(listed) + "\ncreate it first (cloudflare.r2.bucket)", "/bucket");
      throw Failure("listing the objects under '" + prefix + "/' in bucket " + bucket + " failed",
                    cf::describe(listed), "/bucket");
    }
    return stored;
  }

  static bool unchanged(const StoredObject& stored, const site::SiteFile& file, const std::string& cache_control,
                        const Target& target, site::Md5Cache& hashes) {
    if (!stored.content_type.empty() && stored.content_type != site::content_type_for(file.relative))
      return false;
    if (stored.has_metadata && stored.cache_control != cache_control) return false;
    // An object uploaded in parts: its ETag is the MD5 of the parts' MD5s,
    // comparable when this step would cut the file into as many parts.
    if (const auto parts = site::etag_parts(stored.etag); parts > 0) {
      const auto part_size = site::part_size_for(file.stamp.size, target.part_size);
      return parts == site::parts_for(file.stamp.size, part_size) &&
             site::multipart_etag(file.absolute, part_size) == stored.etag;
    }
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

  // An upload R2 accepted: its ETag is the MD5 of what R2 stored (of the
  // parts' MD5s for a multipart one, `part_size` > 0); compared with the
  // file, so a corrupted or changed upload is caught here.
  static void record_upload(Outcome& outcome, const Work& w, const std::string& etag, site::Md5Cache& hashes,
                            std::uint64_t part_size = 0) {
    ++outcome.uploaded;
    outcome.bytes += w.file->stamp.size;
    std::string md5;
    const bool comparable = part_size > 0 ? site::etag_parts(etag) > 0 : etag.size() == 32;
    try {
      if (part_size > 0) {
        md5 = site::multipart_etag(w.file->absolute, part_size);
      } else if (comparable) {
        md5 = hashes.md5(*w.file);
        // A remembered MD5 that R2 contradicts is read again before the
        // upload is called damaged: the cache may be the one wrong.
        if (md5 != etag) md5 = hashes.fresh_md5(*w.file);
      }
    } catch (const std::exception& e) {
      outcome.failures.push_back(w.method + " " + w.key + ": uploaded, but " + e.what());
      return;
    }
    if (!comparable)
      ++outcome.unverified;
    else if (md5 == etag)
      ++outcome.verified;
    else
      outcome.failures.push_back(w.method + " " + w.key + ": R2 stored content with ETag " + etag +
                                 ", the local file's is " + md5 + " (did it change during the upload?)");
  }

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
    json::object batch = batch_of(std::move(requests), concurrency);

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
          record_upload(outcome, w,
                        result.result.is_object()
                            ? site::strip_etag_quotes(cf::string_at(result.result.as_object(), "etag"))
                            : std::string(),
                        hashes);
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

  // ListObjectsV2, page by page (1,000 keys each), following the
  // continuation token.
  static std::map<std::string, StoredObject> list_stored_s3(const pipewright::Call& call, const Target& t,
                                                            const std::string& prefix) {
    std::map<std::string, StoredObject> stored;
    std::string token;
    s3::ListingCursor cursor;  // 100,000 pages of 1,000 keys: far past any site
    for (;;) {
      call.throw_if_cancelled();
      std::string query = "?list-type=2&max-keys=1000&prefix=" + pw::sigv4::uri_encode(prefix + "/", false);
      if (!token.empty()) query += "&continuation-token=" + pw::sigv4::uri_encode(token, false);
      auto r = pipewright::http(call, {{"method", "GET"},
                                       {"url", site::s3_bucket_url(t.endpoint, t.bucket, query)},
                                       {"sign", "aws-sigv4"}});
      const std::string what = "listing the objects under '" + prefix + "/' in bucket " + t.bucket;
      if (!r.ok()) throw s3_failure(r, t, what);
      std::string error;
      auto page = s3::parse_list_page(r.body, error);
      if (!page) throw Failure(what + " failed: " + error, describe_s3(r), "/bucket");
      for (auto& o : page->objects) {
        StoredObject object;
        object.etag = std::move(o.etag);
        object.has_metadata = false;
        stored.insert_or_assign(std::move(o.key), std::move(object));
      }
      if (!page->truncated) return stored;
      if (auto refused = cursor.refuse_next(*page)) throw Failure(what + " failed: " + *refused, "", "/bucket");
      token = page->next_token;
    }
  }

  static json::object upload_headers(const site::SiteFile& file, const std::string& cache_control) {
    json::object headers{{"Content-Type", site::content_type_for(file.relative)}};
    if (!cache_control.empty()) headers["Cache-Control"] = cache_control;
    return headers;
  }

  // The index a batch answer names, or nullopt when it names none of `n`.
  static std::optional<std::size_t> answer_index(std::string_view meta, std::size_t n) {
    boost::system::error_code ec;
    auto parsed = json::parse(meta, ec);
    const json::value* index = (!ec && parsed.is_object()) ? parsed.as_object().if_contains("index") : nullptr;
    if (index == nullptr || !index->is_int64() || index->as_int64() < 0 ||
        static_cast<std::size_t>(index->as_int64()) >= n)
      return std::nullopt;
    return static_cast<std::size_t>(index->as_int64());
  }

  // Through R2's S3 API: small files in one batch of PutObject, large ones
  // each in parts, stale keys in DeleteObjects of up to 1,000.
  static Outcome send_s3(const pipewright::Call& call, const Target& t, const std::string& cache_control,
                         int concurrency, const std::vector<Work>& work, site::Md5Cache& hashes) {
    Outcome outcome;
    if (work.empty()) {
      call.progress(R"({"done":0,"total":0,"message":"nothing to upload"})");
      return outcome;
    }
    std::vector<const Work*> singles, multiparts;
    std::vector<std::string> stale;
    for (const auto& w : work) {
      if (!w.file)
        stale.push_back(w.key);
      else if (w.file->stamp.size > t.multipart_threshold)
        multiparts.push_back(&w);
      else
        singles.push_back(&w);
    }
    std::size_t done = 0;
    auto advance = [&](std::size_t n, const std::string& message) {
      done += n;
      json::object progress{{"done", done}, {"total", work.size()}, {"message", message}};
      call.progress(json::serialize(progress));
    };
    // A refusal for want of permission stops the step with what to do,
    // rather than as one failed key among many.
    std::optional<pipewright::Response> denied;

    if (!singles.empty()) {
      json::array requests;
      for (const auto* w : singles)
        requests.push_back(json::object{{"method", "PUT"},
                                        {"url", site::s3_object_url(t.endpoint, t.bucket, w->key)},
                                        {"headers", upload_headers(*w->file, cache_control)},
                                        {"body_file", w->file->absolute},
                                        {"sign", "aws-sigv4"}});
      std::vector<bool> answered(singles.size(), false);
      json::object batch = batch_of(std::move(requests), concurrency);
      call.http_batch(json::serialize(batch), [&](std::string_view meta, std::string_view body) {
        const auto i = answer_index(meta, singles.size());
        if (!i) return;
        answered[*i] = true;
        const auto& w = *singles[*i];
        auto r = pipewright::decode_response(meta, body);
        if (r.ok())
          record_upload(outcome, w, site::strip_etag_quotes(r.header("etag")), hashes);
        else if (s3_code(r) == "AccessDenied")
          denied = std::move(r);
        else
          outcome.failures.push_back("PUT " + w.key + ": " + describe_s3(r));
        advance(1, w.key);
      });
      if (denied) throw s3_failure(*denied, t, "uploading to bucket " + t.bucket);
      for (std::size_t i = 0; i < singles.size(); ++i)
        if (!answered[i]) outcome.failures.push_back("PUT " + singles[i]->key + ": no answer from the host");
    }

    for (const auto* w : multiparts) {
      call.throw_if_cancelled();
      upload_in_parts(call, t, cache_control, concurrency, *w, hashes, outcome);
      advance(1, w->key);
    }

    for (std::size_t first = 0; first < stale.size(); first += max_delete_keys) {
      call.throw_if_cancelled();
      const std::vector<std::string> keys(stale.begin() + static_cast<std::ptrdiff_t>(first),
                                          stale.begin() + static_cast<std::ptrdiff_t>(
                                                              std::min(stale.size(), first + max_delete_keys)));
      const auto body = s3::delete_objects_body(keys);
      auto r = pipewright::http(call,
                                {{"method", "POST"},
                                 {"url", site::s3_bucket_url(t.endpoint, t.bucket, "?delete")},
                                 {"headers", json::object{{"Content-Type", "application/xml"},
                                                          {"Content-MD5", s3::content_md5(body)}}},
                                 {"safe_to_retry", true},  // deleting twice deletes once
                                 {"sign", "aws-sigv4"}},
                                body);
      if (s3_code(r) == "AccessDenied") throw s3_failure(r, t, "deleting stale objects in bucket " + t.bucket);
      std::string error;
      auto failed = r.ok() ? s3::parse_delete_result(r.body, error) : std::nullopt;
      if (!failed) {
        for (const auto& key : keys)
          outcome.failures.push_back("DELETE " + key + ": " + (r.ok() ? error : describe_s3(r)));
      } else {
        std::size_t refused = 0;
        for (const auto& [key, e] : *failed)
          if (e.code != "NoSuchKey") {
            ++refused;
            outcome.failures.push_back("DELETE " + key + ": " + e.code + (e.message.empty() ? "" : ": " + e.message));
          }
        outcome.deleted += keys.size() - refused;
      }
      advance(keys.size(), "deleted " + std::to_string(keys.size()) + " stale object(s)");
    }
    return outcome;
  }

  // CreateMultipartUpload, the parts streamed from disk by the host (a few
  // in flight, each read as it is sent), CompleteMultipartUpload; on any
  // failure or cancellation AbortMultipartUpload, so no parts are left
  // stored (and billed).
  static void upload_in_parts(const pipewright::Call& call, const Target& t, const std::string& cache_control,
                              int concurrency, const Work& w, site::Md5Cache& hashes, Outcome& outcome) {
    const std::uint64_t size = w.file->stamp.size;
    const std::uint64_t part_size = site::part_size_for(size, t.part_size);
    const std::uint64_t parts = site::parts_for(size, part_size);
    const std::string what = "the multipart upload of " + w.key;
    auto created = pipewright::http(call, {{"method", "POST"},
                                           {"url", site::s3_object_url(t.endpoint, t.bucket, w.key, "?uploads")},
                                           {"headers", upload_headers(*w.file, cache_control)},
                                           // a lost create leaves only an empty upload R2 expires
                                           {"safe_to_retry", true},
                                           {"sign", "aws-sigv4"}});
    if (s3_code(created) == "AccessDenied") throw s3_failure(created, t, "uploading to bucket " + t.bucket);
    const auto upload_id = created.ok() ? s3::parse_upload_id(created.body) : std::nullopt;
    if (!upload_id) {
      outcome.failures.push_back("PUT " + w.key + ": starting " + what + " failed: " + describe_s3(created));
      return;
    }
    const std::string id_query = "uploadId=" + pw::sigv4::uri_encode(*upload_id, false);
    bool completed = false;
    auto abort = [&] {
      try {
        auto r = pipewright::http(call, {{"method", "DELETE"},
                                         {"url", site::s3_object_url(t.endpoint, t.bucket, w.key, "?" + id_query)},
                                         {"sign", "aws-sigv4"},
                                         {"cleanup", true}});
        if (!r.ok() && r.status != 404)
          call.warn("aborting " + what + " failed (" + describe_s3(r) +
                    "); R2 removes unfinished uploads after 7 days");
      } catch (...) {
        // Cancelled while aborting: the abort itself was still sent.
      }
    };
    try {
      json::array requests;
      for (std::uint64_t k = 0; k < parts; ++k) {
        const std::uint64_t offset = k * part_size;
        requests.push_back(json::object{
            {"method", "PUT"},
            {"url", site::s3_object_url(t.endpoint, t.bucket, w.key,
                                        "?partNumber=" + std::to_string(k + 1) + "&" + id_query)},
            {"body_file", w.file->absolute},
            {"body_range", json::object{{"offset", offset}, {"length", std::min(part_size, size - offset)}}},
            {"sign", "aws-sigv4"}});
      }
      // Each part in flight is one streamed file range, so memory does not
      // grow with the part size; a few at once keep the link busy.
      // Parts of 16 MiB and more: a few at a time already fill the link.
      json::object batch =
          batch_of(std::move(requests), concurrency > 0 ? std::min(concurrency, 4) : 4);
      std::vector<std::string> etags(parts);
      std::string part_failure;
      call.http_batch(json::serialize(batch), [&](std::string_view meta, std::string_view body) {
        const auto k = answer_index(meta, parts);
        if (!k) return;
        auto r = pipewright::decode_response(meta, body);
        if (r.ok() && !r.header("etag").empty())
          etags[*k] = site::strip_etag_quotes(r.header("etag"));
        else if (part_failure.empty())
          part_failure = "part " + std::to_string(*k + 1) + " of " + std::to_string(parts) + ": " + describe_s3(r);
      });
      for (std::uint64_t k = 0; k < parts && part_failure.empty(); ++k)
        if (etags[k].empty()) part_failure = "part " + std::to_string(k + 1) + ": no answer from the host";
      if (!part_failure.empty()) {
        abort();
        outcome.failures.push_back("PUT " + w.key + ": " + what + " failed at " + part_failure);
        return;
      }
      call.throw_if_cancelled();
      const auto body = s3::complete_multipart_body(etags);
      auto done = pipewright::http(call,
                                   {{"method", "POST"},
                                    {"url", site::s3_object_url(t.endpoint, t.bucket, w.key, "?" + id_query)},
                                    {"headers", json::object{{"Content-Type", "application/xml"}}},
                                    {"sign", "aws-sigv4"}},
                                   body);
      // S3 may answer 200 and still report an error in the body.
      const auto failed = s3::parse_error(done.body);
      if (!done.ok() || failed) {
        abort();
        outcome.failures.push_back("PUT " + w.key + ": completing " + what + " failed: " + describe_s3(done) +
                                   (failed && done.ok() ? " " + failed->code : ""));
        return;
      }
      completed = true;
      record_upload(outcome, w, s3::parse_complete_etag(done.body), hashes, part_size);
    } catch (...) {
      if (!completed) abort();
      throw;
    }
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(R2Upload)
