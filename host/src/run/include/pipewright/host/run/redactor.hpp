// Masks known secret values in any text that leaves the process. One
// Redactor is owned by a run and shared by every thread of it.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace pw {

class Redactor {
 public:
  static constexpr std::string_view mask = "***";
  // Shorter values would mask ordinary words; they are not registered.
  static constexpr std::size_t min_length = 4;

  // Registers `secret` (and its JSON-escaped form). Thread-safe.
  void add(std::string_view secret);
  // Returns `text` with every occurrence of every secret replaced by "***";
  // overlapping or adjacent occurrences become one "***".
  std::string redact(std::string_view text) const;
  bool empty() const;

 private:
  mutable std::mutex mutex_;
  struct LongerFirst {
    bool operator()(const std::string& a, const std::string& b) const {
      return a.size() != b.size() ? a.size() > b.size() : a < b;
    }
  };
  std::set<std::string, LongerFirst> secrets_;
};

// An auth header that names who is calling, not a credential
// (X-Auth-Email): its value is shown, so a run can say whose key it used.
bool is_identity_header(std::string_view name);

}  // namespace pw
