// The Cloudflare auth plugins mask the credential they are given, in the
// trimmed form they put in the header, before anything else: a token that
// arrives through an input or with whitespace is not a form the host has
// already seen as a secret.
#define BOOST_TEST_MODULE cloudflare_auth_secrets
#include "fake_host.hpp"

#include <pipewright/host/loader/plugin_registry.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

namespace {

const std::string token = "cfut_" + std::string(40, 'T') + "0badc0de";
const std::string global_key = std::string(37, 'a');

std::vector<std::string> secrets_after_run(const std::string& plugin_name, const std::string& with) {
  pw::PluginRegistry registry(pw::test::fake_services());
  const auto* p = registry.load_file(std::string(PW_TEST_BINARY_DIR) + "/plugins/" + plugin_name + ".so");
  BOOST_REQUIRE(p != nullptr);
  pw::test::FakeCall call;
  std::string context = "{}";
  BOOST_TEST(p->run(p->plugin_data, call.handle(), {with.data(), with.size()},
                    {context.data(), context.size()}) == PW_STATUS_OK);
  return call.secrets;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

BOOST_AUTO_TEST_CASE(api_token_auth_masks_the_trimmed_token_it_was_given) {
  auto secrets = secrets_after_run("cloudflare.auth.api_token",
                                   R"({"token": "  )" + token + R"(\n", "verify": false})");
  BOOST_TEST(contains(secrets, token));
}

BOOST_AUTO_TEST_CASE(global_key_auth_masks_the_trimmed_key_it_was_given) {
  auto secrets = secrets_after_run(
      "cloudflare.auth.global_key",
      R"({"email": "ops@pipewright.dev", "key": " )" + global_key + R"( ", "verify": false})");
  BOOST_TEST(contains(secrets, global_key));
}
