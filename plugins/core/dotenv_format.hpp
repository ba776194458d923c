// .env text: reading it and rewriting it in place. Pure text functions with
// no SDK dependency, shared by the core.dotenv.write plugin and the host.
//
// The dialect (what parse() reads and update() writes):
//   KEY=value            plain; an unquoted value ends at " #" (a comment)
//   export KEY=value     the export prefix is accepted and kept on rewrite
//   KEY="a \"b\" \\ \n"  double quotes: escapes \" \\ \n \r \t; may span lines
//   KEY='literal'        single quotes: no escapes at all
//   # comment, blank lines
// Keys match ^[A-Za-z_][A-Za-z0-9_]*$. A later assignment of a key wins.
// Values are usually secrets: no message produced here ever contains one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::dotenv {

struct Entry {
  std::string key;
  std::string value;
  std::size_t line = 0;  // 1-based line where the assignment starts
};

struct ParseError {
  std::size_t line = 0;  // 1-based
  std::string message;   // never contains a value
};

struct Parsed {
  std::vector<Entry> entries;  // in file order, duplicates included
  std::vector<ParseError> errors;

  // The value of the last assignment of `key`, if any.
  std::optional<std::string> get(std::string_view key) const;
};

bool is_valid_key(std::string_view key);

// The first line of a .env file a --sandbox run wrote: its values work only
// against the sandbox, so a later sandbox run may replace them, and no real
// run should trust them.
inline constexpr std::string_view sandbox_marker =
    "# written by a pipewright --sandbox run: these values work only against its sandbox";

// Whether `text` starts with sandbox_marker.
bool written_by_sandbox(std::string_view text);

// Parses .env text. Malformed lines become errors; the rest is still read.
Parsed parse(std::string_view text);

// `value` written as it must appear after "KEY=": plain when it holds only
// safe characters, otherwise double-quoted with \" \\ \n \r escapes.
std::string quote(std::string_view value);

// Returns `original` with each key of `values` set: every existing
// assignment of the key is rewritten in place (keeping an `export ` prefix),
// keys not present are appended at the end in the given order, and every
// other line (comments, blanks, malformed lines) is kept byte for byte.
// Keys must be valid (is_valid_key); the caller checks them first.
std::string update(std::string_view original,
                   const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace pw::dotenv
