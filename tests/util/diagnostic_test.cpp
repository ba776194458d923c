// The one Diagnostic and its one renderer: text for people, JSON for
// tools, secrets masked in both.
#include <boost/test/unit_test.hpp>
#include <pipewright/util/diagnostic.hpp>

using pw::Diagnostic;
using pw::Severity;

BOOST_AUTO_TEST_SUITE(diagnostic)

BOOST_AUTO_TEST_CASE(text_names_the_place_the_problem_and_what_to_do) {
  Diagnostic d{Severity::error,
               "unknown key \"neds\" in step",
               {},
               {{"p.jsonc", 3, 48}, {}},
               "did you mean \"needs\"?"};
  BOOST_TEST(pw::render_text(d) ==
             "p.jsonc:3:48: error: unknown key \"neds\" in step\n  hint: did you mean \"needs\"?");
}

BOOST_AUTO_TEST_CASE(text_without_a_line_names_the_file_or_the_pointer) {
  Diagnostic file_only{
      Severity::error, "cannot read pipeline file", {}, {{"/x/p.jsonc", 0, 0}, {}}, {}};
  BOOST_TEST(pw::render_text(file_only) == "/x/p.jsonc: error: cannot read pipeline file");
  Diagnostic pointer_only{
      Severity::warning, "name is long", "it was shortened\nto 40 characters", {{}, "/name"}, {}};
  BOOST_TEST(pw::render_text(pointer_only) ==
             "warning: name is long (at /name)\n  it was shortened\n  to 40 characters");
}

BOOST_AUTO_TEST_CASE(json_is_one_line_with_only_what_is_set) {
  Diagnostic d{Severity::error, "say \"hi\"\n", {}, {{"p.jsonc", 2, 5}, "/a"}, {}};
  BOOST_TEST(
      pw::render_json(d) ==
      R"({"severity":"error","summary":"say \"hi\"\n","file":"p.jsonc","line":2,"column":5,"pointer":"/a"})");
  BOOST_TEST(pw::render_json(Diagnostic{Severity::info, "ok", {}, {}, {}}) ==
             R"({"severity":"info","summary":"ok"})");
}

BOOST_AUTO_TEST_CASE(both_renderings_mask_every_text) {
  const pw::Mask mask = [](std::string_view text) {
    std::string out(text);
    for (auto at = out.find("s3cret"); at != std::string::npos; at = out.find("s3cret"))
      out.replace(at, 6, "***");
    return out;
  };
  Diagnostic d{
      Severity::error, "token s3cret refused", "detail s3cret", {{}, "/s3cret"}, "rotate s3cret"};
  BOOST_TEST(pw::render_text(d, mask).find("s3cret") == std::string::npos);
  BOOST_TEST(pw::render_json(d, mask).find("s3cret") == std::string::npos);
  BOOST_TEST(pw::render_text(d, mask).find("token *** refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(severity_follows_the_abi_values) {
  BOOST_TEST(static_cast<int>(pw::severity_from_abi(2)) == static_cast<int>(Severity::warning));
  BOOST_TEST(static_cast<int>(pw::severity_from_abi(99)) == static_cast<int>(Severity::error));
  BOOST_TEST(
      pw::has_errors({{Severity::warning, "w", {}, {}, {}}, {Severity::error, "e", {}, {}, {}}}));
  BOOST_TEST(!pw::has_errors({{Severity::info, "i", {}, {}, {}}}));
}

BOOST_AUTO_TEST_SUITE_END()
