// Reading JSON text: the value (Boost.JSON) plus a position map built by a
// second, small scan of the same text, which is simpler than recovering
// offsets from parser callbacks (escaped strings arrive in a temp buffer).
#include <pipewright/util/json_source.hpp>

#include <cctype>

namespace pw::util {
namespace {

// Walks text that Boost.JSON has already accepted, so it only needs to find
// where things are, not to diagnose malformed input.
class PositionScanner {
 public:
  PositionScanner(std::string_view text, const std::string& file, ParsedJson& out)
      : text_(text), file_(file), out_(out) {}

  void run() {
    skip_space();
    value("");
  }

 private:
  SourceLocation here() const { return {file_, line_, column_}; }

  void advance() {
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    ++pos_;
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((c & 0xC0) != 0x80) {  // columns count code points, not bytes
      ++column_;
    }
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance();
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance();
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        advance();
        advance();
        while (pos_ < text_.size() && !(text_[pos_] == '*' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) advance();
        if (pos_ < text_.size()) {
          advance();
          advance();
        }
      } else {
        return;
      }
    }
  }

  // Skips a string token; true when it holds an escape.
  bool skip_string() {
    bool escaped = false;
    advance();  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') {
        escaped = true;
        advance();
      }
      advance();
    }
    advance();  // closing quote
    return escaped;
  }

  // A key's text. Values are only skipped: their text is in the parsed value.
  std::string string_token() {
    const std::size_t start = pos_;
    if (!skip_string()) return std::string(text_.substr(start + 1, pos_ - start - 2));
    // Let Boost.JSON decode the escapes of the exact token.
    boost::system::error_code ec;
    auto decoded = boost::json::parse(text_.substr(start, pos_ - start), ec);
    return !ec && decoded.is_string() ? std::string(decoded.as_string()) : std::string();
  }

  // Map entries leave the file out (Pipeline::locate adds it): one path
  // string per value was most of the scan's cost.
  void value(const std::string& pointer) {
    out_.positions.emplace(pointer, SourceLocation{{}, line_, column_});
    const char c = peek();
    if (c == '{') {
      object(pointer);
    } else if (c == '[') {
      array(pointer);
    } else if (c == '"') {
      skip_string();
    } else {
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '-' || text_[pos_] == '+' || text_[pos_] == '.'))
        advance();
    }
  }

  void object(const std::string& pointer) {
    advance();
    std::map<std::string, bool> seen;
    for (;;) {
      skip_space();
      if (peek() == '}' || pos_ >= text_.size()) break;
      const SourceLocation key_at = here();
      const std::string key = string_token();
      const std::string member = pointer_append(pointer, key);
      if (seen[key]) {
        out_.errors.push_back({Severity::error, "duplicate key \"" + key + "\"", {}, {key_at, {}}, "remove one of the two"});
      }
      seen[key] = true;
      out_.key_positions.emplace(member, SourceLocation{{}, key_at.line, key_at.column});
      skip_space();
      advance();  // ':'
      skip_space();
      value(member);
      skip_space();
      if (peek() == ',') advance();
    }
    advance();
  }

  void array(const std::string& pointer) {
    advance();
    for (std::size_t index = 0;; ++index) {
      skip_space();
      if (peek() == ']' || pos_ >= text_.size()) break;
      value(pointer_append(pointer, index));
      skip_space();
      if (peek() == ',') advance();
    }
    advance();
  }

  std::string_view text_;
  const std::string& file_;
  ParsedJson& out_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

SourceLocation location_of_offset(std::string_view text, std::size_t offset, const std::string& file) {
  SourceLocation at{file, 1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++at.line;
      at.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++at.column;
    }
  }
  return at;
}

// Names the kind of token where parsing stopped instead of quoting it: the text may be a
// file given by mistake (a key, a token) and an error message must not echo it.
std::string describe_token(char first) {
  const unsigned char c = static_cast<unsigned char>(first);
  if (std::isalpha(c)) return "a bare word (strings need double quotes)";
  if (std::isdigit(c) || c == '-' || c == '+' || c == '.') return "a malformed number";
  if (c == '"' || c == '\'') return c == '"' ? "a malformed string" : "a single-quoted string (JSON needs double quotes)";
  if (c >= 0x80) return "a non-ASCII character";
  if (std::iscntrl(c)) return "a control character";
  return std::string("'") + static_cast<char>(c) + "'";
}

std::string describe_syntax_error(std::string_view text, std::size_t& offset, const boost::system::error_code& ec) {
  while (offset < text.size() && std::isspace(static_cast<unsigned char>(text[offset]))) ++offset;
  if (offset >= text.size()) return "invalid JSON: unexpected end of file (an unclosed '{', '[' or string?)";
  std::string what = ec == boost::json::error::extra_data ? "unexpected text after the end of the document"
                                                           : "syntax error";
  return "invalid JSON: " + what + " at " + describe_token(text[offset]);
}

}  // namespace

std::string pointer_append(std::string_view parent, std::string_view token) {
  std::string out(parent);
  out += '/';
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(std::string_view parent, std::size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

ParsedJson parse_json_with_positions(std::string_view text, const std::string& file) {
  ParsedJson out;
  boost::json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  options.max_depth = 64;  // the position scan recurses as deep; both stay bounded
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    const std::string message = describe_syntax_error(text, consumed, ec);
    out.errors.push_back({Severity::error,
                          message,
                          {},
                          {location_of_offset(text, consumed, file), {}},
                          "comments (// and /* */) and trailing commas are allowed; check quotes, "
                          "commas and brackets near this point"});
    return out;
  }
  out.value = parser.release();
  PositionScanner(text, file, out).run();
  out.ok = true;
  return out;
}

}  // namespace pw::util
