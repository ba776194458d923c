#define BOOST_TEST_MODULE abi_evolution
#include <dlfcn.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "../fixtures/fake_host.hpp"
#include "../runtime/test_support.hpp"
#include <pipewright/host/isolation/isolation.hpp>
#include <pipewright/host/loader/plugin_registry.hpp>

namespace {

namespace fs = std::filesystem;
using pw::test::read_file;
using pw::test::TempDir;

std::string shutdown_fixture() {
  return pw::test::fixture_dir("shutdown") + "/fixture.c.shutdown.so";
}

// Runs `p` with {"record": file}: the fixtures remember where to record.
pw_status run_recording(const pw::LoadedPlugin& p, const fs::path& file) {
  pw::test::FakeCall call;
  std::string with = R"({"record":")" + file.string() + R"("})", context = "{}";
  return p.run(p.plugin_data, call.handle(), {with.data(), with.size()},
               {context.data(), context.size()});
}

std::string plugin_file(const std::string& name) {
  return std::string(PW_ABI_EVOLUTION_DIR) + "/" + name + ".so";
}

pw_status run(const pw::LoadedPlugin& p, pw::test::FakeCall& call) {
  std::string with = "{}", context = "{}";
  return p.run(p.plugin_data, call.handle(), {with.data(), with.size()},
               {context.data(), context.size()});
}

std::string refusals(const pw::PluginRegistry& registry) {
  std::string out;
  for (const auto& r : registry.refused()) out += pw::render_text(r.problem) + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugin_built_against_minor_0_loads_and_runs_on_todays_host) {
  pw::PluginRegistry registry(pw::test::fake_services());
  const auto* p = registry.load_file(plugin_file("abievo.step.old_minor"));
  BOOST_REQUIRE_MESSAGE(p, refusals(registry));
  BOOST_TEST(p->abi_minor == 0u);
  BOOST_TEST(p->documentation.empty());  // 1.0 descriptors end before it
  pw::test::FakeCall call;
  BOOST_TEST(run(*p, call) == PW_STATUS_OK);
  BOOST_REQUIRE(call.output("built_for"));
  BOOST_TEST(call.output("built_for")->json == R"("1.0")");
}

BOOST_AUTO_TEST_CASE(plugin_needing_a_newer_minor_is_refused_by_an_older_host_with_both_versions) {
  pw::PluginRegistry registry(pw::test::fake_services_v1_0(), 0);
  BOOST_TEST(registry.load_file(plugin_file("abievo.step.needs_new")) == nullptr);
  auto why = refusals(registry);
  BOOST_TEST(why.find("host offers ABI 1.0") != std::string::npos, why);
  BOOST_TEST(why.find("plugin answered ABI 1.1") != std::string::npos, why);
  BOOST_TEST(why.find("needs a newer pipewright host") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(plugin_needing_a_newer_minor_loads_on_todays_host) {
  pw::PluginRegistry registry(pw::test::fake_services());
  const auto* p = registry.load_file(plugin_file("abievo.step.needs_new"));
  BOOST_REQUIRE_MESSAGE(p, refusals(registry));
  BOOST_TEST(p->abi_minor == static_cast<std::uint32_t>(PW_ABI_MINOR));  // the newest both speak
  BOOST_TEST(p->documentation.find("add_secret") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plugin_falls_back_gracefully_on_an_older_host) {
  pw::PluginRegistry registry(pw::test::fake_services_v1_0(), 0);
  const auto* p = registry.load_file(plugin_file("abievo.step.fallback"));
  BOOST_REQUIRE_MESSAGE(p, refusals(registry));
  BOOST_TEST(p->abi_minor == 0u);
  pw::test::FakeCall call;
  BOOST_TEST(run(*p, call) == PW_STATUS_OK);
  BOOST_TEST(call.output("masked_by")->json == R"("none")");
  BOOST_TEST(call.secrets.empty());
}

BOOST_AUTO_TEST_CASE(plugin_uses_the_newer_service_on_todays_host) {
  pw::PluginRegistry registry(pw::test::fake_services());
  const auto* p = registry.load_file(plugin_file("abievo.step.fallback"));
  BOOST_REQUIRE_MESSAGE(p, refusals(registry));
  pw::test::FakeCall call;
  BOOST_TEST(run(*p, call) == PW_STATUS_OK);
  BOOST_TEST(call.output("masked_by")->json == R"("host")");
  BOOST_REQUIRE(call.secrets.size() == 1u);
  BOOST_TEST(call.secrets[0] == "an-intermediate-credential");
}

BOOST_AUTO_TEST_CASE(shutdown_runs_once_when_the_last_holder_of_the_plugin_lets_go) {
  TempDir dir;
  const fs::path record = dir.path / "record";
  std::shared_ptr<const pw::LoadedPlugin> kept;
  {
    pw::PluginRegistry registry(pw::test::fake_services());
    const auto* p = registry.load_file(shutdown_fixture());
    BOOST_REQUIRE_MESSAGE(p, refusals(registry));
    BOOST_TEST(p->abi_minor == static_cast<std::uint32_t>(PW_ABI_MINOR));  // 1.3 or later: has shutdown
    BOOST_TEST(run_recording(*p, record) == PW_STATUS_OK);
    kept = registry.plugins().front();
  }
  // The registry is gone, but a copy can still call into the library.
  BOOST_TEST(read_file(record).empty());
  BOOST_TEST(run_recording(*kept, record) == PW_STATUS_OK);
  kept.reset();
  BOOST_TEST(read_file(record) == "shutdown fixture-data\n");
}

BOOST_AUTO_TEST_CASE(plugin_built_against_minor_2_loads_runs_and_gets_no_shutdown) {
  TempDir dir;
  const fs::path record = dir.path / "record";
  {
    pw::PluginRegistry registry(pw::test::fake_services());
    const auto* p = registry.load_file(plugin_file("abievo.step.minor_2"));
    BOOST_REQUIRE_MESSAGE(p, refusals(registry));
    BOOST_TEST(p->abi_minor == 2u);
    pw::test::FakeCall call;
    std::string with = R"({"record":")" + record.string() + R"("})";
    BOOST_TEST(p->run(p->plugin_data, call.handle(), {with.data(), with.size()}, {"{}", 2}) ==
               PW_STATUS_OK);
    BOOST_REQUIRE(call.output("built_for"));
    BOOST_TEST(call.output("built_for")->json == R"("1.2")");
  }
  // What lies past its struct_size, where 1.3's shutdown would be, was never called.
  BOOST_TEST(read_file(record).empty());
}

BOOST_AUTO_TEST_CASE(isolated_child_calls_shutdown_once_after_its_run) {
  TempDir dir;
  const fs::path record = dir.path / "record";
  {
    pw::PluginRegistry registry(pw::test::fake_services());
    BOOST_REQUIRE_MESSAGE(registry.load_file(shutdown_fixture()), refusals(registry));
    pw::IsolationLimits limits;
    limits.helper = PW_PLUGIN_HOST;
    limits.allow.write = {dir.path.string()};  // where the fixture records
    auto isolated = pw::isolate(registry.plugins().front(), pw::test::fake_services(), limits);
    BOOST_TEST(run_recording(*isolated, record) == PW_STATUS_OK);
    // The child has exited: its shutdown came after its run.
    BOOST_TEST(read_file(record) == "shutdown fixture-data\n");
  }
  // The host process never ran the plugin itself, so its own shutdown had
  // nowhere to record: still the child's one line.
  BOOST_TEST(read_file(record) == "shutdown fixture-data\n");
}

BOOST_AUTO_TEST_CASE(cpp_plugin_refusing_writes_no_member_past_a_short_negotiation_struct) {
  // A host whose pw_negotiate_v1 ended at `plugin` has no `refusal` member:
  // the wrapper must not write one, yet still say which minor it needs.
  void* library = ::dlopen(plugin_file("abievo.step.needs_new").c_str(), RTLD_NOW | RTLD_LOCAL);
  BOOST_REQUIRE_MESSAGE(library, ::dlerror());
  auto* negotiate =
      reinterpret_cast<pw_plugin_negotiate_v1_fn>(::dlsym(library, PW_ENTRY_SYMBOL_V1));
  BOOST_REQUIRE(negotiate);
  static const char* const untouched = "not written by the plugin";
  pw_negotiate_v1 n{};
  n.struct_size = offsetof(pw_negotiate_v1, refusal);
  n.host_abi_major = 1;
  n.host_abi_minor = 0;
  n.host = pw::test::fake_services_v1_0();
  n.refusal = untouched;
  BOOST_TEST(negotiate(&n) == PW_STATUS_FAILED);
  BOOST_TEST(n.plugin_abi_minor == 1u);
  BOOST_TEST(n.refusal == untouched);
  ::dlclose(library);
}
