#include <pipewright/cloudflare/credentials.hpp>
#include <pipewright/util/sigv4.hpp>

namespace pipewright::cloudflare {

S3Credentials s3_credentials_from_token(std::string_view token_id, std::string_view token_value) {
  return {std::string(token_id), pw::sigv4::sha256_hex(token_value)};
}

namespace {

bool alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool token_char(char c) { return alnum(c) || c == '-' || c == '_'; }
bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_of(std::string_view text, bool (*pred)(char)) {
  for (char c : text)
    if (!pred(c)) return false;
  return true;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool is_token68(std::string_view value) {
  std::size_t i = 0;
  while (i < value.size() && (alnum(value[i]) || value[i] == '-' || value[i] == '.' || value[i] == '_' ||
                              value[i] == '~' || value[i] == '+' || value[i] == '/'))
    ++i;
  if (i == 0) return false;
  while (i < value.size() && value[i] == '=') ++i;
  return i == value.size();
}

bool looks_like_api_token(std::string_view value) {
  for (std::string_view prefix : {"cfut_", "cfat_"}) {
    if (starts_with(value, prefix)) {
      auto rest = value.substr(prefix.size());
      return rest.size() >= 40 && all_of(rest, token_char);
    }
  }
  return value.size() == 40 && all_of(value, token_char);
}

bool looks_like_account_token(std::string_view value) {
  return starts_with(value, "cfat_") && looks_like_api_token(value);
}

bool looks_like_global_key(std::string_view value) {
  if (starts_with(value, "cfk_")) {
    auto rest = value.substr(4);
    return rest.size() >= 37 && all_of(rest, token_char);
  }
  return value.size() == 37 && all_of(value, hex);
}

bool looks_like_email(std::string_view value) {
  auto at = value.find('@');
  if (at == std::string_view::npos || at == 0 || value.find('@', at + 1) != std::string_view::npos) return false;
  auto domain = value.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  if (domain.front() == '.' || domain.find("..") != std::string_view::npos) return false;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == ',' || c == ';' || c == '(' || c == ')' ||
        c == '\\' || c == '[' || c == ']' || c == 0x7f)
      return false;
  }
  return value.size() <= 254;
}

CredentialKind classify_credential(std::string_view value) {
  if (looks_like_account_token(value)) return CredentialKind::account_token;
  if (looks_like_api_token(value)) return CredentialKind::api_token;
  if (looks_like_global_key(value)) return CredentialKind::global_key;
  return CredentialKind::unknown;
}

std::string_view credential_kind_text(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::api_token: return "a User API token";
    case CredentialKind::account_token: return "an account-owned API token";
    case CredentialKind::global_key: return "a Global API Key";
    case CredentialKind::unknown: return "an unrecognised value";
  }
  return "an unrecognised value";
}

std::string_view trim(std::string_view value) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!value.empty() && blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && blank(value.back())) value.remove_suffix(1);
  return value;
}

std::string credential_shape(std::string_view value) {
  std::string out = std::to_string(value.size()) + " characters";
  for (std::string_view prefix : {"cfut_", "cfat_", "cfk_"})
    if (starts_with(value, prefix)) out += ", prefix " + std::string(prefix);
  if (!value.empty() && !is_token68(value)) out += ", with characters a credential cannot hold";
  return out;
}

}  // namespace pipewright::cloudflare
