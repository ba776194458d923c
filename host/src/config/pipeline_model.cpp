// Queries on a parsed pipeline: locations, `uses` kinds, durations and the
// dependency list the scheduler orders steps by.
#include "config_internal.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace pw {
namespace {

SourceLocation nearest(const std::map<std::string, SourceLocation>& positions, std::string_view pointer) {
  std::string at(pointer);
  for (;;) {
    if (auto it = positions.find(at); it != positions.end()) return it->second;
    if (at.empty()) return {};
    at.erase(at.rfind('/'));
  }
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

SourceLocation Pipeline::locate(std::string_view json_pointer) const {
  SourceLocation at = nearest(positions, json_pointer);
  if (at.file.empty()) at.file = file.string();
  return at;
}

SourceLocation Pipeline::locate_key(std::string_view json_pointer) const {
  if (auto it = key_positions.find(std::string(json_pointer)); it != key_positions.end()) {
    SourceLocation at = it->second;
    at.file = file.string();
    return at;
  }
  return locate(json_pointer);
}

const StepSpec* Pipeline::find_step(std::string_view id) const {
  for (const auto& step : steps) {
    if (step.id == id) return &step;
  }
  return nullptr;
}

bool uses_is_pipeline(std::string_view uses) {
  return uses.starts_with("pipeline:") || ends_with(uses, ".json") || ends_with(uses, ".jsonc") ||
         uses.find('/') != std::string_view::npos;
}

bool is_plugin_name(std::string_view uses) {
  if (uses.empty() || uses.front() == '.' || uses.back() == '.') return false;
  bool segment_start = true;
  for (const char c : uses) {
    if (c == '.') {
      if (segment_start) return false;  // empty segment
      segment_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit_or_underscore = (c >= '0' && c <= '9') || c == '_';
    if (segment_start && !lower) return false;
    if (!lower && !digit_or_underscore) return false;
    segment_start = false;
  }
  return true;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // One or more <number><unit> pairs ("1m30s"), units ms, s, m, h.
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t number_start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == number_start) return std::nullopt;
    const std::string number(text.substr(number_start, i - number_start));
    if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return std::nullopt;
    const double amount = std::strtod(number.c_str(), nullptr);
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit == "ms") {
      total_ms += amount;
    } else if (unit == "s") {
      total_ms += amount * 1000;
    } else if (unit == "m") {
      total_ms += amount * 60'000;
    } else if (unit == "h") {
      total_ms += amount * 3'600'000;
    } else {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

bool is_matrix_option(std::string_view key) {
  return key == "max_parallel" || key == "fail_fast" || key == "name" || key == "include" ||
         key == "exclude";
}

std::vector<StepLink> step_links(const Pipeline& pipeline, const StepSpec& step) {
  std::map<std::string, StepLink> links;
  auto read = [&](const std::vector<Reference>& refs) {
    for (const auto& ref : refs) {
      if (ref.scope != "steps" || ref.name.empty()) continue;
      StepLink& link = links[ref.name];
      if (ref.output.empty())
        link.whole = true;  // malformed; validation reports it
      else
        link.outputs.insert(ref.output);
    }
  };
  read(references_in(boost::json::value(step.with)));
  if (!step.if_expr.empty()) read(references_in_condition(step.if_expr));
  if (auto it = pipeline.auths.find(step.auth); !step.auth.empty() && it != pipeline.auths.end())
    read(references_in(boost::json::value(it->second.with)));
  if (step.matrix) {
    for (const auto& [axis, values] : step.matrix->axes) read(references_in(values));
    read(references_in(step.matrix->include));
    read(references_in(step.matrix->exclude));
    read(references_in(boost::json::value(step.matrix->max_parallel_expr)));
    read(references_in(boost::json::value(step.matrix->name)));
  }
  const bool status = !step.if_expr.empty() && condition_asks_how_steps_ended(step.if_expr);
  for (auto& [id, link] : links) link.whole = link.whole || status;
  for (const auto& id : step.needs) links[id].whole = true;
  links.erase(step.id);
  std::vector<StepLink> out;
  for (auto& [id, link] : links) {
    link.id = id;
    out.push_back(std::move(link));
  }
  return out;
}

std::vector<std::string> step_dependencies(const Pipeline& pipeline, const StepSpec& step) {
  std::vector<std::string> ids;
  for (const auto& link : step_links(pipeline, step)) ids.push_back(link.id);
  return ids;
}

}  // namespace pw
