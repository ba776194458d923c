// cloudflare.token.create: creates a User API token with account, zone and
// user permission groups, using the step's auth (the Global API Key, or a
// token holding API Tokens Write).
//
// The rule this file keeps: a run never leaves two tokens behind. The
// create POST is sent once (not safe to retry); when its outcome is unknown
// (connection lost, 5xx), the token list is read again and a token with this
// name that was not there before is adopted and rolled for a value. Only when
// the list proves that nothing was created is the POST sent again.
//
// if_exists: keep leaves an existing token alone when the caller still holds
// a value that authenticates as it (`current_value`, e.g. from .env), so an
// unchanged re-run changes no credential; otherwise it rolls, like roll.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/credentials.hpp>
#include <pipewright/cloudflare/guide.hpp>
#include <pipewright/cloudflare/permissions.hpp>
#include <pipewright/cloudflare/policies.hpp>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;
using pipewright::Failure;

namespace {

constexpr int max_create_attempts = 3;

[[noreturn]] void fail_without_token_permission(const cf::ApiResult& r, std::string_view what) {
  throw Failure("the step's credential may not " + std::string(what) + ": it needs \"API Tokens Write\"",
                "Cloudflare answered " + cf::describe(r) + ". " + cf::api_tokens_write_advice());
}

// "1.2.3.4/32" or an IPv6 CIDR: address characters, one '/', a prefix length.
bool looks_like_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) return false;
  const auto address = text.substr(0, slash);
  const auto prefix = text.substr(slash + 1);
  bool v6 = address.find(':') != std::string_view::npos;
  for (char c : address) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || (v6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (!ok) return false;
  }
  if (prefix.size() > 3) return false;
  int bits = 0;
  for (char c : prefix) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + (c - '0');
  }
  return bits <= (v6 ? 128 : 32);
}

json::array cidr_list(const json::object& with, std::string_view key) {
  json::array out;
  const auto* list = cf::array_at(with, key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    if (!v.is_string() || !looks_like_cidr(v.as_string()))
      throw Failure("'" + (v.is_string() ? std::string(v.as_string()) : json::serialize(v)) +
                        "' is not an IP range in CIDR notation",
                    "write an address with its prefix length, e.g. 192.0.2.0/24 or 2001:db8::/32",
                    "/" + std::string(key) + "/" + std::to_string(i));
    out.push_back(v);
  }
  return out;
}

struct TokenSummary {
  std::string id;
  std::string name;
  std::string expires_on;
  std::string status;
};

TokenSummary summarise(const json::value& token) {
  TokenSummary s;
  if (!token.is_object()) return s;
  const auto& o = token.as_object();
  s.id = cf::string_at(o, "id");
  s.name = cf::string_at(o, "name");
  s.expires_on = cf::string_at(o, "expires_on");
  s.status = cf::string_at(o, "status");
  return s;
}

class TokenCreate {
 public:
  explicit TokenCreate(pipewright::Call& call)
      : call_(call), api_(call), with_(pipewright::with_object(call)) {}

  void run() {
    name_ = cf::string_at(with_, "name");
    if (name_.empty() || name_.size() > 120)
      throw Failure("the token name must have 1 to 120 characters", {}, "/name");
    targets_.account_id = cf::string_at(with_, "account_id");
    targets_.zone_id = cf::string_at(with_, "zone_id");
    targets_.user_id = cf::string_at(with_, "user_id");
    if_exists_ = cf::string_at(with_, "if_exists");
    if (if_exists_.empty()) if_exists_ = "fail";
    // Masked whatever the mode: the value may not have come from secrets.
    held_ = std::string(cf::trim(cf::string_at(with_, "current_value")));
    if (!held_.empty()) call_.add_secret(held_);

    // Before any request: the one input error that needs no answer.
    if (const auto* list = cf::array_at(with_, "permissions"); list && list->empty())
      throw Failure("permissions is empty", "list at least one permission group", "/permissions");
    // The permission groups, the first page of tokens and (for keep) what
    // the held value authenticates as are independent reads: one round
    // trip for all.
    cf::Request groups_read, tokens_read;
    groups_read.path = "/user/tokens/permission_groups";
    tokens_read.path = cf::with_query("/user/tokens", {{"page", "1"}, {"per_page", "50"}});
    std::vector<cf::Request> first_reads{groups_read, tokens_read};
    if (if_exists_ == "keep") prepare_keep_check(first_reads);
    auto reads = api_.batch(first_reads, static_cast<int>(first_reads.size()));
    if (reads.size() > 2) held_check_ = std::move(reads[2]);
    const auto groups = resolve_groups(reads[0]);
    const json::object body = request_body(groups);

    json::array before;
    const auto listed = api_.list_pages("/user/tokens", before, 50, 200, std::move(reads[1]));
    if (!listed.ok()) {
      if (listed.forbidden()) fail_without_token_permission(listed, "list or create API tokens");
      throw Failure("could not list the existing API tokens", cf::describe(listed));
    }
    std::set<std::string> known_ids;
    std::vector<TokenSummary> same_name;
    for (const auto& t : before) {
      auto s = summarise(t);
      known_ids.insert(s.id);
      if (s.name == name_) same_name.push_back(s);
    }
    if (!same_name.empty() && if_exists_ != "new") {
      if (if_exists_ == "keep" && keep_current(same_name)) return;
      if (if_exists_ == "roll" || if_exists_ == "keep") return roll_existing(same_name);
      std::string ids;
      for (const auto& s : same_name) ids += (ids.empty() ? "" : ", ") + s.id;
      throw Failure("a token named '" + name_ + "' already exists (id " + ids + ")",
                    "set if_exists to \"keep\" to keep it when the value you hold still works, to \"roll\" to "
                    "give it a new value, to \"new\" to create another token with the same name, or delete it "
                    "under My Profile → API Tokens",
                    "/name");
    }
    create(body, known_ids, groups.size());
  }

 private:
  // Names -> ids and scopes: the API's list first, the built-in catalog when
  // the list cannot be read for a reason other than a missing permission.
  // `r` is the answer of GET /user/tokens/permission_groups.
  std::vector<cf::ResolvedGroup> resolve_groups(const cf::ApiResult& r) {
    std::vector<std::string> names;
    if (const auto* list = cf::array_at(with_, "permissions")) {
      for (const auto& v : *list) names.emplace_back(v.is_string() ? std::string(v.as_string()) : json::serialize(v));
    } else {
      names = cf::required_group_names();
    }

    std::map<std::string, cf::ResolvedGroup> from_api;
    if (r.ok() && r.result.is_array()) {
      for (const auto& g : r.result.as_array()) {
        if (!g.is_object()) continue;
        const auto& o = g.as_object();
        cf::ResolvedGroup resolved{cf::string_at(o, "name"), cf::string_at(o, "id"), cf::Scope::account};
        bool scoped = false;
        if (const auto* scopes = cf::array_at(o, "scopes"))
          for (const auto& s : *scopes)
            if (s.is_string() && cf::parse_scope(s.as_string(), resolved.scope)) {
              scoped = true;
              break;
            }
        if (!scoped)
          if (const auto* known = cf::find_group_by_id(resolved.id)) resolved.scope = known->scope;
        if (!resolved.id.empty()) from_api.emplace(cf::group_name_key(resolved.name), std::move(resolved));
      }
    } else if (r.forbidden()) {
      fail_without_token_permission(r, "create API tokens");
    } else {
      call_.warn("could not read the permission groups (" + cf::describe(r) + "); using pipewright's built-in table");
    }

    std::vector<cf::ResolvedGroup> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string pointer = "/permissions/" + std::to_string(i);
      if (auto it = from_api.find(cf::group_name_key(names[i])); it != from_api.end()) {
        out.push_back(it->second);
      } else if (const auto* known = cf::find_group(names[i]); known) {
        out.push_back({std::string(known->name), std::string(known->id), known->scope});
      } else {
        std::string hint;
        for (const auto& n : cf::closest_group_names(names[i])) hint += (hint.empty() ? "" : ", ") + n;
        throw Failure("unknown permission group '" + names[i] + "'",
                      hint.empty() ? "see cloudflare.token.guide for the groups pipewright uses"
                                   : "did you mean: " + hint + "?",
                      pointer);
      }
      const auto& g = out.back();
      if ((g.scope == cf::Scope::account || g.scope == cf::Scope::r2_bucket) && targets_.account_id.empty())
        throw Failure("'" + g.name + "' is an account permission, so account_id is needed",
                      "set account_id (CLOUDFLARE_ACCOUNT_ID)", pointer);
      if (g.scope == cf::Scope::zone && targets_.zone_id.empty())
        throw Failure("'" + g.name + "' is a zone permission, so zone_id is needed",
                      "set zone_id (CLOUDFLARE_ZONE_ID)", pointer);
      if (g.scope == cf::Scope::user && targets_.user_id.empty()) targets_.user_id = current_user_id();
    }
    return out;
  }

  std::string current_user_id() {
    const auto r = api_.get("/user");
    if (!r.ok() || !r.result.is_object())
      throw Failure("could not read the user id that user permission groups are granted on",
                    "GET /user answered " + cf::describe(r) + "; set user_id in the step's with", "/user_id");
    return cf::string_at(r.result.as_object(), "id");
  }

  json::object request_body(const std::vector<cf::ResolvedGroup>& groups) const {
    json::object body;
    body["name"] = name_;
    try {
      body["policies"] = cf::build_policies(groups, targets_);
    } catch (const std::invalid_argument& e) {
      throw Failure("cannot build the token's policies", e.what());
    }
    for (const char* key : {"not_before", "expires_on"})
      if (auto v = cf::string_at(with_, key); !v.empty()) body[key] = v;
    auto allow = cidr_list(with_, "allow_ips");
    auto deny = cidr_list(with_, "deny_ips");
    if (!allow.empty() || !deny.empty()) {
      json::object ip;
      if (!allow.empty()) ip["in"] = std::move(allow);
      if (!deny.empty()) ip["not_in"] = std::move(deny);
      json::object condition;
      condition["request_ip"] = std::move(ip);
      body["condition"] = std::move(condition);
    }
    return body;
  }

  void create(const json::object& body, std::set<std::string>& known_ids, std::size_t group_count) {
    for (int attempt = 1; attempt <= max_create_attempts; ++attempt) {
      call_.throw_if_cancelled();
      const auto r = api_.send("POST", "/user/tokens", body, false);
      if (r.ok() && r.result.is_object()) {
        const auto& token = r.result.as_object();
        const std::string value = cf::string_at(token, "value");
        if (value.empty()) throw Failure("Cloudflare created the token but sent no value", cf::describe(r));
        publish(summarise(r.result), value, "created");
        call_.info("created API token '" + name_ + "' (id " + cf::string_at(token, "id") + ") with " +
                   std::to_string(group_count) + " permission groups");
        return;
      }
      if (r.forbidden()) fail_without_token_permission(r, "create API tokens");
      const bool outcome_unknown = r.unknown_outcome() || r.status >= 500 || r.status == 0;
      if (!outcome_unknown)
        throw Failure("Cloudflare refused to create the token '" + name_ + "'", cf::describe(r));

      // It may have been created: look before sending anything again.
      call_.warn("the create request for '" + name_ + "' ended without a clear answer (" + cf::describe(r) +
                 "); checking whether the token exists before going on");
      const auto appeared = new_tokens_named(known_ids);
      if (appeared.size() == 1) return adopt(appeared.front());
      if (appeared.size() > 1) {
        std::string ids;
        for (const auto& s : appeared) ids += (ids.empty() ? "" : ", ") + s.id;
        throw Failure("several tokens named '" + name_ + "' appeared while creating one (ids " + ids + ")",
                      "keep one and delete the others under My Profile → API Tokens, then run again with "
                      "if_exists: roll");
      }
      if (attempt == max_create_attempts)
        throw Failure("could not create the token '" + name_ + "'",
                      "the last attempt ended with " + cf::describe(r) + "; no token with that name exists");
      std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    }
  }

  // Tokens named name_ whose ids were not in `known_ids`. Throws when the
  // list cannot be read, because then the outcome stays unknown.
  std::vector<TokenSummary> new_tokens_named(const std::set<std::string>& known_ids) {
    cf::ApiResult listed;
    json::array tokens;
    for (int attempt = 1; attempt <= 3; ++attempt) {
      call_.throw_if_cancelled();
      tokens.clear();
      listed = api_.list_pages("/user/tokens", tokens, 50);
      if (listed.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    }
    if (!listed.ok())
      throw Failure("the token '" + name_ + "' may or may not have been created, and the token list cannot be read",
                    cf::describe(listed) + ". Look for it under My Profile → API Tokens before running again; "
                                          "if_exists: roll takes it over instead of creating a second one");
    std::vector<TokenSummary> out;
    for (const auto& t : tokens) {
      auto s = summarise(t);
      if (s.name == name_ && !known_ids.contains(s.id)) out.push_back(std::move(s));
    }
    return out;
  }

  void adopt(const TokenSummary& token) {
    call_.warn("the token '" + name_ + "' was created (id " + token.id +
               ") but its value was lost with the connection; rolling it for a new value instead of creating "
               "a second token");
    publish(token, roll(token.id), "adopted");
  }

  // For keep: when the held value can be checked, adds GET
  // /user/tokens/verify sent with it (not with the step's credential) to
  // `reads`; otherwise notes why it cannot be kept.
  void prepare_keep_check(std::vector<cf::Request>& reads) {
    if (held_.empty()) {
      keep_refusal_ = "no current value was given for it";
    } else if (!cf::looks_like_api_token(held_)) {
      keep_refusal_ = "the current value is not shaped like an API token";
    } else if (call_.host_abi_minor() < 2) {
      keep_refusal_ = "this pipewright host cannot send a request with another credential (ABI 1.2 is needed)";
    } else {
      cf::Request verify;
      verify.path = "/user/tokens/verify";
      verify.headers["Authorization"] = "Bearer " + held_;
      verify.step_auth = false;
      reads.push_back(std::move(verify));
    }
  }

  // True when the held value authenticates as the one token named name_
  // and that token is active: then it is published as it is. Otherwise
  // says why it will be rolled, and returns false.
  bool keep_current(const std::vector<TokenSummary>& same_name) {
    const auto rolling = [&](const std::string& why) {
      call_.info("not keeping the API token '" + name_ + "': " + why + "; rolling it for a new value");
      return false;
    };
    if (same_name.size() > 1) return false;  // roll_existing says which ones
    if (!keep_refusal_.empty()) return rolling(keep_refusal_);
    const auto& r = held_check_;
    if (!r.ok() || !r.result.is_object())
      return rolling("Cloudflare refused the current value (" + cf::describe(r) + ")");
    const auto& token = same_name.front();
    const auto verified = summarise(r.result);
    if (verified.id != token.id)
      return rolling("the current value belongs to another token (id " + verified.id + ")");
    if (verified.status != "active") return rolling("it is " + verified.status);
    TokenSummary kept = token;
    if (kept.expires_on.empty()) kept.expires_on = verified.expires_on;
    publish(kept, held_, "kept");
    call_.info("kept the existing API token '" + name_ + "' (id " + token.id + "): the current value still works");
    return true;
  }

  void roll_existing(const std::vector<TokenSummary>& same_name) {
    if (same_name.size() > 1) {
      std::string ids;
      for (const auto& s : same_name) ids += (ids.empty() ? "" : ", ") + s.id;
      throw Failure(std::to_string(same_name.size()) + " tokens are named '" + name_ + "' (ids " + ids +
                        "); cannot tell which one to roll",
                    "delete the extra ones under My Profile → API Tokens, or choose another name", "/name");
    }
    const auto& token = same_name.front();
    publish(token, roll(token.id), "rolled");
    call_.info("rolled the existing API token '" + name_ + "' (id " + token.id +
               "): it has a new value and the old one stopped working");
  }

  std::string roll(const std::string& id) {
    cf::Request request;
    request.method = "PUT";
    request.path = cf::api_path({"user", "tokens", id, "value"});
    request.json = json::object();
    request.safe_to_retry = true;  // each roll replaces the value; the last answer is the live one
    const auto r = api_.request(request);
    if (r.ok() && r.result.is_string() && !r.result.as_string().empty()) return std::string(r.result.as_string());
    if (r.forbidden()) fail_without_token_permission(r, "roll API tokens");
    throw Failure("could not roll the token '" + name_ + "' (id " + id + ") for a new value", cf::describe(r));
  }

  // The value goes out first, marked secret, so that the host masks it from
  // here on; nothing logged by this plugin contains it.
  void publish(const TokenSummary& token, const std::string& value, std::string_view action) {
    pipewright::set_output(call_, "value", json::value(value), true);
    pipewright::set_output(call_, "id", json::value(token.id));
    pipewright::set_output(call_, "name", json::value(token.name.empty() ? name_ : token.name));
    pipewright::set_output(call_, "expires_on",
                           token.expires_on.empty() ? json::value(nullptr) : json::value(token.expires_on));
    pipewright::set_output(call_, "action", json::value(action));
  }

  pipewright::Call& call_;
  cf::Client api_;
  json::object with_;
  std::string name_;
  std::string if_exists_;
  cf::PolicyTargets targets_;
  std::string held_;          // current_value, for keep
  std::string keep_refusal_;  // why held_ cannot be checked; empty when it was sent
  cf::ApiResult held_check_;  // the answer of GET /user/tokens/verify with held_
};

}  // namespace

struct TokenCreatePlugin {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.token.create";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Creates a Cloudflare User API token with account and zone permissions, never twice on a retry";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "additionalProperties": false,
    "required": ["name"],
    "properties": {
      "name": {"type": "string", "minLength": 1, "maxLength": 120},
      "account_id": {"type": "string", "description": "account the account-scoped groups are granted on"},
      "zone_id": {"type": "string", "description": "zone the zone-scoped groups are granted on"},
      "user_id": {"type": "string", "description": "user the user-scoped groups are granted on (default: GET /user)"},
      "permissions": {"type": "array", "items": {"type": "string"},
                      "description": "permission group names; default: the eight pipewright needs"},
      "expires_on": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"},
      "not_before": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"},
      "allow_ips": {"type": "array", "items": {"type": "string"}, "description": "CIDR ranges the token may be used from"},
      "deny_ips": {"type": "array", "items": {"type": "string"}, "description": "CIDR ranges the token may not be used from"},
      "if_exists": {"enum": ["fail", "keep", "roll", "new"], "default": "fail",
                    "description": "when a token with this name exists: fail, keep it (when current_value still works; else roll), roll its value, or create another"},
      "current_value": {"type": "string",
                        "description": "the value held for the token (e.g. CLOUDFLARE_API_TOKEN from .env), for if_exists keep; pass it from secrets so it stays masked"}
    }
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "id": {"type": "string"},
      "name": {"type": "string"},
      "value": {"type": "string", "x-secret": true},
      "expires_on": {"type": ["string", "null"]},
      "action": {"enum": ["created", "kept", "rolled", "adopted"]}
    }
  })json";

  void run(pipewright::Call& call) { TokenCreate(call).run(); }
};

PIPEWRIGHT_PLUGIN(TokenCreatePlugin)
