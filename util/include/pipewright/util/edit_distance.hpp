// "Did you mean": the Levenshtein distance, ASCII case ignored, and the
// closest of a list of names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pw::util {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, or "" when none is within a third of
// the word's length (at least 2 edits): beyond that a suggestion misleads.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace pw::util
