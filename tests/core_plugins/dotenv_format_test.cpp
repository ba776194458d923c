#define BOOST_TEST_MODULE dotenv_format
#include "dotenv_format.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dotenv = pw::dotenv;
using Values = std::vector<std::pair<std::string, std::string>>;

BOOST_AUTO_TEST_CASE(keeps_comments_blank_lines_and_order) {
  const std::string original = "# header\n\nA=1\n  # indented comment\nB=2\nweird line\n";
  BOOST_TEST(dotenv::update(original, {}) == original);
  BOOST_TEST(dotenv::update(original, {{"C", "3"}}) == original + "C=3\n");
}

BOOST_AUTO_TEST_CASE(replaces_existing_key_in_place) {
  const std::string original = "# db\nA=old\nB=keep # note\nA=older\n";
  BOOST_TEST(dotenv::update(original, {{"A", "new"}}) == "# db\nA=new\nB=keep # note\nA=new\n");
}

BOOST_AUTO_TEST_CASE(keeps_export_prefix_when_replacing) {
  BOOST_TEST(dotenv::update("export TOKEN=abc\nX=1\n", {{"TOKEN", "def"}}) ==
             "export TOKEN=def\nX=1\n");
}

BOOST_AUTO_TEST_CASE(appends_new_keys_after_a_last_line_without_newline) {
  BOOST_TEST(dotenv::update("A=1", {{"B", "2"}, {"C", "3"}}) == "A=1\nB=2\nC=3\n");
  BOOST_TEST(dotenv::update("", {{"B", "2"}}) == "B=2\n");
}

BOOST_AUTO_TEST_CASE(replaces_a_multi_line_quoted_value_whole) {
  const std::string original = "A=\"line1\nline2\"\nB=2\n";
  BOOST_TEST(dotenv::update(original, {{"A", "x"}}) == "A=x\nB=2\n");
}

BOOST_AUTO_TEST_CASE(quotes_only_values_that_need_it) {
  BOOST_TEST(dotenv::quote("abc-123_./:@") == "abc-123_./:@");
  BOOST_TEST(dotenv::quote("") == "");
  BOOST_TEST(dotenv::quote("two words") == "\"two words\"");
  BOOST_TEST(dotenv::quote("a#b") == "\"a#b\"");
  BOOST_TEST(dotenv::quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  BOOST_TEST(dotenv::quote("back\\slash") == "\"back\\\\slash\"");
  BOOST_TEST(dotenv::quote("a\nb") == "\"a\\nb\"");
  BOOST_TEST(dotenv::quote("$HOME") == "\"$HOME\"");
}

BOOST_AUTO_TEST_CASE(quoted_values_round_trip_through_the_reader) {
  const std::vector<std::string> samples = {"plain",       "with space",      "hash # inside",
                                            "#leading",    "quote \" inside", "single ' one",
                                            "back\\slash", "multi\nline\n",   "$VAR ${X}",
                                            "tab\there",   "cr\r\nlf",        "",
                                            "  padded  ",  "ünïcødé",         "a=b=c"};
  Values values;
  for (std::size_t i = 0; i < samples.size(); ++i)
    values.emplace_back("K" + std::to_string(i), samples[i]);
  auto text = dotenv::update("# keep\n", values);
  auto parsed = dotenv::parse(text);
  BOOST_TEST(parsed.errors.empty());
  BOOST_TEST_REQUIRE(parsed.entries.size() == samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    BOOST_TEST_CONTEXT("sample " << i) {
      BOOST_TEST(parsed.get("K" + std::to_string(i)).value_or("<missing>") == samples[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(reads_common_dotenv_forms) {
  auto parsed = dotenv::parse(
      "# c\nA=1\nexport B=two\nC = spaced \nD=x # comment\nE=a#b\nF='lit \\n $X'\n"
      "G=\"q \\\"x\\\" \\n\" # c\nH=\nA=last\r\n");
  BOOST_TEST(parsed.errors.empty());
  BOOST_TEST(*parsed.get("A") == "last");
  BOOST_TEST(*parsed.get("B") == "two");
  BOOST_TEST(*parsed.get("C") == "spaced");
  BOOST_TEST(*parsed.get("D") == "x");
  BOOST_TEST(*parsed.get("E") == "a#b");
  BOOST_TEST(*parsed.get("F") == "lit \\n $X");
  BOOST_TEST(*parsed.get("G") == "q \"x\" \n");
  BOOST_TEST(*parsed.get("H") == "");
  BOOST_TEST(!parsed.get("Z").has_value());
  BOOST_TEST(parsed.entries.at(1).line == 3u);
}

BOOST_AUTO_TEST_CASE(reports_malformed_lines_without_their_values) {
  auto parsed = dotenv::parse("OK=1\nno equals here\n1BAD=secret\nQ=\"unterminated secret\n");
  BOOST_TEST(parsed.entries.size() == 1u);
  BOOST_TEST_REQUIRE(parsed.errors.size() == 3u);
  BOOST_TEST(parsed.errors[0].line == 2u);
  BOOST_TEST(parsed.errors[1].line == 3u);
  BOOST_TEST(parsed.errors[2].line == 4u);
  for (const auto& e : parsed.errors) BOOST_TEST(e.message.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_invalid_key_names) {
  BOOST_TEST(dotenv::is_valid_key("API_TOKEN"));
  BOOST_TEST(dotenv::is_valid_key("_x1"));
  BOOST_TEST(!dotenv::is_valid_key("1ABC"));
  BOOST_TEST(!dotenv::is_valid_key("A-B"));
  BOOST_TEST(!dotenv::is_valid_key("A B"));
  BOOST_TEST(!dotenv::is_valid_key(""));
}
