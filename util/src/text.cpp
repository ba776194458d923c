#include <pipewright/util/text.hpp>

#include <algorithm>

namespace pw::util {
namespace {

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = lower_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  return true;
}

std::string hex(const void* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string count_of(std::size_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) return out.append(singular);
  if (plural.empty()) return out.append(singular).append("s");
  return out.append(plural);
}

// Deepest element nesting, scanning past comments, CDATA, declarations and quoted attribute
// values so none of them can hide an open tag; stops counting once past `limit`.
int xml_depth(std::string_view xml, int limit) {
  int depth = 0;
  int deepest = 0;
  auto skip_past = [&](std::size_t from, std::string_view end) {
    auto at = xml.find(end, from);
    return at == std::string_view::npos ? xml.size() : at + end.size();
  };
  for (std::size_t i = 0; i < xml.size();) {
    if (xml[i] != '<') { ++i; continue; }
    auto rest = xml.substr(i);
    if (rest.starts_with("<!--")) { i = skip_past(i + 4, "-->"); continue; }
    if (rest.starts_with("<![CDATA[")) { i = skip_past(i + 9, "]]>"); continue; }
    if (rest.starts_with("<?")) { i = skip_past(i + 2, "?>"); continue; }
    if (rest.starts_with("<!")) { i = skip_past(i + 2, ">"); continue; }
    bool closing = rest.starts_with("</");
    std::size_t j = i + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      char c = xml[j];
      if (quote) { if (c == quote) quote = 0; }
      else if (c == '"' || c == '\'') quote = c;
      else if (c == '>') break;
    }
    bool self_closed = !closing && j < xml.size() && xml[j - 1] == '/';
    if (closing) { if (depth > 0) --depth; }
    else if (!self_closed) {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    }
    i = j + 1;
  }
  return deepest;
}

}  // namespace pw::util
