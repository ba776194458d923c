// What env.X and secrets.X read: the process environment, overlaid by
// --env-file files (or ./.env when none is given), plus defaults the CLI
// provides (the sandbox identity). Immutable once the run starts.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw {

class Environment {
 public:
  // Snapshot of the process environment.
  static Environment from_process();

  // Overlays KEY=VALUE pairs from a dotenv file. Returns an error message
  // naming the file and line on failure.
  std::optional<std::string> load_file(const std::filesystem::path& file);

  // Sets `name` unless it already has a value.
  void set_default(std::string name, std::string value);
  // Sets `name` whatever it held (what the embedded sandbox must decide).
  void set(std::string name, std::string value);
  void erase(std::string_view name);

  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Loads the run's environment: the process environment, then each file of
// `env_files` in order (later wins), or `default_file` when none is given
// and it exists. Errors name the file and line.
struct EnvironmentLoad {
  Environment environment;
  std::vector<std::string> errors;
  std::vector<std::filesystem::path> files;  // the files read, in order
};
// Whether a dotenv file was written by a --sandbox run (it starts with the
// marker core.dotenv.write puts there): its values are the sandbox's.
bool written_by_sandbox(const std::filesystem::path& file);

EnvironmentLoad load_environment(const std::vector<std::filesystem::path>& env_files,
                                 const std::filesystem::path& default_file = ".env");

}  // namespace pw
