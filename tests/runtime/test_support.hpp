// Small helpers shared by the runtime's and the deploy plugins' tests: a temp
// directory that removes itself, file writing and reading, and parsing
// --output json event lines.
#pragma once

#include <boost/json.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <iterator>
#include <vector>

namespace pw::test {

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pw-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // `name` may hold directories; they are made.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto p = path / std::filesystem::path(name);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  std::string read(const std::string& name) const { return read_file(path / name); }
};

// Every line of `out` parsed as JSON; a line that is not JSON is a failure
// the caller asserts on through `all_valid`.
struct Events {
  std::vector<boost::json::object> list;
  bool all_valid = true;

  explicit Events(const std::string& out) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      boost::json::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) {
        all_valid = false;
        continue;
      }
      list.push_back(v.as_object());
    }
  }

  // The first event of `type` (and step, when given); nullptr if none.
  const boost::json::object* find(std::string_view type, std::string_view step = {}) const {
    for (const auto& e : list) {
      if (e.at("type").as_string() != type) continue;
      if (!step.empty() && (!e.contains("step") || e.at("step").as_string() != step)) continue;
      return &e;
    }
    return nullptr;
  }
  std::vector<const boost::json::object*> all(std::string_view type, std::string_view step = {}) const {
    std::vector<const boost::json::object*> out;
    for (const auto& e : list)
      if (e.at("type").as_string() == type &&
          (step.empty() || (e.contains("step") && e.at("step").as_string() == step)))
        out.push_back(&e);
    return out;
  }
  std::int64_t ts(std::string_view type, std::string_view step) const {
    // A missing event must fail the test, not pass an ordering check.
    auto* e = find(type, step);
    if (e == nullptr)
      throw std::runtime_error("no " + std::string(type) + " event for step " + std::string(step));
    return e->at("ts").as_int64();
  }
  // Where the first event of `type` for `step` is in the stream: for
  // ordering checks that do not depend on clock resolution.
  std::size_t position(std::string_view type, std::string_view step) const {
    auto* e = find(type, step);
    if (e == nullptr)
      throw std::runtime_error("no " + std::string(type) + " event for step " + std::string(step));
    return static_cast<std::size_t>(e - list.data());
  }
  std::string status(std::string_view step) const {
    auto* e = find("step_finished", step);
    return e ? std::string(e->at("status").as_string()) : std::string("(no step_finished)");
  }
};

}  // namespace pw::test
