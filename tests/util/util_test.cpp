#define BOOST_TEST_MODULE util
#include <boost/test/unit_test.hpp>
#include <pipewright/util/edit_distance.hpp>
#include <pipewright/util/rfc3339.hpp>
#include <pipewright/util/text.hpp>

using namespace pw::util;
using namespace std::chrono;

BOOST_AUTO_TEST_CASE(lower_and_iequals_touch_only_ascii_letters) {
  BOOST_TEST(lower("Content-Type: ÄB") == "content-type: Äb");
  BOOST_TEST(iequals("X-Auth-Key", "x-auth-KEY"));
  BOOST_TEST(!iequals("abc", "abd"));
  BOOST_TEST(!iequals("abc", "abcd"));
}

BOOST_AUTO_TEST_CASE(xml_depth_sees_through_what_could_hide_a_tag) {
  BOOST_TEST(pw::util::xml_depth("<a><b/><c>x</c></a>", 16) == 2);
  BOOST_TEST(pw::util::xml_depth("<a x=\"/>\"><b></b></a>", 16) == 2);
  BOOST_TEST(pw::util::xml_depth("<a><!-- <b><c> --><![CDATA[<d><e>]]></a>", 16) == 1);
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  BOOST_TEST(pw::util::xml_depth(deep, 16) == 17);
}

BOOST_AUTO_TEST_CASE(hex_is_lower_case_two_digits_a_byte) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  BOOST_TEST(hex(bytes, sizeof bytes) == "000fa5ff");
  BOOST_TEST(hex(std::string_view("AZ")) == "415a");
  BOOST_TEST(hex(std::string_view()).empty());
}

BOOST_AUTO_TEST_CASE(edit_distance_ignores_case_and_counts_edits) {
  BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
  BOOST_TEST(edit_distance("Needs", "needs") == 0u);
  BOOST_TEST(edit_distance("", "abc") == 3u);
  BOOST_TEST(closest_match("neds", {"needs", "steps", "with"}) == "needs");
  BOOST_TEST(closest_match("frobnicate", {"needs", "steps"}).empty());
}

BOOST_AUTO_TEST_CASE(rfc3339_round_trips_and_reads_offsets_and_fractions) {
  auto t = parse_rfc3339("2026-12-03T16:04:55Z");
  BOOST_REQUIRE(t);
  BOOST_TEST(format_rfc3339(*t) == "2026-12-03T16:04:55Z");
  auto f = parse_rfc3339("2026-12-03T16:04:55.9123Z");
  BOOST_REQUIRE(f);
  BOOST_TEST(format_rfc3339(*f, true) == "2026-12-03T16:04:55.912300Z");
  BOOST_TEST(format_rfc3339(*f) == "2026-12-03T16:04:55Z");
  auto o = parse_rfc3339("2026-12-03T18:04:55+02:00");
  BOOST_REQUIRE(o);
  BOOST_TEST((*o == *t));
  auto far = parse_rfc3339("2999-01-01T00:00:00Z");
  BOOST_REQUIRE(far);
  BOOST_TEST(format_rfc3339(*far) == "2999-01-01T00:00:00Z");
  auto before_epoch = parse_rfc3339("1969-12-31T23:59:59.5Z");
  BOOST_REQUIRE(before_epoch);
  BOOST_TEST(format_rfc3339(*before_epoch, true) == "1969-12-31T23:59:59.500000Z");
}

BOOST_AUTO_TEST_CASE(rfc3339_refuses_what_is_not_a_timestamp) {
  for (const char* bad : {"", "2026-12-03", "2026-12-03T16:04:55", "2026-02-30T00:00:00Z",
                          "2026-12-03T24:00:00Z", "2026-12-03T16:04:55.Z", "2026-12-03T16:04:55+0200",
                          " 2026-12-03T16:04:55Z", "2026-12-03T16:04:55Zjunk", "+026-12-03T16:04:55Z"})
    BOOST_TEST(!parse_rfc3339(bad).has_value(), bad);
}
