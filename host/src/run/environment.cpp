#include "dotenv_format.hpp"

#include <pipewright/host/run/environment.hpp>

#include <fstream>
#include <sstream>
#include <system_error>

extern char** environ;

namespace pw {

namespace fs = std::filesystem;

Environment Environment::from_process() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.values_.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> Environment::load_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return "cannot read env file " + file.string() + "; check that it exists and is readable";
  std::stringstream text;
  text << in.rdbuf();
  dotenv::Parsed parsed = dotenv::parse(text.str());
  if (!parsed.errors.empty()) {
    // The dotenv reader's messages never hold a value, so they are safe to show.
    const auto& e = parsed.errors.front();
    return file.string() + ":" + std::to_string(e.line) + ": " + e.message +
           "; fix the line (KEY=value, quotes for spaces)";
  }
  for (auto& entry : parsed.entries) values_[entry.key] = std::move(entry.value);
  return std::nullopt;
}

void Environment::set(std::string name, std::string value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

void Environment::set_default(std::string name, std::string value) {
  values_.emplace(std::move(name), std::move(value));
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool written_by_sandbox(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string first;
  std::getline(in, first);
  return dotenv::written_by_sandbox(first);
}

void Environment::erase(std::string_view name) {
  if (auto it = values_.find(name); it != values_.end()) values_.erase(it);
}

EnvironmentLoad load_environment(const std::vector<fs::path>& env_files, const fs::path& default_file) {
  EnvironmentLoad load{Environment::from_process(), {}, env_files};
  std::error_code ec;
  if (load.files.empty() && fs::is_regular_file(default_file, ec)) load.files.push_back(default_file);
  for (const auto& f : load.files)
    if (auto error = load.environment.load_file(f)) load.errors.push_back(*error);
  return load;
}

}  // namespace pw
