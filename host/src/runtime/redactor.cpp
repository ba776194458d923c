#include "redactor.hpp"

#include <boost/json.hpp>

namespace pw {

namespace {

// The form a value takes inside a JSON string literal, without the quotes.
std::string json_escaped(std::string_view text) {
  std::string quoted = boost::json::serialize(boost::json::string(text));
  return quoted.substr(1, quoted.size() - 2);
}

void replace_all(std::string& text, std::string_view needle) {
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), Redactor::mask);
    pos += Redactor::mask.size();
  }
}

}  // namespace

void Redactor::add(std::string_view secret) {
  if (secret.size() < min_length) return;
  std::string escaped = json_escaped(secret);
  std::lock_guard lock(mutex_);
  secrets_.emplace(secret);
  if (escaped != secret) secrets_.insert(std::move(escaped));
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mutex_);
  for (const auto& secret : secrets_) replace_all(out, secret);
  return out;
}

bool Redactor::empty() const {
  std::lock_guard lock(mutex_);
  return secrets_.empty();
}

}  // namespace pw
