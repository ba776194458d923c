#include "request_target.hpp"

#include <boost/test/unit_test.hpp>

namespace http = pw::http;

BOOST_AUTO_TEST_SUITE(request_target)

BOOST_AUTO_TEST_CASE(https_url_gives_origin_port_and_target) {
  std::string error;
  auto t = http::parse_request_target("https://api.example.com/client/v4/zones?page=2", error);
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(t->tls);
  BOOST_TEST(t->host == "api.example.com");
  BOOST_TEST(t->port == 443);
  BOOST_TEST(t->target == "/client/v4/zones?page=2");
  BOOST_TEST(t->host_header == "api.example.com");
  BOOST_TEST(t->origin == "https://api.example.com:443");
}

BOOST_AUTO_TEST_CASE(plain_http_is_refused_unless_loopback) {
  std::string error;
  BOOST_TEST(!http::parse_request_target("http://example.invalid/", error).has_value());
  BOOST_TEST(error.find("only allowed to loopback") != std::string::npos);
  for (const char* ok :
       {"http://127.0.0.1:8080/x", "http://127.3.4.5/", "http://[::1]:99/", "http://localhost/"}) {
    auto t = http::parse_request_target(ok, error);
    BOOST_TEST(t.has_value(), ok);
  }
  auto v6 = http::parse_request_target("http://[::1]:99/a", error);
  BOOST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->host_header == "[::1]:99");
}

BOOST_AUTO_TEST_CASE(bad_urls_are_refused) {
  std::string error;
  BOOST_TEST(!http::parse_request_target("ftp://127.0.0.1/", error).has_value());
  BOOST_TEST(!http::parse_request_target("not a url", error).has_value());
  BOOST_TEST(!http::parse_request_target("https://user:pw@example.com/", error).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
