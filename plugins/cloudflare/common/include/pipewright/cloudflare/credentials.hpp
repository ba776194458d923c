// Local format checks for Cloudflare credentials, run before anything is
// sent, so a key pasted where a token belongs (or the reverse) gets a clear
// message instead of Cloudflare's 6003/6103. Messages never echo the value.
#pragma once

#include <string>
#include <string_view>

namespace pipewright::cloudflare {

// RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool is_token68(std::string_view value);
// cfut_/cfat_ + [A-Za-z0-9_-]{40,}, or a legacy 40-char [A-Za-z0-9_-] token.
bool looks_like_api_token(std::string_view value);
// An account-owned token (cfat_ prefix): no /user endpoints, verified per account.
bool looks_like_account_token(std::string_view value);
// cfk_ + [A-Za-z0-9_-]+, or a legacy 37-char hex key.
bool looks_like_global_key(std::string_view value);
// local@domain.tld without spaces, quotes or angle brackets.
bool looks_like_email(std::string_view value);

enum class CredentialKind { api_token, account_token, global_key, unknown };
CredentialKind classify_credential(std::string_view value);
// "a User API token", "an account-owned API token", "a Global API Key", "an unrecognised value".
std::string_view credential_kind_text(CredentialKind kind);

// Strips spaces, tabs and line ends around a pasted credential.
std::string_view trim(std::string_view value);

// A shape description safe to print: "53 characters, prefix cfut_". Never
// includes any character of the value beyond a known public prefix.
std::string credential_shape(std::string_view value);

// R2's S3 API credentials derived from a User API token, as Cloudflare
// documents: the access key id is the token's id, the secret access key the
// lower-case hex SHA-256 of the token's value.
struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};
S3Credentials s3_credentials_from_token(std::string_view token_id, std::string_view token_value);

}  // namespace pipewright::cloudflare
