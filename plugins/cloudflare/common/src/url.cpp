#include <pipewright/cloudflare/api.hpp>

namespace pipewright::cloudflare {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string encode_segment(std::string_view segment) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::string encode_key_path(std::string_view key) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    auto slash = key.find('/', start);
    out += encode_segment(key.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    out.push_back('/');
    start = slash + 1;
  }
}

std::string encode_query_value(std::string_view value) { return encode_segment(value); }

std::string api_path(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (auto segment : segments) {
    out.push_back('/');
    out += encode_segment(segment);
  }
  return out;
}

std::string with_query(std::string path,
                       std::initializer_list<std::pair<std::string_view, std::string>> query) {
  char separator = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : query) {
    path.push_back(separator);
    path += encode_query_value(key);
    path.push_back('=');
    path += encode_query_value(value);
    separator = '&';
  }
  return path;
}

std::string base_url_from_context(std::string_view context_json) {
  boost::system::error_code ec;
  auto context = boost::json::parse(context_json, ec);
  std::string base;
  if (!ec && context.is_object()) {
    if (const auto* urls = context.as_object().if_contains("base_urls"); urls && urls->is_object()) {
      if (const auto* cf = urls->as_object().if_contains("cloudflare"); cf && cf->is_string())
        base = std::string(cf->as_string());
    }
  }
  if (base.empty()) base = std::string(default_base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

}  // namespace pipewright::cloudflare
