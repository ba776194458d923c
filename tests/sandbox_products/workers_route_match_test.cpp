// The route matcher the edge uses: Cloudflare's pattern forms and "the most
// specific pattern wins".
#define BOOST_TEST_MODULE workers_route_match
#include <boost/test/unit_test.hpp>

#include "products/workers_route_match.hpp"

using namespace pw::sandbox;

BOOST_AUTO_TEST_CASE(star_slash_star_matches_every_host_and_path) {
  BOOST_TEST(workers_route_matches("*/*", "shop.northwind-bakery.net", "/"));
  BOOST_TEST(workers_route_matches("*/*", "pipewright-demo.net", "/a/b.css"));
}

BOOST_AUTO_TEST_CASE(host_wildcards_follow_cloudflare_forms) {
  BOOST_TEST(workers_route_matches("*.zone.net/*", "a.zone.net", "/"));
  BOOST_TEST(workers_route_matches("*.zone.net/*", "a.b.zone.net", "/x"));
  BOOST_TEST(!workers_route_matches("*.zone.net/*", "zone.net", "/"));
  BOOST_TEST(!workers_route_matches("*.zone.net/*", "shop.northwind-bakery.net", "/"));
  BOOST_TEST(workers_route_matches("*zone.net/*", "zone.net", "/"));
  BOOST_TEST(workers_route_matches("*zone.net/*", "www.zone.net", "/"));
  BOOST_TEST(workers_route_matches("zone.net/*", "zone.net", "/x"));
  BOOST_TEST(!workers_route_matches("zone.net/*", "www.zone.net", "/x"));
  BOOST_TEST(workers_route_matches("Zone.NET:443/*", "zone.net", "/x"));
}

BOOST_AUTO_TEST_CASE(paths_are_exact_unless_they_end_with_a_star) {
  BOOST_TEST(workers_route_matches("zone.net/blog*", "zone.net", "/blog/post"));
  BOOST_TEST(workers_route_matches("zone.net/blog*", "zone.net", "/blog"));
  BOOST_TEST(!workers_route_matches("zone.net/blog*", "zone.net", "/about"));
  BOOST_TEST(workers_route_matches("zone.net/about", "zone.net", "/about"));
  BOOST_TEST(!workers_route_matches("zone.net/about", "zone.net", "/about/us"));
  BOOST_TEST(workers_route_matches("zone.net", "zone.net", "/"));
  BOOST_TEST(!workers_route_matches("zone.net", "zone.net", "/x"));
}

BOOST_AUTO_TEST_CASE(the_most_specific_pattern_wins_whatever_the_order) {
  std::vector<WorkersRoute> routes{{"*/*", "router"},
                                   {"*.zone.net/*", "zone-worker"},
                                   {"api.zone.net/*", std::nullopt},
                                   {"api.zone.net/v2*", "v2"},
                                   {"*api.zone.net/*", "suffix"}};
  auto script = [&](std::string_view host, std::string_view path) -> std::string {
    auto i = match_workers_route(routes, host, path);
    if (!i) return "<none>";
    return routes[*i].script.value_or("<excluded>");
  };
  BOOST_TEST(script("shop.northwind-bakery.net", "/") == "router");
  BOOST_TEST(script("www.zone.net", "/") == "zone-worker");
  // An exact host beats a wildcard of the same literal length; a route
  // without a script keeps the Worker off.
  BOOST_TEST(script("api.zone.net", "/v1/x") == "<excluded>");
  BOOST_TEST(script("api.zone.net", "/v2/x") == "v2");
  BOOST_TEST(script("x.api.zone.net", "/") == "suffix");
  BOOST_TEST(!match_workers_route({{"zone.net/*", "a"}}, "other.net", "/").has_value());
  std::vector<WorkersRoute> reversed(routes.rbegin(), routes.rend());
  auto i = match_workers_route(reversed, "www.zone.net", "/");
  BOOST_TEST_REQUIRE(i.has_value());
  BOOST_TEST(*reversed[*i].script == "zone-worker");
}
