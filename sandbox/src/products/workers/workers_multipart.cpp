#include "products/workers_multipart.hpp"

#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Value of `key=` in a header's parameter list ("form-data; name=\"x\"").
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) return std::nullopt;
    pos = semi + 1;
    std::string_view rest = trim(header.substr(pos));
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    if (!util::iequals(trim(rest.substr(0, eq)), key)) continue;
    std::string_view value = rest.substr(eq + 1);
    if (!value.empty() && value.front() == '"') {
      std::string out;
      for (std::size_t i = 1; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          out += value[++i];
        } else if (value[i] == '"') {
          return out;
        } else {
          out += value[i];
        }
      }
      return std::nullopt;
    }
    std::size_t end = value.find(';');
    return std::string(trim(value.substr(0, end)));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (!util::iequals(type, "multipart/form-data")) return std::nullopt;
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) return std::nullopt;
  return boundary;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                          std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return std::nullopt;
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    std::size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string_view::npos) return std::nullopt;
    std::size_t headers_end = body.find("\r\n\r\n", line_end);
    std::size_t content_begin;
    std::string_view headers;
    if (body.substr(line_end, 4) == "\r\n\r\n") {  // a part without headers
      headers = {};
      content_begin = line_end + 4;
    } else {
      if (headers_end == std::string_view::npos) return std::nullopt;
      headers = body.substr(line_end + 2, headers_end - line_end - 2);
      content_begin = headers_end + 4;
    }
    std::size_t next = body.find("\r\n" + delimiter, content_begin);
    if (next == std::string_view::npos) return std::nullopt;

    MultipartPart part;
    part.body = body.substr(content_begin, next - content_begin);
    std::size_t hpos = 0;
    bool has_disposition = false;
    while (hpos <= headers.size()) {
      std::size_t eol = headers.find("\r\n", hpos);
      std::string_view line = headers.substr(hpos, eol == std::string_view::npos ? std::string_view::npos : eol - hpos);
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string key = util::lower(trim(line.substr(0, colon)));
        std::string_view value = trim(line.substr(colon + 1));
        if (key == "content-disposition") {
          has_disposition = true;
          part.name = header_param(value, "name").value_or("");
          part.filename = header_param(value, "filename");
        } else if (key == "content-type") {
          part.content_type = std::string(value);
        }
      }
      if (eol == std::string_view::npos) break;
      hpos = eol + 2;
    }
    if (!has_disposition) return std::nullopt;
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace pw::sandbox
