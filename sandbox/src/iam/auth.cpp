#include "iam/auth.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>
#include <pipewright/util/text.hpp>

#include "cidr.hpp"
#include "iam/token_store.hpp"
#include "store/clock.hpp"
#include "wire/envelope.hpp"

namespace pw::sandbox {
namespace json = boost::json;
namespace {

Response header_error(std::int64_t code, std::string message) {
  return fail(
      400, {ErrorItem{6003, "Invalid request headers", {ErrorItem{code, std::move(message), {}}}}});
}

// RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_token68(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) ||
                          std::string_view("-._~+/").find(s[i]) != std::string_view::npos))
    ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

bool all_of(std::string_view s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
}

// Legacy 37-hex keys and the newer cfk_ + 40 + 8-hex form.
bool is_global_key(std::string_view k) {
  if (k.size() == 37 && all_of(k, isxdigit)) return true;
  return k.size() == 52 && k.substr(0, 4) == "cfk_" && all_of(k.substr(4, 40), isalnum) &&
         all_of(k.substr(44), isxdigit);
}

bool is_email(std::string_view e) {
  auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos)
    return false;
  if (e.find('.', at) == std::string_view::npos || e.back() == '.') return false;
  return std::none_of(e.begin(), e.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f ||
           c == '"' || c == ',';
  });
}

bool ip_allowed(const json::object& condition, const std::string& ip) {
  auto* rip = condition.if_contains("request_ip");
  if (!rip || !rip->is_object()) return true;
  auto any = [&](std::string_view key) {
    auto* list = rip->as_object().if_contains(key);
    if (!list || !list->is_array()) return false;
    return std::any_of(list->as_array().begin(), list->as_array().end(), [&](const json::value& c) {
      auto range = parse_cidr(c.as_string());
      return range && cidr_contains(*range, ip);
    });
  };
  auto* in = rip->as_object().if_contains("in");
  bool in_ok = !in || !in->is_array() || in->as_array().empty() || any("in");
  return in_ok && !any("not_in");
}

Outcome<Principal> from_token(Db& db, TokenLookup& tokens, const Request& req,
                              std::string_view value, bool verify) {
  auto invalid = [&] {
    return verify ? fail(401, 1000, "Invalid API Token") : fail(403, 9109, "Invalid access token");
  };
  auto t = tokens.find(db, value);
  if (!t) return invalid();
  switch (token_problem(*t, req.peer_ip)) {
    case TokenProblem::none:
      break;
    case TokenProblem::ip_refused:
      if (!verify)
        return fail(403, 9109, "Cannot use the access token from location: " + req.peer_ip);
      return invalid();
    default:
      return invalid();
  }
  return token_principal(db, std::move(*t));
}

}  // namespace

TokenProblem token_problem(const TokenRecord& t, const std::string& peer_ip) {
  auto now = util::now();
  if (t.status != "active") return TokenProblem::inactive;
  if (t.not_before && *util::parse_rfc3339(*t.not_before) > now) return TokenProblem::not_yet_valid;
  if (t.expires_on && *util::parse_rfc3339(*t.expires_on) <= now) return TokenProblem::expired;
  if (!ip_allowed(t.condition, peer_ip)) return TokenProblem::ip_refused;
  return TokenProblem::none;
}

Principal token_principal(Db& db, TokenRecord t) {
  // last_used_on has minute resolution: a write per request would make
  // every authenticated read a write transaction.
  if (std::string stamp = now_rfc3339(); !t.last_used_on || t.last_used_on->compare(0, 16, stamp, 0, 16) != 0)
    touch_token(db, t.id);
  Principal p;
  p.kind = t.owner.account_owned ? CredentialKind::account_token : CredentialKind::user_token;
  (t.owner.account_owned ? p.account_id : p.user_id) = t.owner.id;
  p.token_id = t.id;
  p.status = effective_status(t);
  p.not_before = t.not_before.value_or("");
  p.expires_on = t.expires_on.value_or("");
  p.policies = std::move(t.policies);
  return p;
}

Outcome<Principal> authenticate(Db& db, TokenLookup& tokens, const Request& req,
                                bool verify_endpoint) {
  auto authorization = req.header("Authorization");
  auto key = req.header("X-Auth-Key");
  auto email = req.header("X-Auth-Email");
  if (!authorization && !key && !email)
    return fail(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");

  // Bearer wins when both schemes are sent (the TS SDK sends all it has).
  if (authorization) {
    std::string_view h = *authorization;
    constexpr std::string_view scheme = "bearer ";
    bool bearer = h.size() > scheme.size() && util::iequals(h.substr(0, scheme.size()), scheme);
    if (!bearer || !is_token68(h.substr(scheme.size())))
      return header_error(6111, "Invalid format for Authorization header");
    return from_token(db, tokens, req, h.substr(scheme.size()), verify_endpoint);
  }
  if (key && !is_global_key(*key))
    return header_error(6103, "Invalid format for X-Auth-Key header");
  if (email && !is_email(*email))
    return header_error(6102, "Invalid format for X-Auth-Email header");
  if (!email) return header_error(6100, "Missing X-Auth-Email header");
  if (!key) return header_error(6101, "Missing X-Auth-Key header");

  auto s = db.query("SELECT id, global_key FROM users WHERE email=?1", *email);
  if (!s.step() || s.text(1) != *key) return fail(403, 9103, "Unknown X-Auth-Key or X-Auth-Email");
  Principal p;
  p.kind = CredentialKind::global_key;
  p.user_id = s.text(0);
  return p;
}

}  // namespace pw::sandbox
