#include "retry_policy.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
namespace http = pw::http;

namespace {

pw::HttpResponse with_header(std::string name, std::string value) {
  pw::HttpResponse response;
  response.status = 429;
  response.headers.emplace_back(std::move(name), std::move(value));
  return response;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_policy)

BOOST_AUTO_TEST_CASE(idempotent_methods_are_safe_by_default) {
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "get"})
    BOOST_TEST(http::method_is_idempotent(m), m);
  for (const char* m : {"POST", "PATCH"}) BOOST_TEST(!http::method_is_idempotent(m), m);
}

BOOST_AUTO_TEST_CASE(retryable_statuses) {
  for (int s : {408, 429, 500, 502, 503, 504}) BOOST_TEST(http::status_is_retryable(s));
  for (int s : {200, 400, 401, 404, 409, 501}) BOOST_TEST(!http::status_is_retryable(s));
}

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_ms_and_http_date) {
  BOOST_TEST(http::server_retry_delay(with_header("retry-after", "3"))->count() == 3000);
  BOOST_TEST(http::server_retry_delay(with_header("retry-after-ms", "250"))->count() == 250);
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37
  auto date =
      http::server_retry_delay(with_header("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT"), now);
  BOOST_REQUIRE(date.has_value());
  BOOST_TEST(date->count() == 10000);
  BOOST_TEST(!http::server_retry_delay(with_header("retry-after", "soon")).has_value());
  BOOST_TEST(!http::server_retry_delay(pw::HttpResponse{}).has_value());
}

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_the_cap_with_jitter_below) {
  pw::HttpClientOptions options;
  options.initial_backoff = 100ms;
  options.max_backoff = 1000ms;
  std::mt19937_64 random(42);
  for (int i = 0; i < 50; ++i) {
    auto first = http::backoff_delay(options, 2, random);
    BOOST_TEST((first >= 75ms && first <= 100ms));
    auto third = http::backoff_delay(options, 4, random);
    BOOST_TEST((third >= 300ms && third <= 400ms));
    auto late = http::backoff_delay(options, 20, random);
    BOOST_TEST((late >= 750ms && late <= 1000ms));
  }
}

BOOST_AUTO_TEST_SUITE_END()
