#include <boost/test/unit_test.hpp>

#include <pipewright/cloudflare/credentials.hpp>

#include <string>

namespace cf = pipewright::cloudflare;

namespace {
const std::string user_token = "cfut_" + std::string(40, 'A') + "0123abcd";
const std::string account_token = "cfat_" + std::string(40, 'b') + "0123abcd";
const std::string legacy_token = std::string(20, 'x') + std::string(18, '7') + "_-";
const std::string legacy_key = std::string(37, 'f');
const std::string prefixed_key = "cfk_" + std::string(40, 'k') + "deadbeef";
}  // namespace

BOOST_AUTO_TEST_SUITE(credential_formats)

BOOST_AUTO_TEST_CASE(token68_accepts_tokens_and_rejects_spaces_quotes_and_non_ascii) {
  BOOST_TEST(cf::is_token68(user_token));
  BOOST_TEST(cf::is_token68("abc+/~.=="));
  BOOST_TEST(!cf::is_token68(""));
  BOOST_TEST(!cf::is_token68("ab cd"));
  BOOST_TEST(!cf::is_token68("\"abc\""));
  BOOST_TEST(!cf::is_token68("abc\n"));
  BOOST_TEST(!cf::is_token68("ab=c"));
  BOOST_TEST(!cf::is_token68("caf\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(tells_tokens_from_global_keys) {
  BOOST_TEST(cf::looks_like_api_token(user_token));
  BOOST_TEST(cf::looks_like_api_token(legacy_token));
  BOOST_TEST(cf::looks_like_account_token(account_token));
  BOOST_TEST(!cf::looks_like_account_token(user_token));
  BOOST_TEST(!cf::looks_like_api_token(legacy_key));
  BOOST_TEST(cf::looks_like_global_key(legacy_key));
  BOOST_TEST(cf::looks_like_global_key(prefixed_key));
  BOOST_TEST(!cf::looks_like_global_key(user_token));
  BOOST_TEST(!cf::looks_like_global_key(std::string(37, 'g')));  // not hex
  BOOST_TEST(!cf::looks_like_api_token("cfut_short"));
  BOOST_TEST((cf::classify_credential(user_token) == cf::CredentialKind::api_token));
  BOOST_TEST((cf::classify_credential(account_token) == cf::CredentialKind::account_token));
  BOOST_TEST((cf::classify_credential(legacy_key) == cf::CredentialKind::global_key));
  BOOST_TEST((cf::classify_credential("hello") == cf::CredentialKind::unknown));
}

BOOST_AUTO_TEST_CASE(checks_email_shape) {
  BOOST_TEST(cf::looks_like_email("ops@example.org"));
  BOOST_TEST(cf::looks_like_email("a.b+c@sub.example.co.uk"));
  BOOST_TEST(!cf::looks_like_email("ops@example"));
  BOOST_TEST(!cf::looks_like_email("@example.org"));
  BOOST_TEST(!cf::looks_like_email("ops example.org"));
  BOOST_TEST(!cf::looks_like_email("a@b@example.org"));
  BOOST_TEST(!cf::looks_like_email("ops@.example.org"));
  BOOST_TEST(!cf::looks_like_email("<ops@example.org>"));
}

BOOST_AUTO_TEST_CASE(trims_pasted_whitespace) {
  BOOST_TEST(cf::trim("  abc\r\n") == "abc");
  BOOST_TEST(cf::trim("\t\n") == "");
}

BOOST_AUTO_TEST_CASE(shape_description_never_contains_the_value) {
  const std::string secret = "cfut_" + std::string("Zq9") + std::string(37, 'W') + "feedface";
  const auto shape = cf::credential_shape(secret);
  BOOST_TEST(shape.find("Zq9") == std::string::npos);
  BOOST_TEST(shape.find("WWW") == std::string::npos);
  BOOST_TEST(shape.find("cfut_") != std::string::npos);
  BOOST_TEST(shape.find(std::to_string(secret.size())) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
