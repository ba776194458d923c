// Unit tests of r2.upload's hash cache: which MD5s it remembers between
// runs, when it must read a file again, what it writes, and which cache
// files it ignores.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "md5_cache.hpp"
#include "site_files.hpp"
#include "test_support.hpp"  // tests/runtime: TempDir, read_file

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace site = pipewright::cloudflare::site;
using pw::test::read_file;
using pw::test::TempDir;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

constexpr const char* md5_of_abc = "900150983cd24fb0d6963f7d28e17f72";
constexpr const char* not_the_md5 = "ffffffffffffffffffffffffffffffff";

// A step start far enough after every file's timestamps that all count as old.
Clock::time_point long_after_now() { return Clock::now() + 10s; }

Clock::time_point at_ns(std::int64_t ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

const site::SiteFile& named(const site::WalkResult& walked, const std::string& relative) {
  for (const auto& f : walked.files)
    if (f.relative == relative) return f;
  throw std::runtime_error("the walk did not find " + relative);
}

// Runs from a scratch directory, so a relative path written by mistake lands there.
struct InDirectory {
  fs::path previous = fs::current_path();
  explicit InDirectory(const fs::path& dir) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(previous); }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;
};

// A site directory and a cache directory side by side, both removed at the end.
struct SiteAndCache {
  TempDir dir;
  fs::path root = dir.path / "site";
  fs::path cache_dir = dir.path / "cache";

  SiteAndCache() { fs::create_directories(root); }

  fs::path write(const std::string& relative, const std::string& content) const {
    return dir.write("site/" + relative, content);
  }
  site::Md5Cache cache(Clock::time_point started = long_after_now()) const {
    return site::Md5Cache(cache_dir, root, started);
  }
  // Every file's MD5 through `cache`, by relative path.
  std::map<std::string, std::string> hash_all(site::Md5Cache& cache,
                                              bool skip_hidden = false) const {
    std::map<std::string, std::string> out;
    for (const auto& f : site::walk(root, skip_hidden).files) out[f.relative] = cache.md5(f);
    return out;
  }
  // Every file's MD5, read by md5_file.
  std::map<std::string, std::string> read_all() const {
    std::map<std::string, std::string> out;
    for (const auto& f : site::walk(root, false).files)
      out[f.relative] = site::md5_file(f.absolute);
    return out;
  }
  fs::path cache_file() const { return cache().file(); }
  json::object stored() const { return json::parse(read_file(cache_file())).as_object(); }
  void store(const json::value& doc) const {
    dir.write("cache/r2-upload/" + cache_file().filename().string(), json::serialize(doc));
  }
  void store_text(const std::string& text) const {
    dir.write("cache/r2-upload/" + cache_file().filename().string(), text);
  }
  // The recorded cache with every MD5 replaced by one no file has: a cache
  // that is used answers it, one that is ignored reads the files.
  json::object stored_with_fake_md5s() const {
    auto doc = stored();
    for (auto& [relative, entry] : doc.at("files").as_object()) entry.as_array()[5] = not_the_md5;
    return doc;
  }
  std::set<std::string> names_in(const fs::path& folder) const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(folder)) names.insert(e.path().filename().string());
    return names;
  }
  // Records the MD5 of every file in the cache file.
  void record_all() const {
    auto first = cache();
    hash_all(first);
    first.save();
    BOOST_REQUIRE(fs::is_regular_file(first.file()));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(md5_cache, SiteAndCache)

BOOST_AUTO_TEST_CASE(cache_file_is_named_by_the_root_under_r2_upload) {
  auto file = cache_file();
  BOOST_TEST(file.parent_path() == cache_dir / "r2-upload");
  BOOST_TEST(file.extension() == ".json");
  BOOST_TEST(file.stem().string().size() == 32u);
  BOOST_TEST(site::Md5Cache(cache_dir, root, Clock::now()).file() == file);
  BOOST_TEST(site::Md5Cache(cache_dir, dir.path / "other-site", Clock::now()).file() != file);
}

BOOST_AUTO_TEST_CASE(second_cache_returns_the_recorded_md5s_without_reading_the_files) {
  write("abc.txt", "abc");
  write("docs/empty.txt", "");
  write("img/logo.png", std::string("\x89PNG\r\n\x1a\n\0\0", 10));
  auto first = cache();
  auto hashed = hash_all(first);
  BOOST_TEST(first.hits() == 0u);
  BOOST_TEST(hashed == read_all());
  BOOST_TEST(hashed["abc.txt"] == md5_of_abc);
  BOOST_TEST(hashed["docs/empty.txt"] == "d41d8cd98f00b204e9800998ecf8427e");
  first.save();

  // Removed after the walk: only a remembered MD5 can be returned for them,
  // reading any would throw.
  auto walked = site::walk(root, false);
  for (const auto& f : walked.files) fs::remove(f.absolute);
  auto second = cache();
  for (const auto& f : walked.files) BOOST_TEST(second.md5(f) == hashed[f.relative]);
  BOOST_TEST(second.hits() == walked.files.size());
}

BOOST_AUTO_TEST_CASE(rewrite_with_the_same_size_and_restored_mtime_is_read_again) {
  auto file = write("page.html", "abc");
  record_all();
  auto before = *site::stamp_of(file);

  std::this_thread::sleep_for(100ms);  // a later clock tick for the new ctime
  auto mtime = fs::last_write_time(file);
  write("page.html", "xyz");
  fs::last_write_time(file, mtime);
  auto after = *site::stamp_of(file);
  // Only the ctime tells the rewrite apart.
  BOOST_REQUIRE(after.size == before.size);
  BOOST_REQUIRE(after.mtime_ns == before.mtime_ns);
  BOOST_REQUIRE(after.inode == before.inode);
  BOOST_REQUIRE(after.ctime_ns != before.ctime_ns);

  auto second = cache();
  auto hashed = hash_all(second);
  BOOST_TEST(hashed["page.html"] == site::md5_file(file));
  BOOST_TEST(hashed["page.html"] != md5_of_abc);
  BOOST_TEST(second.hits() == 0u);
  second.save();

  auto third = cache();
  BOOST_TEST(hash_all(third)["page.html"] == site::md5_file(file));
  BOOST_TEST(third.hits() == 1u);
}

BOOST_AUTO_TEST_CASE(file_not_older_than_the_margin_is_hashed_but_not_recorded) {
  auto file = write("new.txt", "abc");
  // An mtime with nanoseconds: the fine (50 ms) margin applies, whatever the ctime.
  fs::last_write_time(
      file,
      std::chrono::floor<std::chrono::seconds>(fs::file_time_type::clock::now() - 1h) + 123ns);
  auto stamp = *site::stamp_of(file);
  const auto newest = std::max(stamp.mtime_ns, stamp.ctime_ns);
  const std::int64_t margin = 50'000'000;

  {
    auto young = cache(at_ns(newest + margin));
    BOOST_TEST(hash_all(young)["new.txt"] == md5_of_abc);
    young.save();
    BOOST_TEST(!fs::exists(young.file()));  // nothing recorded, nothing to write
  }
  {
    auto later = cache();
    hash_all(later);
    BOOST_TEST(later.hits() == 0u);
  }
  {
    auto old = cache(at_ns(newest + margin + 1));
    BOOST_TEST(hash_all(old)["new.txt"] == md5_of_abc);
    old.save();
  }
  auto later = cache();
  BOOST_TEST(hash_all(later)["new.txt"] == md5_of_abc);
  BOOST_TEST(later.hits() == 1u);
}

BOOST_AUTO_TEST_CASE(empty_cache_dir_reads_every_file_and_writes_nothing) {
  InDirectory here(dir.path);
  write("abc.txt", "abc");
  write("docs/b.txt", "b");
  {
    site::Md5Cache off({}, root, long_after_now());
    BOOST_TEST(off.file().empty());
    BOOST_TEST(hash_all(off) == read_all());
    off.save();
  }
  auto walked = site::walk(root, false);
  site::Md5Cache again({}, root, long_after_now());
  BOOST_TEST(again.md5(named(walked, "abc.txt")) == md5_of_abc);
  BOOST_TEST(again.hits() == 0u);
  fs::remove(root / "abc.txt");
  BOOST_CHECK_THROW(again.md5(named(walked, "abc.txt")), std::runtime_error);
  again.save();
  BOOST_TEST(names_in(dir.path) == std::set<std::string>{"site"});
}

BOOST_AUTO_TEST_CASE(recorded_md5_is_answered_as_recorded) {
  // The control for the tests that follow: a usable cache file is believed.
  write("abc.txt", "abc");
  record_all();
  store(stored_with_fake_md5s());
  auto second = cache();
  BOOST_TEST(hash_all(second)["abc.txt"] == not_the_md5);
  BOOST_TEST(second.hits() == 1u);
}

BOOST_AUTO_TEST_CASE(cache_file_that_is_not_json_is_ignored_then_rewritten) {
  write("abc.txt", "abc");
  write("b.txt", "b");
  record_all();
  for (const std::string& garbage :
       {std::string("{\"version\": 1, \"root\": "), std::string("\xff\0garbage", 9),
        std::string("[1, 2, 3]"), std::string()}) {
    store_text(garbage);
    auto second = cache();
    BOOST_TEST(hash_all(second) == read_all());
    BOOST_TEST(second.hits() == 0u);
    second.save();
    auto third = cache();
    BOOST_TEST(hash_all(third) == read_all());
    BOOST_TEST(third.hits() == 2u);
  }
}

BOOST_AUTO_TEST_CASE(cache_file_of_another_version_is_ignored) {
  write("abc.txt", "abc");
  record_all();
  auto doc = stored_with_fake_md5s();
  doc["version"] = 2;
  store(doc);
  auto second = cache();
  BOOST_TEST(hash_all(second)["abc.txt"] == md5_of_abc);
  BOOST_TEST(second.hits() == 0u);
  second.save();
  BOOST_TEST(stored().at("version") == 1);
}

BOOST_AUTO_TEST_CASE(cache_file_recorded_for_another_root_is_ignored) {
  write("abc.txt", "abc");
  record_all();
  auto doc = stored_with_fake_md5s();
  doc["root"] = (dir.path / "other-site").string();
  store(doc);
  auto second = cache();
  BOOST_TEST(hash_all(second)["abc.txt"] == md5_of_abc);
  BOOST_TEST(second.hits() == 0u);
  second.save();
  BOOST_TEST(stored().at("root").as_string() == root.string());
}

BOOST_AUTO_TEST_CASE(entries_of_the_wrong_shape_are_skipped_and_the_others_used) {
  write("good.txt", "abc");
  write("short.txt", "1");
  // Empty: a size that failed to parse must not default to theirs, 0.
  write("text-size.txt", "");
  write("number-md5.txt", "3");
  write("negative-size.txt", "");
  record_all();
  auto doc = stored_with_fake_md5s();
  auto& files = doc.at("files").as_object();
  files.at("short.txt").as_array().pop_back();
  files.at("text-size.txt").as_array()[0] = "0";
  files.at("number-md5.txt").as_array()[5] = 5;
  files.at("negative-size.txt").as_array()[0] = -1;
  store(doc);
  auto second = cache();
  auto hashed = hash_all(second);
  BOOST_TEST(second.hits() == 1u);
  BOOST_TEST(hashed["good.txt"] == not_the_md5);
  for (const char* bad : {"short.txt", "text-size.txt", "number-md5.txt", "negative-size.txt"})
    BOOST_TEST(hashed[bad] == site::md5_file(root / bad), bad);
}

BOOST_AUTO_TEST_CASE(unreadable_cache_file_is_ignored_and_save_cleans_up) {
  // A directory where the cache file belongs: it cannot be read, nor
  // replaced by the rename.
  write("abc.txt", "abc");
  fs::create_directories(cache_file() / "in-the-way");
  std::optional<site::Md5Cache> second;
  BOOST_REQUIRE_NO_THROW(second.emplace(cache_dir, root, long_after_now()));
  BOOST_TEST(hash_all(*second)["abc.txt"] == md5_of_abc);
  BOOST_TEST(second->hits() == 0u);
  BOOST_CHECK_NO_THROW(second->save());
  BOOST_TEST(names_in(cache_dir / "r2-upload") ==
             std::set<std::string>{cache_file().filename().string()});
  BOOST_TEST(fs::is_directory(cache_file() / "in-the-way"));
}

BOOST_AUTO_TEST_CASE(save_never_throws_when_the_cache_directory_cannot_be_made) {
  write("abc.txt", "abc");
  dir.write("cache", "a file, not a directory");
  auto c = cache();
  BOOST_TEST(hash_all(c)["abc.txt"] == md5_of_abc);
  BOOST_CHECK_NO_THROW(c.save());
  BOOST_TEST(fs::is_regular_file(cache_dir));
  BOOST_TEST(read_file(cache_dir) == "a file, not a directory");
}

BOOST_AUTO_TEST_CASE(save_records_stamp_and_md5_and_drops_deleted_files) {
  auto kept = write("kept.txt", "abc");
  write("gone.txt", "gone");
  record_all();
  BOOST_REQUIRE(stored().at("files").as_object().contains("gone.txt"));
  fs::remove(root / "gone.txt");

  auto second = cache();
  hash_all(second);
  BOOST_TEST(second.hits() == 1u);
  second.save();

  auto doc = stored();
  BOOST_TEST(doc.at("version") == 1);
  BOOST_TEST(doc.at("root").as_string() == root.string());
  const auto& files = doc.at("files").as_object();
  BOOST_TEST(files.size() == 1u);
  BOOST_TEST(!files.contains("gone.txt"));
  BOOST_REQUIRE(files.contains("kept.txt"));
  auto stamp = *site::stamp_of(kept);
  json::array expected{stamp.size,  stamp.mtime_ns, stamp.ctime_ns,
                       stamp.inode, stamp.device,   md5_of_abc};
  BOOST_TEST(json::serialize(files.at("kept.txt")) == json::serialize(expected));
}

BOOST_AUTO_TEST_CASE(save_keeps_entries_of_existing_files_this_run_did_not_look_at) {
  write("a.txt", "a");
  write(".hidden", "h");
  record_all();
  write("b.txt", "b");  // something new, so the save writes

  auto second = cache();
  auto hashed = hash_all(second, /*skip_hidden=*/true);
  BOOST_TEST(hashed.size() == 2u);
  second.save();
  std::set<std::string> recorded;
  auto doc = stored();
  for (const auto& [relative, entry] : doc.at("files").as_object())
    recorded.insert(std::string(relative));
  BOOST_TEST(recorded == (std::set<std::string>{".hidden", "a.txt", "b.txt"}));
}

BOOST_AUTO_TEST_CASE(save_writes_nothing_when_every_md5_came_from_the_cache) {
  write("abc.txt", "abc");
  record_all();
  auto before = *site::stamp_of(cache_file());
  std::this_thread::sleep_for(20ms);

  auto second = cache();
  hash_all(second);
  BOOST_TEST(second.hits() == 1u);
  second.save();
  // A write would be a new file renamed into place: another inode and ctime.
  BOOST_TEST((*site::stamp_of(cache_file()) == before));
}

BOOST_AUTO_TEST_CASE(save_leaves_no_temporary_files_behind) {
  auto file = write("abc.txt", "abc");
  write("b.txt", "b");
  record_all();
  for (const char* content : {"one", "two", "333"}) {
    std::this_thread::sleep_for(20ms);
    write("abc.txt", content);
    auto next = cache();
    BOOST_TEST(hash_all(next)["abc.txt"] == site::md5_file(file));
    next.save();
    BOOST_TEST(names_in(cache_dir / "r2-upload") ==
               std::set<std::string>{cache_file().filename().string()});
  }
  BOOST_TEST(names_in(cache_dir) == std::set<std::string>{"r2-upload"});
}

BOOST_AUTO_TEST_CASE(a_recorded_md5_that_is_not_md5_hex_is_ignored) {
  write("abc.txt", "abc");
  record_all();
  auto doc = stored();
  for (auto& [relative, entry] : doc.at("files").as_object()) entry.as_array()[5] = "FFFF";
  store(doc);
  auto second = cache();
  BOOST_TEST(hash_all(second)["abc.txt"] == md5_of_abc);
  BOOST_TEST(second.hits() == 0u);
}

BOOST_AUTO_TEST_CASE(fresh_md5_replaces_a_wrong_recorded_md5_for_good) {
  write("abc.txt", "abc");
  record_all();
  store(stored_with_fake_md5s());
  auto second = cache();
  const auto walked = site::walk(root, false);
  const auto& file = named(walked, "abc.txt");
  BOOST_TEST(second.md5(file) == not_the_md5);  // believed, until contradicted
  BOOST_TEST(second.fresh_md5(file) == md5_of_abc);
  BOOST_TEST(second.md5(file) == md5_of_abc);
  second.save();
  auto third = cache();
  BOOST_TEST(hash_all(third)["abc.txt"] == md5_of_abc);
  BOOST_TEST(third.hits() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
