#define BOOST_TEST_MODULE abi_evolution
#include <boost/test/unit_test.hpp>

#include "../fixtures/fake_host.hpp"
#include <pipewright/host/loader/plugin_registry.hpp>

#include <string>

namespace {

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
