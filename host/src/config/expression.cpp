// The ${{ }} expression language: tokenizer, recursive-descent parser to a
// small tree, and an evaluator over boost::json values. Equality is strict
// (no coercion between types); && and || yield the deciding operand.
#include "config_internal.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

namespace pw {
namespace {

enum class Tok { ident, string, number, op, end };

// How an expression is quoted in messages: trimmed, as the user would write it.
std::string quote(std::string_view src) {
  const auto first = src.find_first_not_of(" \t\r\n");
  const auto last = src.find_last_not_of(" \t\r\n");
  return "'" + std::string(first == std::string_view::npos ? "" : src.substr(first, last - first + 1)) + "'";
}

struct Token {
  Tok kind = Tok::end;
  std::string text;  // identifier, operator, or decoded string literal
  boost::json::value number;
};

std::vector<Token> tokenize(std::string_view src) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto fail = [&](const std::string& why) {
    throw ExpressionError("in expression " + quote(src) + ": " + why);
  };
  while (i < src.size()) {
    const char c = src[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = i;
      while (i < src.size() && (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '_' || src[i] == '-')) ++i;
      out.push_back({Tok::ident, std::string(src.substr(start, i - start)), {}});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[i + 1])))) {
      const std::size_t start = i;
      ++i;
      while (i < src.size() && (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '.' ||
                                ((src[i] == '+' || src[i] == '-') && (src[i - 1] == 'e' || src[i - 1] == 'E'))))
        ++i;
      const std::string text(src.substr(start, i - start));
      boost::system::error_code ec;
      auto number = boost::json::parse(text, ec);
      if (ec || !number.is_number()) fail("'" + text + "' is not a number");
      out.push_back({Tok::number, text, number});
    } else if (c == '\'') {
      // 'it''s': a doubled quote stands for one quote.
      std::string text;
      ++i;
      for (;;) {
        if (i >= src.size()) fail("unterminated string literal");
        if (src[i] == '\'') {
          if (i + 1 < src.size() && src[i + 1] == '\'') {
            text += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text += src[i++];
      }
      out.push_back({Tok::string, text, {}});
    } else {
      const std::string_view two = src.substr(i, 2);
      if (two == "==" || two == "!=" || two == "&&" || two == "||") {
        out.push_back({Tok::op, std::string(two), {}});
        i += 2;
      } else if (c == '!' || c == '(' || c == ')' || c == '.') {
        out.push_back({Tok::op, std::string(1, c), {}});
        ++i;
      } else {
        fail(std::string("unexpected character '") + c + "'");
      }
    }
  }
  out.push_back({Tok::end, "", {}});
  return out;
}

struct Node {
  // call: a status function, no argument; function: fromJSON/readJSON, one argument (left).
  enum class Kind { literal, reference, negate, both, either, equal, not_equal, call, function } kind;
  boost::json::value literal;
  std::vector<std::string> parts;  // reference: scope.name...; call, function: its name
  std::unique_ptr<Node> left, right;
  int height = 1;  // nodes on the longest path down, this one included
};
using NodePtr = std::unique_ptr<Node>;

// Parsing, evaluating and freeing a tree all recurse once per level: deeper
// nesting (parentheses, `!`, chained operators) is refused, not a stack overflow.
constexpr int max_nesting = 100;

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src), tokens_(tokenize(src)) {}

  NodePtr parse() {
    if (tokens_.front().kind == Tok::end) fail("empty expression");
    NodePtr root = either();
    if (current().kind != Tok::end) fail("unexpected '" + current().text + "'");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ExpressionError("in expression " + quote(src_) + ": " + why);
  }
  const Token& current() const { return tokens_[pos_]; }
  bool accept(std::string_view op) {
    if (current().kind == Tok::op && current().text == op) {
      ++pos_;
      return true;
    }
    return false;
  }
  NodePtr make(Node::Kind kind, NodePtr left = nullptr, NodePtr right = nullptr) const {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->height = 1 + std::max(left ? left->height : 0, right ? right->height : 0);
    if (node->height > max_nesting) fail_too_deep();
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }
  // Counts one level of the parser's own recursion while alive.
  struct Nested {
    explicit Nested(Parser& p) : parser(p) {
      if (++parser.depth_ > max_nesting) parser.fail_too_deep();
    }
    ~Nested() { --parser.depth_; }
    Parser& parser;
  };
  [[noreturn]] void fail_too_deep() const {
    fail("nested more than " + std::to_string(max_nesting) +
         " levels deep (parentheses, '!', chained operators); simplify it");
  }

  NodePtr either() {
    Nested nested(*this);
    NodePtr left = both();
    while (accept("||")) left = make(Node::Kind::either, std::move(left), both());
    return left;
  }
  NodePtr both() {
    NodePtr left = equality();
    while (accept("&&")) left = make(Node::Kind::both, std::move(left), equality());
    return left;
  }
  NodePtr equality() {
    NodePtr left = unary();
    for (;;) {
      if (accept("==")) {
        left = make(Node::Kind::equal, std::move(left), unary());
      } else if (accept("!=")) {
        left = make(Node::Kind::not_equal, std::move(left), unary());
      } else {
        return left;
      }
    }
  }
  NodePtr unary() {
    if (accept("!")) {
      Nested nested(*this);
      return make(Node::Kind::negate, unary());
    }
    return primary();
  }
  NodePtr primary() {
    const Token token = current();
    if (accept("(")) {
      NodePtr inner = either();
      if (!accept(")")) fail("missing ')'");
      return inner;
    }
    if (token.kind == Tok::string || token.kind == Tok::number) {
      ++pos_;
      auto node = make(Node::Kind::literal);
      node->literal = token.kind == Tok::string ? boost::json::value(token.text) : token.number;
      return node;
    }
    if (token.kind != Tok::ident) fail(token.kind == Tok::end ? "unexpected end of expression" : "unexpected '" + token.text + "'");
    ++pos_;
    if (token.text == "true" || token.text == "false" || token.text == "null") {
      auto node = make(Node::Kind::literal);
      if (token.text != "null") node->literal = token.text == "true";
      return node;
    }
    if (accept("(")) {
      if (token.text == "fromJSON" || token.text == "readJSON") {
        auto node = make(Node::Kind::function, either());
        node->parts = {token.text};
        if (!accept(")")) fail(token.text + "() takes one argument; missing ')'");
        return node;
      }
      if (!accept(")")) fail(token.text + "() takes no arguments");
      if (token.text != "success" && token.text != "failure" && token.text != "always" && token.text != "cancelled")
        fail("unknown function '" + token.text +
             "'; the functions are success(), failure(), always(), cancelled(), fromJSON(text), readJSON(path)");
      auto node = make(Node::Kind::call);
      node->parts = {token.text};
      return node;
    }
    auto node = make(Node::Kind::reference);
    node->parts = {token.text};
    while (accept(".")) {
      if (current().kind != Tok::ident) fail("expected a name after '.'");
      node->parts.push_back(current().text);
      ++pos_;
    }
    return node;
  }

  std::string_view src_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

Reference reference_of(const std::vector<std::string>& parts) {
  Reference ref;
  ref.scope = parts[0];
  for (std::size_t i = 0; i < parts.size(); ++i) ref.text += (i ? "." : "") + parts[i];
  std::size_t rest = 1;
  if (parts.size() > 1) ref.name = parts[1], rest = 2;
  if (ref.scope == "steps" && parts.size() > 3 && parts[2] == "outputs") {
    ref.output = parts[3];
    rest = 4;
  } else if (ref.scope == "steps") {
    rest = parts.size();  // malformed; validation reports it by the empty output
  }
  for (std::size_t i = rest; i < parts.size(); ++i) ref.path.push_back(parts[i]);
  return ref;
}

// env.X or secrets.X, or steps.ID.outputs.X, with a `||` fallback after it:
// an unset variable, or an output the step did not set (it failed or did
// not run), is falsy there. `fallback_follows` says a `||` operand comes
// after `node`.
bool optional_variable(const Node& node, bool fallback_follows) {
  if (!fallback_follows || node.kind != Node::Kind::reference) return false;
  if (node.parts.size() == 4 && node.parts[0] == "steps" && node.parts[2] == "outputs") return true;
  return node.parts.size() == 2 && (node.parts[0] == "env" || node.parts[0] == "secrets");
}

void collect_references(const Node& node, std::vector<Reference>& out, bool fallback_follows = false) {
  if (node.kind == Node::Kind::reference) {
    out.push_back(reference_of(node.parts));
    out.back().optional = optional_variable(node, fallback_follows);
  }
  const bool either = node.kind == Node::Kind::either;
  if (node.left) collect_references(*node.left, out, either);
  if (node.right) collect_references(*node.right, out, either && fallback_follows);
}

// A call under `node` whose function `which` accepts.
template <class Which>
bool calls_function(const Node& node, const Which& which) {
  if (node.kind == Node::Kind::call && which(node.parts[0])) return true;
  return (node.left && calls_function(*node.left, which)) || (node.right && calls_function(*node.right, which));
}

bool calls_status_function(const Node& node) {
  return calls_function(node, [](const std::string&) { return true; });
}

// always(), failure() or cancelled() anywhere under `node`: what only the end of a step answers.
bool asks_how_steps_ended(const Node& node) {
  return calls_function(node, [](const std::string& name) { return name != "success"; });
}

// An `if` without surrounding blanks and without its ${{ }}, when it is wholly inside one.
std::string condition_body(std::string_view condition) {
  while (!condition.empty() && std::isspace(static_cast<unsigned char>(condition.front()))) condition.remove_prefix(1);
  while (!condition.empty() && std::isspace(static_cast<unsigned char>(condition.back()))) condition.remove_suffix(1);
  if (auto inner = config_detail::sole_expression(condition)) return *inner;
  return std::string(condition);
}

bool truthy(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return false;
    case boost::json::kind::bool_: return v.get_bool();
    case boost::json::kind::int64: return v.get_int64() != 0;
    case boost::json::kind::uint64: return v.get_uint64() != 0;
    case boost::json::kind::double_: return v.get_double() != 0.0;
    case boost::json::kind::string: return !v.get_string().empty();
    default: return true;
  }
}

bool strictly_equal(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    return a == b;
  }
  return a == b;
}

class Evaluator {
 public:
  Evaluator(const EvalScope& scope, std::string_view src) : scope_(scope), src_(src) {}

  // `fallback_follows`: a `||` operand comes after this node.
  boost::json::value eval(const Node& node, bool fallback_follows = false) const {
    switch (node.kind) {
      case Node::Kind::literal: return node.literal;
      case Node::Kind::negate: return !truthy(eval(*node.left));
      case Node::Kind::both: {
        auto left = eval(*node.left);
        return truthy(left) ? eval(*node.right) : left;
      }
      case Node::Kind::either: {
        auto left = eval(*node.left, true);
        return truthy(left) ? left : eval(*node.right, fallback_follows);
      }
      case Node::Kind::equal: return strictly_equal(eval(*node.left), eval(*node.right));
      case Node::Kind::not_equal: return !strictly_equal(eval(*node.left), eval(*node.right));
      case Node::Kind::call: return call(node.parts[0]);
      case Node::Kind::function: return function(node.parts[0], eval(*node.left));
      case Node::Kind::reference:
        return lookup(reference_of(node.parts), optional_variable(node, fallback_follows));
    }
    return nullptr;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ExpressionError("in expression " + quote(src_) + ": " + why);
  }

  bool call(const std::string& name) const {
    if (name == "success") return scope_.needs_succeeded && !scope_.run_cancelled;
    if (name == "failure") return !scope_.needs_succeeded;
    if (name == "cancelled") return scope_.run_cancelled;
    return true;  // always()
  }

  // fromJSON(text) parses JSON text; readJSON(path) reads a JSON file (comments
  // and trailing commas allowed), relative to the working directory.
  boost::json::value function(const std::string& name, const boost::json::value& argument) const {
    if (!argument.is_string())
      fail(name + "() needs a string argument, not " +
           (argument.is_null() ? std::string("null") : std::string(boost::json::to_string(argument.kind()))));
    std::string text(argument.get_string());
    std::string source = "the text given to fromJSON()";
    if (name == "readJSON") {
      source = text;
      // Only regular files: /dev/zero or a FIFO would never end, and a huge file would
      // exhaust memory; 16 MiB is far beyond any data file a pipeline reads.
      constexpr std::uintmax_t max_bytes = 16u << 20;
      std::error_code ec;
      auto status = std::filesystem::status(text, ec);
      if (ec || !std::filesystem::exists(status))
        fail("readJSON('" + source + "'): cannot read the file (relative paths are the working directory's)");
      if (!std::filesystem::is_regular_file(status))
        fail("readJSON('" + source + "'): not a regular file");
      auto size = std::filesystem::file_size(text, ec);
      if (!ec && size > max_bytes)
        fail("readJSON('" + source + "'): the file is " + std::to_string(size) + " bytes, more than the " +
             std::to_string(max_bytes) + " accepted");
      std::ifstream in(text, std::ios::binary);
      if (!in) fail("readJSON('" + source + "'): cannot read the file (relative paths are the working directory's)");
      text.clear();
      char buffer[65536];
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes)
          fail("readJSON('" + source + "'): the file grew past the " + std::to_string(max_bytes) + " bytes accepted");
      }
    }
    auto parsed = config_detail::parse_json_with_positions(text, source);
    if (!parsed.ok || !parsed.errors.empty())
      fail(name + "(): " + (parsed.errors.empty() ? std::string("not JSON") : render_text(parsed.errors.front())));
    return std::move(parsed.value);
  }

  // `optional`: an unset env or secret is null instead of an error.
  boost::json::value lookup(const Reference& ref, bool optional = false) const {
    std::optional<boost::json::value> found;
    if (ref.name.empty()) fail("incomplete reference '" + ref.text + "'");
    if (ref.scope == "env") {
      if (scope_.env) {
        if (auto text = scope_.env(ref.name)) found = boost::json::value(*text);
      }
    } else if (ref.scope == "secrets") {
      if (scope_.secrets) {
        if (auto text = scope_.secrets(ref.name)) {
          if (scope_.on_secret) scope_.on_secret(*text);
          found = boost::json::value(*text);
        }
      }
    } else if (ref.scope == "inputs") {
      if (scope_.inputs) found = scope_.inputs(ref.name);
    } else if (ref.scope == "matrix") {
      if (scope_.matrix) found = scope_.matrix(ref.name);
    } else if (ref.scope == "steps") {
      if (ref.output.empty()) fail("'" + ref.text + "' must have the form steps.ID.outputs.NAME");
      if (scope_.step_output) found = scope_.step_output(ref.name, ref.output);
    } else {
      fail("unknown scope '" + ref.scope + "' in '" + ref.text + "'; use env, secrets, inputs, steps or matrix");
    }
    if (!found && optional) return nullptr;
    if (!found) fail("undefined reference '" + ref.text + "'");
    boost::json::value value = std::move(*found);
    for (const auto& field : ref.path) {
      // Quote the field, never the value: it may hold a secret.
      const auto* object = value.if_object();
      const auto* member = object ? object->if_contains(field) : nullptr;
      if (!member) fail("undefined reference '" + ref.text + "': no field '" + field + "'");
      boost::json::value next = *member;
      value = std::move(next);
    }
    return value;
  }

  const EvalScope& scope_;
  std::string_view src_;
};


boost::json::value evaluate_expression(std::string_view expr, const EvalScope& scope) {
  NodePtr root = Parser(expr).parse();
  return Evaluator(scope, expr).eval(*root);
}

boost::json::value evaluate_string(std::string_view text, const EvalScope& scope) {
  if (!config_detail::has_expression(text)) return boost::json::value(text);
  if (auto body = config_detail::sole_expression(text)) return evaluate_expression(*body, scope);
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("${{", i);
    if (open == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string error;
    auto bodies = config_detail::expressions_in_string(text.substr(open), &error);
    if (bodies.empty()) throw ExpressionError(error);
    const auto value = evaluate_expression(bodies[0], scope);
    out += value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
    i = open + bodies[0].size() + 5;
  }
  return boost::json::value(out);
}

void references_in_value(const boost::json::value& templ, std::vector<Reference>& out) {
  if (const auto* text = templ.if_string()) {
    std::string ignored;
    for (const auto& body : config_detail::expressions_in_string(*text, &ignored)) {
      auto found = references_in_expression(body);
      out.insert(out.end(), found.begin(), found.end());
    }
  } else if (const auto* array = templ.if_array()) {
    for (const auto& item : *array) references_in_value(item, out);
  } else if (const auto* object = templ.if_object()) {
    for (const auto& member : *object) references_in_value(member.value(), out);
  }
}

}  // namespace

namespace config_detail {

// The body of a string that is exactly one ${{ }}, if it is one.
std::optional<std::string> sole_expression(std::string_view text) {
  if (!text.starts_with("${{") || !text.ends_with("}}")) return std::nullopt;
  std::string error;
  auto bodies = expressions_in_string(text, &error);
  if (!error.empty() || bodies.size() != 1) return std::nullopt;
  // "${{ a }} and ${{ b }}" also starts and ends right; the single body must span it.
  if (text.size() != bodies[0].size() + 5) return std::nullopt;
  return bodies[0];
}

std::vector<std::string> expressions_in_string(std::string_view text, std::string* error) {
  std::vector<std::string> bodies;
  std::size_t i = 0;
  while ((i = text.find("${{", i)) != std::string_view::npos) {
    std::size_t j = i + 3;
    bool quoted = false;
    // "}}" inside a 'string literal' does not close the expression.
    while (j < text.size() && (quoted || text.substr(j, 2) != "}}")) {
      if (text[j] == '\'') quoted = !quoted;
      ++j;
    }
    if (j >= text.size()) {
      if (error) *error = "'${{' without a closing '}}'";
      return bodies;
    }
    bodies.emplace_back(text.substr(i + 3, j - i - 3));
    i = j + 2;
  }
  return bodies;
}

std::optional<std::string> expression_syntax_error(std::string_view expr) {
  try {
    Parser(expr).parse();
    return std::nullopt;
  } catch (const ExpressionError& e) {
    return std::string(e.what());
  }
}

}  // namespace config_detail

std::vector<Reference> references_in_expression(std::string_view expr) {
  std::vector<Reference> out;
  try {
    collect_references(*Parser(expr).parse(), out);
  } catch (const ExpressionError&) {
    // Validation reports syntax errors; here a bad expression has no references.
  }
  return out;
}

std::vector<Reference> references_in(const boost::json::value& templ) {
  std::vector<Reference> out;
  references_in_value(templ, out);
  return out;
}

boost::json::value evaluate_template(const boost::json::value& templ, const EvalScope& scope) {
  if (const auto* text = templ.if_string()) return evaluate_string(*text, scope);
  if (const auto* array = templ.if_array()) {
    boost::json::array out;
    out.reserve(array->size());
    for (const auto& item : *array) out.push_back(evaluate_template(item, scope));
    return out;
  }
  if (const auto* object = templ.if_object()) {
    boost::json::object out;
    for (const auto& member : *object) out[member.key()] = evaluate_template(member.value(), scope);
    return out;
  }
  return templ;
}

std::vector<Reference> references_in_condition(std::string_view condition) {
  return references_in_expression(condition_body(condition));
}

bool condition_asks_how_steps_ended(std::string_view condition) {
  const std::string body = condition_body(condition);
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return false;
  try {
    return asks_how_steps_ended(*Parser(body).parse());
  } catch (const ExpressionError&) {
    return false;  // validation reports syntax errors
  }
}

bool evaluate_condition(std::string_view expr, const EvalScope& scope) {
  const std::string text = condition_body(expr);
  std::string_view body = text;
  const bool needs_ok = scope.needs_succeeded && !scope.run_cancelled;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return needs_ok;
  NodePtr root = Parser(body).parse();
  // Like CI systems: without a status function, a condition also requires
  // that every needed step succeeded.
  if (!calls_status_function(*root) && !needs_ok) return false;
  return truthy(Evaluator(scope, body).eval(*root));
}

}  // namespace pw
