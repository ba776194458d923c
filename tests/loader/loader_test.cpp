#define BOOST_TEST_MODULE loader
#include "fake_host.hpp"
#include "descriptor_check.hpp"

#include <pipewright/host/loader/plugin_registry.hpp>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using pw::PluginRegistry;
using pw::test::fake_services;
using pw::test::fixture_dir;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The one refusal a scan of fixture folder `dir` produces.
pw::RefusedPlugin only_refusal(std::string_view dir) {
  PluginRegistry registry(fake_services());
  registry.scan({fixture_dir(dir)});
  BOOST_TEST_REQUIRE(registry.refused().size() == 1u);
  BOOST_TEST(registry.plugins().empty());
  BOOST_TEST(!registry.refused().front().problem.hint.empty());
  BOOST_TEST_MESSAGE(pw::render_text(registry.refused().front().problem));
  return registry.refused().front();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pw-loader-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const std::string core_dir = PIPEWRIGHT_BUILD_PLUGIN_DIR;

}  // namespace

BOOST_AUTO_TEST_CASE(refuses_file_that_is_not_a_shared_library) {
  auto r = only_refusal("garbage");
  BOOST_TEST(contains(pw::render_text(r.problem), "garbage.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "not a loadable shared library (file too short)"));
}

BOOST_AUTO_TEST_CASE(refuses_library_without_entry_symbol) {
  auto r = only_refusal("no_entry");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.no.entry.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "no entry symbol pw_plugin_negotiate_v1"));
}

BOOST_AUTO_TEST_CASE(refuses_plugin_with_other_abi_major) {
  auto r = only_refusal("wrong_major");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.wrong.major.so"));
  BOOST_TEST(contains(pw::render_text(r.problem),
                      "built for plugin ABI major 2; this host speaks ABI major 1 "
                      "(pw_plugin_negotiate_v1)"));
}

BOOST_AUTO_TEST_CASE(reports_plugin_refusal_with_its_reason_and_both_minors) {
  auto r = only_refusal("refuses");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.refuses.load.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "needs a newer pipewright host"));
  BOOST_TEST(contains(pw::render_text(r.problem), "host offers ABI 1." + std::to_string(PW_ABI_MINOR)));
  BOOST_TEST(contains(pw::render_text(r.problem), "plugin answered ABI 1." + std::to_string(PW_ABI_MINOR + 1)));
}

BOOST_AUTO_TEST_CASE(refuses_plugin_answering_higher_minor_than_offered) {
  auto r = only_refusal("greedy_minor");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.greedy.minor.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "answered plugin ABI minor " + std::to_string(PW_ABI_MINOR + 1) +
                                    " but the host offered at most minor " +
                                    std::to_string(PW_ABI_MINOR)));
}

BOOST_AUTO_TEST_CASE(refuses_descriptor_with_invalid_name) {
  auto r = only_refusal("bad_name");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.bad.name.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "name 'Bad Name' does not match"));
}

BOOST_AUTO_TEST_CASE(refuses_descriptor_without_run) {
  auto r = only_refusal("null_run");
  BOOST_TEST(contains(pw::render_text(r.problem), "fixture.null.run.so"));
  BOOST_TEST(contains(pw::render_text(r.problem), "run is NULL"));
}

BOOST_AUTO_TEST_CASE(refuses_second_plugin_with_same_name_naming_the_first) {
  PluginRegistry registry(fake_services());
  registry.scan({fixture_dir("duplicate")});
  BOOST_TEST_REQUIRE(registry.plugins().size() == 1u);
  BOOST_TEST_REQUIRE(registry.refused().size() == 1u);
  const auto& first = *registry.plugins().front();
  BOOST_TEST(first.name == "fixture.duplicate.same");
  BOOST_TEST(first.file.filename() == "fixture.duplicate.a.so");
  const auto& r = registry.refused().front();
  BOOST_TEST(r.file.filename() == "fixture.duplicate.b.so");
  BOOST_TEST(contains(pw::render_text(r.problem),
                      "fixture.duplicate.b.so: error: plugin name 'fixture.duplicate.same' "
                      "is already provided by " +
                          first.file.string()));
}

BOOST_AUTO_TEST_CASE(carries_on_after_refusals_and_loads_the_rest) {
  PluginRegistry registry(fake_services());
  registry.scan({fixture_dir("garbage"), fixture_dir("wrong_major"), fixture_dir("good_c")});
  BOOST_TEST(registry.refused().size() == 2u);
  BOOST_TEST(registry.find("fixture.c.hello") != nullptr);
}

BOOST_AUTO_TEST_CASE(scanning_the_same_folder_twice_loads_each_file_once) {
  PluginRegistry registry(fake_services());
  registry.scan({fixture_dir("good_c"), fixture_dir("good_c")});
  BOOST_TEST(registry.plugins().size() == 1u);
  BOOST_TEST(registry.refused().empty());
}

BOOST_AUTO_TEST_CASE(loads_plugin_written_in_c) {
  PluginRegistry registry(fake_services());
  auto* p = registry.load_file(fixture_dir("good_c") + "/fixture.c.hello.so");
  BOOST_TEST_REQUIRE(p != nullptr);
  BOOST_TEST(p->name == "fixture.c.hello");
  BOOST_TEST(p->kind == PW_KIND_STEP);
  BOOST_TEST(pw::kind_name(p->kind) == "step");
  BOOST_TEST(p->version == "1.0.0");
  BOOST_TEST(p->abi_minor == static_cast<std::uint32_t>(PW_ABI_MINOR));
  BOOST_TEST(p->params_schema.is_object());
  BOOST_TEST(p->run != nullptr);
  BOOST_TEST(registry.find("fixture.c.hello") == p);
}

BOOST_AUTO_TEST_CASE(loads_core_plugins_with_name_kind_and_secret_outputs) {
  PluginRegistry registry(fake_services());
  registry.scan({core_dir});
  const auto* echo = registry.find("core.echo");
  const auto* dotenv = registry.find("core.dotenv.write");
  const auto* probe = registry.find("core.http.probe");
  BOOST_TEST_REQUIRE(echo != nullptr);
  BOOST_TEST_REQUIRE(dotenv != nullptr);
  BOOST_TEST_REQUIRE(probe != nullptr);
  BOOST_TEST(pw::kind_name(echo->kind) == "step");
  BOOST_TEST(pw::kind_name(dotenv->kind) == "step");
  BOOST_TEST(pw::kind_name(probe->kind) == "check");
  BOOST_TEST(echo->version == "1.0.0");
  BOOST_TEST(!dotenv->description.empty());
  BOOST_TEST(dotenv->secret_outputs.empty());
}

BOOST_AUTO_TEST_CASE(keeps_library_loaded_while_a_plugin_copy_is_held) {
  std::shared_ptr<const pw::LoadedPlugin> kept;
  {
    PluginRegistry registry(fake_services());
    registry.load_file(fixture_dir("good_c") + "/fixture.c.hello.so");
    BOOST_TEST_REQUIRE(registry.plugins().size() == 1u);
    kept = registry.plugins().front();
  }
  // The registry is gone; the held copy still runs code from the library.
  pw::test::FakeCall call;
  std::string with = R"({"name":"kept"})";
  auto status = kept->run(kept->plugin_data, call.handle(), {with.data(), with.size()}, {"{}", 2});
  BOOST_TEST(status == PW_STATUS_OK);
  BOOST_TEST_REQUIRE(call.output("greeting") != nullptr);
  BOOST_TEST(call.output("greeting")->json == R"("hello, kept")");
}

BOOST_AUTO_TEST_CASE(search_path_orders_cli_then_env_then_install_then_build) {
  TempDir a, b, c;
  std::string env = b.path.string() + ":" + (c.path / "missing").string() + "::" + c.path.string() +
                    ":" + a.path.string();
  ::setenv("PIPEWRIGHT_PLUGIN_PATH", env.c_str(), 1);
  auto path = PluginRegistry::search_path({a.path, a.path / "missing"});
  ::unsetenv("PIPEWRIGHT_PLUGIN_PATH");
  BOOST_TEST_REQUIRE(path.size() >= 3u);
  BOOST_TEST(path[0] == fs::canonical(a.path));
  BOOST_TEST(path[1] == fs::canonical(b.path));
  BOOST_TEST(path[2] == fs::canonical(c.path));
  BOOST_TEST(path.back() == fs::canonical(core_dir));
}

BOOST_AUTO_TEST_CASE(accepts_only_dotted_lower_case_plugin_names) {
  BOOST_TEST(pw::is_valid_plugin_name("core.echo"));
  BOOST_TEST(pw::is_valid_plugin_name("cloudflare.dns_record.upsert2"));
  BOOST_TEST(!pw::is_valid_plugin_name("core"));
  BOOST_TEST(!pw::is_valid_plugin_name("Core.echo"));
  BOOST_TEST(!pw::is_valid_plugin_name("core..echo"));
  BOOST_TEST(!pw::is_valid_plugin_name("core.echo."));
  BOOST_TEST(!pw::is_valid_plugin_name("core.1echo"));
  BOOST_TEST(!pw::is_valid_plugin_name(""));
}

BOOST_AUTO_TEST_CASE(refuses_descriptor_that_is_too_small_or_has_bad_schema) {
  pw_plugin_v1 d{};
  d.struct_size = 8;
  BOOST_TEST(contains(pw::check_descriptor(&d).error, "struct_size 8 is too small"));

  static const auto run = [](void*, pw_call*, pw_str, pw_str) -> pw_status { return 0; };
  d = {sizeof(pw_plugin_v1), PW_KIND_STEP, "a.b", "1.0.0", "x", "[]", "{}", +run, nullptr, nullptr, nullptr};
  BOOST_TEST(contains(pw::check_descriptor(&d).error, "params_schema is not a JSON object"));
  d.params_schema = "{";
  BOOST_TEST(contains(pw::check_descriptor(&d).error, "params_schema is not valid JSON"));
  d.params_schema = "{}";
  d.kind = 4;
  BOOST_TEST(contains(pw::check_descriptor(&d).error, "kind 4"));
  d.kind = PW_KIND_AUTH;
  d.description = "";
  BOOST_TEST(contains(pw::check_descriptor(&d).error, "description is empty"));
  d.description = "x";
  d.outputs_schema = R"({"properties":{"token":{"x-secret":true},"id":{}}})";
  auto ok = pw::check_descriptor(&d);
  BOOST_TEST(ok.error.empty());
  BOOST_TEST(ok.plugin.secret_outputs == std::vector<std::string>{"token"});
}
