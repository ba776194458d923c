// Unit tests of the deploy plugins' pure parts: content types, R2 key
// encoding, site walking, streaming MD5, the Worker multipart body and the
// deploy hash.
#define BOOST_TEST_MODULE cloudflare_deploy_unit
#include <boost/test/unit_test.hpp>

#include "site_files.hpp"
#include "site_router_js.hpp"
#include "test_support.hpp"  // tests/runtime: TempDir, read_file
#include "worker_upload.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
namespace site = pipewright::cloudflare::site;
namespace worker = pipewright::cloudflare::worker;

using pw::test::read_file;
using pw::test::TempDir;

namespace {

// Lowers the open-file limit so that only the next `allowed` descriptors can
// be opened; the old limit is back at the end of the scope.
struct OpenFileLimit {
  rlimit saved{};
  explicit OpenFileLimit(int allowed) {
    BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    std::vector<int> next;
    for (int i = 0; i < allowed; ++i) next.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    for (int fd : next) ::close(fd);
    BOOST_REQUIRE(*std::min_element(next.begin(), next.end()) >= 0);
    rlimit lowered = saved;
    lowered.rlim_cur = static_cast<rlim_t>(*std::max_element(next.begin(), next.end()) + 1);
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~OpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  OpenFileLimit(const OpenFileLimit&) = delete;
  OpenFileLimit& operator=(const OpenFileLimit&) = delete;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(content_types)

BOOST_AUTO_TEST_CASE(maps_every_listed_extension) {
  BOOST_TEST(site::content_type_for("a/index.html") == "text/html; charset=utf-8");
  BOOST_TEST(site::content_type_for("css/site.css") == "text/css; charset=utf-8");
  BOOST_TEST(site::content_type_for("app.js") == "text/javascript; charset=utf-8");
  BOOST_TEST(site::content_type_for("app.mjs") == "text/javascript; charset=utf-8");
  BOOST_TEST(site::content_type_for("data.json") == "application/json");
  BOOST_TEST(site::content_type_for("app.js.map") == "application/json");
  BOOST_TEST(site::content_type_for("logo.svg") == "image/svg+xml");
  BOOST_TEST(site::content_type_for("logo.png") == "image/png");
  BOOST_TEST(site::content_type_for("photo.jpg") == "image/jpeg");
  BOOST_TEST(site::content_type_for("photo.jpeg") == "image/jpeg");
  BOOST_TEST(site::content_type_for("anim.gif") == "image/gif");
  BOOST_TEST(site::content_type_for("pic.webp") == "image/webp");
  BOOST_TEST(site::content_type_for("favicon.ico") == "image/x-icon");
  BOOST_TEST(site::content_type_for("robots.txt") == "text/plain; charset=utf-8");
  BOOST_TEST(site::content_type_for("sitemap.xml") == "application/xml");
  BOOST_TEST(site::content_type_for("font.woff") == "font/woff");
  BOOST_TEST(site::content_type_for("font.woff2") == "font/woff2");
  BOOST_TEST(site::content_type_for("mod.wasm") == "application/wasm");
  BOOST_TEST(site::content_type_for("doc.pdf") == "application/pdf");
}

BOOST_AUTO_TEST_CASE(ignores_case_and_defaults_to_octet_stream) {
  BOOST_TEST(site::content_type_for("IMG/PHOTO.JPG") == "image/jpeg");
  BOOST_TEST(site::content_type_for("archive.tar.gz") == "application/octet-stream");
  BOOST_TEST(site::content_type_for("LICENSE") == "application/octet-stream");
  BOOST_TEST(site::content_type_for(".htaccess") == "application/octet-stream");
  BOOST_TEST(site::content_type_for("dir.html/file") == "application/octet-stream");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(object_path_keeps_slashes_and_encodes_each_segment) {
  BOOST_TEST(site::object_path("acc", "site-assets", "acme/docs/price list.txt") ==
             "/accounts/acc/r2/buckets/site-assets/objects/acme/docs/price%20list.txt");
  BOOST_TEST(site::object_path("acc", "b", "acme/docs/crème-brûlée.html") ==
             "/accounts/acc/r2/buckets/b/objects/acme/docs/cr%C3%A8me-br%C3%BBl%C3%A9e.html");
  BOOST_TEST(site::object_path("acc", "b", "t/a?b#c%d+e.txt") ==
             "/accounts/acc/r2/buckets/b/objects/t/a%3Fb%23c%25d%2Be.txt");
}

BOOST_AUTO_TEST_CASE(object_key_joins_prefix_and_relative_path) {
  BOOST_TEST(site::object_key("acme", "docs/guides/ordering.html") == "acme/docs/guides/ordering.html");
}

BOOST_AUTO_TEST_CASE(normalise_prefix_trims_slashes_and_refuses_escapes) {
  BOOST_TEST(site::normalise_prefix("/acme/") == "acme");
  BOOST_TEST(site::normalise_prefix("tenants/acme") == "tenants/acme");
  BOOST_TEST(site::normalise_prefix("").empty());
  BOOST_TEST(site::normalise_prefix("//").empty());
  BOOST_TEST(site::normalise_prefix("a//b").empty());
  BOOST_TEST(site::normalise_prefix("a/../b").empty());
  BOOST_TEST(site::normalise_prefix(".").empty());
  BOOST_TEST(site::normalise_prefix("a\\b").empty());
}

BOOST_AUTO_TEST_CASE(strips_etag_quotes) {
  BOOST_TEST(site::strip_etag_quotes("\"abc\"") == "abc");
  BOOST_TEST(site::strip_etag_quotes("W/\"abc\"") == "abc");
  BOOST_TEST(site::strip_etag_quotes("abc") == "abc");
  BOOST_TEST(site::strip_etag_quotes("\"") == "\"");
}

BOOST_AUTO_TEST_CASE(recognises_utf8) {
  BOOST_TEST(site::is_valid_utf8("crème brûlée/日本.txt"));
  BOOST_TEST(!site::is_valid_utf8("bad\xff"));
  BOOST_TEST(!site::is_valid_utf8("\xc3"));           // truncated
  BOOST_TEST(!site::is_valid_utf8("\xc0\xaf"));       // overlong '/'
  BOOST_TEST(!site::is_valid_utf8("\xed\xa0\x80"));   // surrogate
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(files)

BOOST_AUTO_TEST_CASE(md5_matches_known_digests) {
  TempDir dir;
  BOOST_TEST(site::md5_file(dir.write("empty", "")) == "d41d8cd98f00b204e9800998ecf8427e");
  BOOST_TEST(site::md5_file(dir.write("abc", "abc")) == "900150983cd24fb0d6963f7d28e17f72");
}

BOOST_AUTO_TEST_CASE(md5_streams_a_file_larger_than_its_buffer) {
  TempDir dir;
  // One million 'a' (RFC 1321's test suite value), 15+ read chunks.
  auto file = dir.write("million", std::string(1000000, 'a'));
  BOOST_TEST(site::md5_file(file) == "7707d6ae4e027c70eea2a935c2296f21");
}

BOOST_AUTO_TEST_CASE(md5_of_a_missing_file_throws_naming_it) {
  TempDir dir;
  try {
    site::md5_file(dir.path / "nope.txt");
    BOOST_FAIL("no exception");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("nope.txt") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(walk_lists_regular_files_sorted_and_skips_symlinks) {
  TempDir dir;
  dir.write("index.html", "x");
  dir.write("docs/price list.txt", "x");
  dir.write("docs/crème.html", "x");
  dir.write("a/b/c/deep.css", "x");
  dir.write(".well-known/security.txt", "x");
  dir.write(".hidden", "x");
  fs::create_directory_symlink(dir.path / "docs", dir.path / "linked-dir");
  fs::create_symlink(dir.path / "index.html", dir.path / "linked.html");

  auto all = site::walk(dir.path, false);
  std::vector<std::string> names;
  for (const auto& f : all.files) names.push_back(f.relative);
  std::vector<std::string> expected{".hidden", ".well-known/security.txt", "a/b/c/deep.css",
                                    "docs/crème.html", "docs/price list.txt", "index.html"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  std::vector<std::string> links = all.symlinks;
  std::sort(links.begin(), links.end());
  BOOST_TEST(links == (std::vector<std::string>{"linked-dir", "linked.html"}), boost::test_tools::per_element());
  BOOST_TEST(all.files.back().stamp.size == 1u);

  auto visible = site::walk(dir.path, true);
  names.clear();
  for (const auto& f : visible.files) names.push_back(f.relative);
  BOOST_TEST(names == (std::vector<std::string>{"a/b/c/deep.css", "docs/crème.html", "docs/price list.txt",
                                                "index.html"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(walk_reports_names_that_are_not_utf8) {
  TempDir dir;
  dir.write("ok.txt", "x");
  dir.write(std::string("bad\xff.txt"), "x");
  auto walked = site::walk(dir.path, false);
  BOOST_TEST(walked.files.size() == 1u);
  BOOST_TEST(walked.invalid_names.size() == 1u);
}

BOOST_AUTO_TEST_CASE(walk_stamps_each_file_as_lstat_does) {
  TempDir dir;
  dir.write("index.html", "hello");
  dir.write("a/b/deep.css", std::string(70000, 'x'));
  dir.write("empty", "");
  fs::create_hard_link(dir.path / "index.html", dir.path / "a" / "same.html");
  fs::create_symlink(dir.path / "index.html", dir.path / "linked.html");
  auto walked = site::walk(dir.path, false);
  BOOST_REQUIRE(walked.files.size() == 4u);
  for (const auto& f : walked.files) {
    auto stamp = site::stamp_of(f.absolute);
    BOOST_REQUIRE_MESSAGE(stamp.has_value(), f.relative);
    BOOST_TEST((f.stamp == *stamp), f.relative);
    BOOST_TEST(f.stamp.size == fs::file_size(f.absolute), f.relative);
  }
  BOOST_TEST(walked.files[1].relative == "a/same.html");
  BOOST_TEST(walked.files[1].stamp.inode == walked.files[3].stamp.inode);
  BOOST_TEST(walked.files[0].stamp.inode != walked.files[3].stamp.inode);
  BOOST_TEST(!site::stamp_of(dir.path / "a").has_value());
  BOOST_TEST(!site::stamp_of(dir.path / "linked.html").has_value());
  BOOST_TEST(!site::stamp_of(dir.path / "missing").has_value());
}

BOOST_AUTO_TEST_CASE(walk_of_a_missing_root_throws_naming_it) {
  TempDir dir;
  try {
    site::walk(dir.path / "nope", false);
    BOOST_FAIL("no exception");
  } catch (const fs::filesystem_error& e) {
    BOOST_TEST(e.path1() == dir.path / "nope");
    BOOST_TEST((e.code() == std::errc::no_such_file_or_directory));
  }
}

BOOST_AUTO_TEST_CASE(walk_names_the_directory_it_cannot_open_and_closes_the_others) {
  // Root reads any directory whatever its mode, so the open is made to fail
  // by the limit on open files: the root and "a" fit under it, "a/b" does not.
  TempDir dir;
  dir.write("a/b/deep.css", "x");
  dir.write("a/file.txt", "x");
  std::optional<fs::filesystem_error> failed;
  std::vector<int> reopened;
  {
    OpenFileLimit only_two(2);
    try {
      site::walk(dir.path, false);
    } catch (const fs::filesystem_error& e) {
      failed = e;
    }
    // Both descriptors the walk held are closed again.
    for (int i = 0; i < 2; ++i) reopened.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  for (int fd : reopened)
    if (fd >= 0) ::close(fd);
  BOOST_TEST(*std::min_element(reopened.begin(), reopened.end()) >= 0);
  BOOST_REQUIRE_MESSAGE(failed.has_value(), "the walk did not fail");
  BOOST_TEST(failed->path1() == dir.path / "a/b");
  BOOST_TEST((failed->code() == std::errc::too_many_files_open));
  BOOST_TEST(std::string(failed->what()).find("a/b") != std::string::npos);
  BOOST_TEST(site::walk(dir.path, false).files.size() == 2u);  // the limit is restored
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(worker_upload)

BOOST_AUTO_TEST_CASE(multipart_body_has_the_metadata_and_module_parts) {
  worker::Module module{"site-router.js", "export default {};\n"};
  auto body = worker::multipart_body(R"({"main_module":"site-router.js"})", module, "BOUNDARY");
  const std::string expected =
      "--BOUNDARY\r\n"
      "Content-Disposition: form-data; name=\"metadata\"; filename=\"metadata\"\r\n"
      "Content-Type: application/json\r\n"
      "\r\n"
      "{\"main_module\":\"site-router.js\"}\r\n"
      "--BOUNDARY\r\n"
      "Content-Disposition: form-data; name=\"site-router.js\"; filename=\"site-router.js\"\r\n"
      "Content-Type: application/javascript+module\r\n"
      "\r\n"
      "export default {};\n\r\n"
      "--BOUNDARY--\r\n";
  BOOST_TEST(body == expected);
}

BOOST_AUTO_TEST_CASE(boundary_is_stable_and_absent_from_the_parts) {
  worker::Module module{"w.js", "const a = '--pipewright-';"};
  auto one = worker::boundary_for("{}", module);
  BOOST_TEST(one == worker::boundary_for("{}", module));
  BOOST_TEST(one.starts_with("pipewright-"));
  BOOST_TEST(module.content.find(one) == std::string::npos);
  worker::Module other{"w.js", "const a = 2;"};
  BOOST_TEST(one != worker::boundary_for("{}", other));
}

BOOST_AUTO_TEST_CASE(deploy_hash_covers_metadata_name_and_content) {
  worker::Module module{"w.js", "a"};
  auto base = worker::deploy_hash("{}", module);
  BOOST_TEST(base.size() == 64u);
  BOOST_TEST(base == worker::deploy_hash("{}", module));
  BOOST_TEST(base != worker::deploy_hash(R"({"x":1})", module));
  BOOST_TEST(base != worker::deploy_hash("{}", worker::Module{"v.js", "a"}));
  BOOST_TEST(base != worker::deploy_hash("{}", worker::Module{"w.js", "b"}));
}

BOOST_AUTO_TEST_CASE(hash_marker_round_trips_through_a_deployed_body) {
  const std::string hash(64, 'a');
  auto marked = worker::with_hash_marker("export default {}", hash);
  BOOST_TEST(marked.starts_with("export default {}\n// pipewright:deploy-hash="));
  BOOST_TEST(worker::find_hash_marker(marked) == hash);
  // The download of a module Worker may come back as multipart.
  worker::Module module{"w.js", marked};
  BOOST_TEST(worker::find_hash_marker(worker::multipart_body("{}", module, "B")) == hash);
  BOOST_TEST(worker::find_hash_marker("export default {}").empty());
  BOOST_TEST(worker::find_hash_marker("// pipewright:deploy-hash=xyz").empty());
}

BOOST_AUTO_TEST_CASE(module_names_are_checked) {
  BOOST_TEST(worker::valid_module_name("site-router.js"));
  BOOST_TEST(worker::valid_module_name("index.mjs"));
  BOOST_TEST(!worker::valid_module_name("index.ts"));
  BOOST_TEST(!worker::valid_module_name("my worker.js"));
  BOOST_TEST(!worker::valid_module_name("quote\".js"));
  BOOST_TEST(!worker::valid_module_name(".js"));
}

BOOST_AUTO_TEST_CASE(built_in_site_router_is_worker_site_router_js) {
  auto on_disk = read_file(fs::path(PW_TEST_SOURCE_DIR) / "worker" / "site-router.js");
  BOOST_TEST(!on_disk.empty());
  BOOST_TEST(worker::site_router_js == on_disk);
  BOOST_TEST(worker::site_router_name == "site-router.js");
}

BOOST_AUTO_TEST_SUITE_END()
