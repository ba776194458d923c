// The position map: every value and key located by JSON Pointer, with
// fallback to the nearest located parent.
#include "test_support.hpp"

BOOST_AUTO_TEST_SUITE(positions)

BOOST_AUTO_TEST_CASE(locates_values_keys_and_parents) {
  auto r = pw::test::parse(R"({
  "pipewright": 1,
  "steps": [
    { "id": "a", "uses": "core.echo",
      "with": { "na/me": "x", "list": [ true, { "k": null } ] } }
  ]
})");
  BOOST_REQUIRE(r.pipeline);
  const auto& p = *r.pipeline;
  auto at = [&](std::string_view pointer) {
    auto where = p.locate(pointer);
    return std::to_string(where.line) + ":" + std::to_string(where.column);
  };
  BOOST_TEST(at("") == "1:1");
  BOOST_TEST(at("/steps/0") == "4:5");
  BOOST_TEST(at("/steps/0/id") == "4:13");
  BOOST_TEST(at("/steps/0/with/na~1me") == "5:26");
  BOOST_TEST(at("/steps/0/with/list/1/k") == "5:54");
  BOOST_TEST(at("/steps/0/with/missing") == "5:15");
  const auto key = p.locate_key("/steps/0/with");
  BOOST_TEST(key.line == 5);
  BOOST_TEST(key.column == 7);
  BOOST_TEST(p.locate("/steps/0").file == "p.jsonc");
}

BOOST_AUTO_TEST_CASE(counts_columns_in_code_points) {
  auto r = pw::test::parse("{ \"name\": \"h\xC3\xA9llo\", \"pipewright\": 1, \"steps\": [] }");
  BOOST_REQUIRE(r.pipeline);
  BOOST_TEST(r.pipeline->locate("/pipewright").column == 34);
}

BOOST_AUTO_TEST_SUITE_END()
