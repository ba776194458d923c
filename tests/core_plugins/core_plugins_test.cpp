#define BOOST_TEST_MODULE core_plugins
#include "fake_host.hpp"

#include <pipewright/host/loader/plugin_registry.hpp>

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using pw::test::FakeCall;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pw-core-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// Loads the core plugins and the C fixture once for the whole module.
struct Plugins {
  pw::PluginRegistry registry{pw::test::fake_services()};
  Plugins() {
    registry.scan({PIPEWRIGHT_BUILD_PLUGIN_DIR, pw::test::fixture_dir("good_c"),
                   pw::test::fixture_dir("throwing"), pw::test::fixture_dir("invalid_output")});
  }
  const pw::LoadedPlugin& get(std::string_view name) const {
    const auto* p = registry.find(name);
    if (p == nullptr) throw std::runtime_error("plugin not loaded: " + std::string(name));
    return *p;
  }
};

const Plugins& plugins() {
  static Plugins instance;
  return instance;
}

pw_status run(std::string_view plugin, FakeCall& call, const std::string& with,
              const std::string& context = R"({"step_id":"t","attempt":1})") {
  const auto& p = plugins().get(plugin);
  return p.run(p.plugin_data, call.handle(), {with.data(), with.size()},
               {context.data(), context.size()});
}

std::string with_dotenv(const fs::path& file, const std::string& values,
                        const std::string& extra = {}) {
  return R"({"path":)" + boost::json::serialize(boost::json::value(file.string())) +
         R"(,"values":)" + values + extra + "}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(dotenv_write_creates_file_with_mode_0600_and_outputs_keys_only) {
  TempDir dir;
  FakeCall call;
  auto file = dir.path / ".env";
  auto status = run("core.dotenv.write", call,
                    with_dotenv(file, R"({"TOKEN":"s3cr3t value","PORT":8080,"DEBUG":true})"));
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(read(file) == "TOKEN=\"s3cr3t value\"\nPORT=8080\nDEBUG=true\n");
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  BOOST_TEST_REQUIRE(call.output("keys") != nullptr);
  BOOST_TEST(call.output("keys")->json == R"(["TOKEN","PORT","DEBUG"])");
  BOOST_TEST(call.output("path")->json ==
             boost::json::serialize(boost::json::value(file.string())));
  for (const auto& o : call.outputs) BOOST_TEST(o.json.find("s3cr3t") == std::string::npos);
  for (const auto& l : call.logs) BOOST_TEST(l.find("s3cr3t") == std::string::npos);
  BOOST_TEST(dir.entries() == 1u);
}

BOOST_AUTO_TEST_CASE(dotenv_write_updates_in_place_with_requested_mode) {
  TempDir dir;
  FakeCall call;
  auto file = dir.path / "app.env";
  write(file, "# app\nexport TOKEN=old\n\nOTHER=1\n");
  auto status = run("core.dotenv.write", call,
                    with_dotenv(file, R"({"TOKEN":"new","ADDED":"a#b"})", R"(,"mode":"0640")"));
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(read(file) == "# app\nexport TOKEN=new\n\nOTHER=1\nADDED=\"a#b\"\n");
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0640u);
}

// A file that already holds the values is left alone (same inode, same
// mtime: no temp file, no rename, no flush); a different mode still gets
// applied by a rewrite.
BOOST_AUTO_TEST_CASE(dotenv_write_leaves_a_file_that_already_holds_the_values_alone) {
  TempDir dir;
  auto file = dir.path / ".env";
  write(file, "# mine\nTOKEN=same\nOTHER=1\n");
  ::chmod(file.c_str(), 0600);
  struct stat before {};
  BOOST_TEST_REQUIRE(::stat(file.c_str(), &before) == 0);
  {
    FakeCall call;
    BOOST_TEST_REQUIRE(run("core.dotenv.write", call, with_dotenv(file, R"({"TOKEN":"same"})")) == PW_STATUS_OK);
    BOOST_TEST_REQUIRE(call.output("changed") != nullptr);
    BOOST_TEST(call.output("changed")->json == "false");
    BOOST_TEST(call.output("keys")->json == R"(["TOKEN"])");
  }
  struct stat after {};
  BOOST_TEST_REQUIRE(::stat(file.c_str(), &after) == 0);
  BOOST_TEST(after.st_ino == before.st_ino);
  BOOST_TEST(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  BOOST_TEST(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  BOOST_TEST(dir.entries() == 1u);

  FakeCall other_mode;
  BOOST_TEST_REQUIRE(run("core.dotenv.write", other_mode, with_dotenv(file, R"({"TOKEN":"same"})", R"(,"mode":"0640")")) ==
                     PW_STATUS_OK);
  BOOST_TEST(other_mode.output("changed")->json == "true");
  BOOST_TEST_REQUIRE(::stat(file.c_str(), &after) == 0);
  BOOST_TEST((after.st_mode & 07777) == 0640u);
  BOOST_TEST(read(file) == "# mine\nTOKEN=same\nOTHER=1\n");

  FakeCall changed;
  BOOST_TEST_REQUIRE(run("core.dotenv.write", changed, with_dotenv(file, R"({"TOKEN":"new"})", R"(,"mode":"0640")")) ==
                     PW_STATUS_OK);
  BOOST_TEST(changed.output("changed")->json == "true");
  BOOST_TEST(read(file) == "# mine\nTOKEN=new\nOTHER=1\n");
}

BOOST_AUTO_TEST_CASE(dotenv_write_writes_through_a_symlink) {
  TempDir dir;
  FakeCall call;
  write(dir.path / "real.env", "A=1\n");
  fs::create_symlink(dir.path / "real.env", dir.path / "link.env");
  auto status = run("core.dotenv.write", call, with_dotenv(dir.path / "link.env", R"({"B":"2"})"));
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(fs::is_symlink(dir.path / "link.env"));
  BOOST_TEST(read(dir.path / "real.env") == "A=1\nB=2\n");
}

BOOST_AUTO_TEST_CASE(dotenv_write_resolves_relative_path_against_workdir) {
  TempDir dir;
  FakeCall call;
  std::string context = R"({"step_id":"t","attempt":1,"workdir":)" +
                        boost::json::serialize(boost::json::value(dir.path.string())) + "}";
  auto status = run("core.dotenv.write", call, R"({"path":"rel.env","values":{"A":"1"}})", context);
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(read(dir.path / "rel.env") == "A=1\n");
}

BOOST_AUTO_TEST_CASE(dotenv_write_invalid_key_leaves_file_untouched) {
  TempDir dir;
  FakeCall call;
  auto file = dir.path / ".env";
  const std::string original = "# keep me\nA=1\n";
  write(file, original);
  auto status = run("core.dotenv.write", call, with_dotenv(file, R"({"A":"2","BAD-KEY":"x"})"));
  BOOST_TEST(status == PW_STATUS_FAILED);
  BOOST_TEST(read(file) == original);
  BOOST_TEST(dir.entries() == 1u);
  BOOST_TEST_REQUIRE(call.diagnostics.size() == 1u);
  BOOST_TEST(call.diagnostics[0].pointer == "/values/BAD-KEY");
  BOOST_TEST(call.diagnostics[0].summary.find("BAD-KEY") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dotenv_write_failure_to_replace_leaves_no_temp_file) {
  TempDir dir;
  FakeCall call;
  // The target is a non-empty directory: the temp file is written, the
  // rename fails, and the temp file must be removed.
  auto target = dir.path / "taken";
  fs::create_directory(target);
  write(target / "inside", "x");
  auto status = run("core.dotenv.write", call, with_dotenv(target, R"({"A":"secret-value"})"));
  BOOST_TEST(status == PW_STATUS_FAILED);
  BOOST_TEST(dir.entries() == 1u);
  BOOST_TEST(read(target / "inside") == "x");
  BOOST_TEST_REQUIRE(!call.diagnostics.empty());
  BOOST_TEST(call.diagnostics[0].summary.find("secret-value") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(dotenv_write_fails_for_missing_directory) {
  TempDir dir;
  FakeCall call;
  auto status =
      run("core.dotenv.write", call, with_dotenv(dir.path / "nope" / ".env", R"({"A":"1"})"));
  BOOST_TEST(status == PW_STATUS_FAILED);
  BOOST_TEST_REQUIRE(call.diagnostics.size() == 1u);
  BOOST_TEST(call.diagnostics[0].pointer == "/path");
  BOOST_TEST(dir.entries() == 0u);
}

BOOST_AUTO_TEST_CASE(echo_sets_one_output_per_value) {
  FakeCall call;
  auto status = run("core.echo", call, R"({"values":{"a":1,"b":{"c":[true]}}})");
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST_REQUIRE(call.outputs.size() == 2u);
  BOOST_TEST(call.output("a")->json == "1");
  BOOST_TEST(call.output("b")->json == R"({"c":[true]})");
  BOOST_TEST(!call.output("a")->secret);
}

BOOST_AUTO_TEST_CASE(echo_marks_outputs_secret_when_asked) {
  FakeCall call;
  auto status = run("core.echo", call, R"({"values":{"token":"abc"},"secret":true})");
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST_REQUIRE(call.output("token") != nullptr);
  BOOST_TEST(call.output("token")->secret);
}

BOOST_AUTO_TEST_CASE(echo_fails_with_given_message_and_for_early_attempts) {
  FakeCall failing;
  BOOST_TEST(run("core.echo", failing, R"({"fail":"boom"})") == PW_STATUS_FAILED);
  BOOST_TEST_REQUIRE(failing.diagnostics.size() == 1u);
  BOOST_TEST(failing.diagnostics[0].summary == "boom");

  FakeCall first, third;
  const std::string with = R"({"fail_attempts":2,"values":{"x":1}})";
  BOOST_TEST(run("core.echo", first, with, R"({"attempt":1})") == PW_STATUS_FAILED);
  BOOST_TEST(first.outputs.empty());
  BOOST_TEST(run("core.echo", third, with, R"({"attempt":3})") == PW_STATUS_OK);
  BOOST_TEST(third.output("x") != nullptr);
}

BOOST_AUTO_TEST_CASE(echo_returns_cancelled_during_delay) {
  FakeCall call;
  call.cancelled = true;
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(run("core.echo", call, R"({"delay_ms":5000,"values":{"x":1}})") ==
             PW_STATUS_CANCELLED);
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(1)));
  BOOST_TEST(call.outputs.empty());
}

BOOST_AUTO_TEST_CASE(http_probe_passes_on_expected_status_and_text) {
  FakeCall call;
  call.http = [](std::string_view) {
    return std::pair<std::string, std::string>(
        R"({"index":0,"status":204,"headers":{},"duration_ms":7,"attempts":1,"outcome":"ok"})",
        "all good");
  };
  auto status = run("core.http.probe", call,
                    R"({"url":"http://x/health","expect_status":[200,204],"contains":"good"})");
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(call.output("status")->json == "204");
  BOOST_TEST(call.output("duration_ms")->json == "7");
  BOOST_TEST_REQUIRE(call.requests.size() == 1u);
  BOOST_TEST(call.requests[0] == R"({"method":"GET","url":"http://x/health"})");
}

BOOST_AUTO_TEST_CASE(http_probe_fails_naming_expected_and_got) {
  FakeCall call;
  call.http = [](std::string_view) {
    return std::pair<std::string, std::string>(R"({"index":0,"status":503,"outcome":"ok"})", "");
  };
  BOOST_TEST(run("core.http.probe", call, R"({"url":"http://x/"})") == PW_STATUS_FAILED);
  BOOST_TEST_REQUIRE(call.diagnostics.size() == 1u);
  BOOST_TEST(call.diagnostics[0].summary == "GET http://x/: expected status 200, got 503");
}

BOOST_AUTO_TEST_CASE(c_plugin_runs_and_outputs_greeting) {
  FakeCall call;
  call.http = [](std::string_view) {
    return std::pair<std::string, std::string>(R"({"index":0,"status":201,"outcome":"ok"})", "");
  };
  auto status = run("fixture.c.hello", call, R"({"name":"Ada \"L\"","url":"http://x/"})");
  BOOST_TEST_REQUIRE(status == PW_STATUS_OK);
  BOOST_TEST(call.output("greeting")->json == R"("hello, Ada \"L\"")");
  BOOST_TEST(call.output("status")->json == "201");
  BOOST_TEST(call.logs.size() == 1u);
}

BOOST_AUTO_TEST_CASE(throwing_plugin_fails_with_diagnostic_instead_of_unwinding) {
  FakeCall call;
  BOOST_TEST(run("fixture.throwing.run", call, "{}") == PW_STATUS_FAILED);
  BOOST_TEST_REQUIRE(call.diagnostics.size() == 1u);
  BOOST_TEST(call.diagnostics[0].severity == PW_SEVERITY_ERROR);
  BOOST_TEST(call.diagnostics[0].summary == "fixture.throwing.run failed unexpectedly");
  BOOST_TEST(call.diagnostics[0].detail == "fixture exploded on purpose");
}

BOOST_AUTO_TEST_CASE(output_that_is_not_json_is_refused_by_the_host) {
  FakeCall call;
  BOOST_TEST(run("fixture.invalid.output", call, "{}") == PW_STATUS_FAILED);
  BOOST_TEST(call.outputs.empty());
  BOOST_TEST_REQUIRE(call.diagnostics.size() == 1u);
  BOOST_TEST(call.diagnostics[0].summary == "the host refused output 'broken'");
}
