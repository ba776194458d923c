// Authentication, in the order of docs/cloudflare-api.md 2.2: header syntax,
// credential lookup, then the token's status/window/IP condition. Route and
// permission checks come later (dispatcher, access.hpp).
#pragma once

#include "iam/principal.hpp"
#include "iam/token_store.hpp"
#include "store/db.hpp"
#include "wire/http_types.hpp"
#include "wire/outcome.hpp"

namespace pw::sandbox {

// `verify_endpoint`: token failures answer 401 1000 "Invalid API Token"
// (GET /user/tokens/verify, /accounts/{a}/tokens/verify) instead of 403 9109.
Outcome<Principal> authenticate(Db& db, TokenLookup& tokens, const Request& req,
                                bool verify_endpoint);

// Whether a known token may be used now from `peer_ip` (status, validity
// window, IP condition); shared by the REST API and the S3 door.
enum class TokenProblem { none, inactive, not_yet_valid, expired, ip_refused };
TokenProblem token_problem(const TokenRecord& t, const std::string& peer_ip);
// The principal a usable token authenticates as; records its use.
Principal token_principal(Db& db, TokenRecord t);

}  // namespace pw::sandbox
