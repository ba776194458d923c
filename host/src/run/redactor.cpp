#include <pipewright/host/run/redactor.hpp>
#include <pipewright/util/text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace pw {

namespace {

// The form a value takes inside a JSON string literal, without the quotes.
std::string json_escaped(std::string_view text) {
  std::string quoted = boost::json::serialize(boost::json::string(text));
  return quoted.substr(1, quoted.size() - 2);
}


}  // namespace

void Redactor::add(std::string_view secret) {
  if (secret.size() < min_length) return;
  std::string escaped = json_escaped(secret);
  std::lock_guard lock(mutex_);
  secrets_.emplace(secret);
  if (escaped != secret) secrets_.insert(std::move(escaped));
}

// Every byte that any secret covers is masked, and each run of masked
// bytes becomes one "***": replacing secrets one after another would leave
// the part of one that overlaps another already replaced in the clear.
std::string Redactor::redact(std::string_view text) const {
  std::vector<bool> covered;
  {
    std::lock_guard lock(mutex_);
    for (const auto& secret : secrets_) {
      std::size_t filled = 0;  // covered up to here by this secret: each byte is set once
      for (auto pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1)) {
        if (covered.empty()) covered.assign(text.size(), false);
        const std::size_t from = std::max(pos, filled), to = pos + secret.size();
        std::fill(covered.begin() + static_cast<std::ptrdiff_t>(from), covered.begin() + static_cast<std::ptrdiff_t>(to),
                  true);
        filled = to;
      }
    }
  }
  if (covered.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!covered[i]) {
      out += text[i];
    } else if (i == 0 || !covered[i - 1]) {
      out += mask;
    }
  }
  return out;
}

bool Redactor::empty() const {
  std::lock_guard lock(mutex_);
  return secrets_.empty();
}

bool is_identity_header(std::string_view name) { return util::iequals(name, "X-Auth-Email"); }

}  // namespace pw
