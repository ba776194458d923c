// Helpers shared by the config tests.
#pragma once

#include <pipewright/host/config/config.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pw::test {

inline LoadResult parse(std::string_view text) { return parse_pipeline(text, "p.jsonc"); }

// Asserts that `errors` holds one at line:col whose message contains `fragment`.
inline void expect_error(const Diagnostics& errors, int line, int column, std::string_view fragment) {
  std::string all;
  for (const auto& e : errors) {
    const SourceLocation& where = e.subject.where;
    if (where.line == line && where.column == column && e.summary.find(fragment) != std::string::npos) return;
    all += render_text(e) + "\n";
  }
  BOOST_ERROR("no error at " << line << ":" << column << " containing \"" << fragment << "\"; got:\n" << all);
}

inline std::string all_messages(const Diagnostics& errors) {
  std::string all;
  for (const auto& e : errors) all += render_text(e) + "\n";
  return all;
}

}  // namespace pw::test
