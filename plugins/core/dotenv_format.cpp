#include "dotenv_format.hpp"

#include <algorithm>
#include <unordered_map>

namespace pw::dotenv {
namespace {

bool key_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool key_char(char c) { return key_start(c) || (c >= '0' && c <= '9'); }
bool blank(char c) { return c == ' ' || c == '\t'; }

// One logical record of the file: a physical line, or several when a quoted
// value spans lines. [begin, end) includes the record's line terminator.
struct Record {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t line = 0;
  bool assignment = false;  // a well-formed KEY=value
  bool exported = false;
  std::string key;
  std::string value;
  std::string error;  // set for a malformed line
  std::string_view terminator;
};

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  std::vector<Record> records() {
    std::vector<Record> out;
    while (pos_ < text_.size()) out.push_back(next());
    return out;
  }

 private:
  // End of the physical line starting at `from`, without its terminator.
  std::size_t line_end(std::size_t from) const {
    auto nl = text_.find('\n', from);
    return nl == std::string_view::npos ? text_.size() : nl;
  }

  // Finishes `r` at the end of the physical line holding `at`.
  void close_at_line_end(Record& r, std::size_t at) {
    std::size_t e = line_end(at);
    if (e < text_.size()) {
      r.terminator = (e > r.begin && text_[e - 1] == '\r') ? "\r\n" : "\n";
      r.end = e + 1;
    } else {
      r.terminator = {};
      r.end = e;
    }
    for (std::size_t i = r.begin; i < std::min(r.end, text_.size()); ++i)
      if (text_[i] == '\n') ++line_;
    pos_ = r.end;
  }

  Record malformed(Record r, std::string message) {
    r.assignment = false;
    r.error = std::move(message);
    r.value.clear();
    close_at_line_end(r, r.begin);
    return r;
  }

  Record next() {
    Record r;
    r.begin = pos_;
    r.line = line_;
    std::size_t eol = line_end(pos_);
    std::size_t i = pos_;
    while (i < eol && blank(text_[i])) ++i;
    if (i == eol || text_[i] == '#' || (text_[i] == '\r' && i + 1 == eol)) {
      close_at_line_end(r, r.begin);
      return r;
    }
    if (text_.substr(i, 6) == "export" && i + 6 < eol && blank(text_[i + 6])) {
      r.exported = true;
      i += 6;
      while (i < eol && blank(text_[i])) ++i;
    }
    std::size_t key_begin = i;
    while (i < eol && key_char(text_[i])) ++i;
    r.key = std::string(text_.substr(key_begin, i - key_begin));
    if (!is_valid_key(r.key)) return malformed(std::move(r), "expected KEY=value with a valid key");
    while (i < eol && blank(text_[i])) ++i;
    if (i == eol || text_[i] != '=') return malformed(std::move(r), "expected '=' after the key");
    ++i;
    while (i < eol && blank(text_[i])) ++i;

    if (i < eol && (text_[i] == '"' || text_[i] == '\'')) {
      const char q = text_[i++];
      bool closed = false;
      while (i < text_.size()) {
        char c = text_[i];
        if (c == q) {
          closed = true;
          ++i;
          break;
        }
        if (q == '"' && c == '\\' && i + 1 < text_.size()) {
          char e = text_[i + 1];
          switch (e) {
            case 'n':
              r.value += '\n';
              break;
            case 'r':
              r.value += '\r';
              break;
            case 't':
              r.value += '\t';
              break;
            case '"':
              r.value += '"';
              break;
            case '\\':
              r.value += '\\';
              break;
            default:
              r.value += '\\';
              r.value += e;
              break;
          }
          i += 2;
          continue;
        }
        r.value += c;
        ++i;
      }
      if (!closed) return malformed(std::move(r), "unterminated quoted value");
      std::size_t rest_end = line_end(i);
      std::size_t j = i;
      while (j < rest_end && (blank(text_[j]) || text_[j] == '\r')) ++j;
      if (j < rest_end && text_[j] != '#')
        return malformed(std::move(r), "unexpected text after the closing quote");
      r.assignment = true;
      close_at_line_end(r, i);
      return r;
    }

    std::size_t v_end = eol;
    if (v_end > i && text_[v_end - 1] == '\r') --v_end;
    for (std::size_t j = i; j < v_end; ++j) {
      if (text_[j] == '#' && j > i && blank(text_[j - 1])) {
        v_end = j;
        break;
      }
    }
    while (v_end > i && blank(text_[v_end - 1])) --v_end;
    r.value = std::string(text_.substr(i, v_end - i));
    r.assignment = true;
    close_at_line_end(r, r.begin);
    return r;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// Characters a plain (unquoted) value may hold without changing meaning in
// any common .env reader. Bytes >= 0x80 are UTF-8 and pass through.
bool plain_safe(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '-':
    case '.':
    case '/':
    case ':':
    case '@':
    case '%':
    case '+':
    case '=':
    case ',':
    case '~':
    case '^':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> Parsed::get(std::string_view key) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->key == key) return it->value;
  return std::nullopt;
}

bool written_by_sandbox(std::string_view text) {
  return text.substr(0, sandbox_marker.size()) == sandbox_marker;
}

bool is_valid_key(std::string_view key) {
  if (key.empty() || !key_start(key.front())) return false;
  return std::all_of(key.begin(), key.end(), key_char);
}

Parsed parse(std::string_view text) {
  Parsed out;
  for (auto& r : Tokenizer(text).records()) {
    if (!r.error.empty())
      out.errors.push_back({r.line, r.error});
    else if (r.assignment)
      out.entries.push_back({std::move(r.key), std::move(r.value), r.line});
  }
  return out;
}

std::string quote(std::string_view value) {
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return plain_safe(static_cast<unsigned char>(c)); }))
    return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
        break;
    }
  }
  out += '"';
  return out;
}

std::string update(std::string_view original,
                   const std::vector<std::pair<std::string, std::string>>& values) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < values.size(); ++i) index[values[i].first] = i;
  std::vector<bool> written(values.size(), false);

  std::string out;
  out.reserve(original.size() + 64);
  for (const auto& r : Tokenizer(original).records()) {
    auto hit = r.assignment ? index.find(r.key) : index.end();
    if (hit == index.end()) {
      out.append(original.substr(r.begin, r.end - r.begin));
      continue;
    }
    const auto& [key, value] = values[hit->second];
    if (r.exported) out += "export ";
    out += key;
    out += '=';
    out += quote(value);
    out += r.terminator;
    written[hit->second] = true;
  }
  bool need_newline = !out.empty() && out.back() != '\n';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (written[i]) continue;
    if (need_newline) {
      out += '\n';
      need_newline = false;
    }
    out += values[i].first;
    out += '=';
    out += quote(values[i].second);
    out += '\n';
  }
  return out;
}

}  // namespace pw::dotenv
