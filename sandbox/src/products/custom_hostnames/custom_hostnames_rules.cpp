#include "custom_hostnames_rules.hpp"

#include "store/ids.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <pipewright/util/text.hpp>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

bool ends_with_label(std::string_view host, std::string_view suffix) {
  if (host == suffix) return true;
  return host.size() > suffix.size() && host.ends_with(suffix) &&
         host[host.size() - suffix.size() - 1] == '.';
}

bool is_ip_literal(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;  // IPv6
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

std::string_view string_or(const json::object& o, std::string_view key, std::string_view fallback) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return v->get_string();
  return fallback;
}

json::array validation_records(std::string_view method, std::string_view hostname) {
  json::array records;
  const std::string token = random_alnum(43);
  if (method == "txt") {
    records.push_back(json::object{{"txt_name", "_acme-challenge." + std::string(hostname)},
                                   {"txt_value", token}});
  } else if (method == "http") {
    records.push_back(json::object{
        {"http_url", "http://" + std::string(hostname) + "/.well-known/acme-challenge/" + token},
        {"http_body", token + "." + random_alnum(43)}});
  } else if (method == "email") {
    records.push_back(json::object{
        {"emails", json::array{"administrator@" + std::string(hostname), "webmaster@" + std::string(hostname)}}});
  }
  return records;
}

}  // namespace

std::optional<CustomHostnameRefusal> check_custom_hostname(std::string_view hostname) {
  if (std::any_of(hostname.begin(), hostname.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return CustomHostnameRefusal{1408, "Hostname must be ASCII; send internationalised names in punycode (xn--)."};
  std::string host = util::lower(hostname);
  if (!host.empty() && host.back() == '.') host.pop_back();
  const auto invalid = [&](std::string why) {
    return CustomHostnameRefusal{1407, "Invalid custom hostname '" + std::string(hostname) + "': " + why};
  };
  if (host.empty()) return invalid("it is empty");
  if (host.size() >= 256) return invalid("it is 256 characters or longer");
  if (is_ip_literal(host)) return invalid("IP addresses cannot be custom hostnames");
  std::size_t labels = 0;
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    std::string_view label = std::string_view(host).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool wildcard = labels == 0 && label == "*";
    if (!wildcard) {
      if (label.empty() || label.size() > 63) return invalid("every label must be 1 to 63 characters");
      if (label.front() == '-' || label.back() == '-') return invalid("labels cannot start or end with '-'");
      if (!std::all_of(label.begin(), label.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
          }))
        return invalid("only letters, digits, '-' and '_' are allowed");
    }
    ++labels;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return invalid("it needs at least two labels");
  const std::string tld = host.substr(host.rfind('.') + 1);
  static constexpr std::array<std::string_view, 4> reserved{"test", "example", "invalid", "localhost"};
  if (std::find(reserved.begin(), reserved.end(), tld) != reserved.end())
    return CustomHostnameRefusal{1409, "The hostname '" + std::string(hostname) + "' uses the reserved top-level domain ." + tld + "."};
  for (std::string_view blocked : {"example.com", "example.net", "example.org"})
    if (ends_with_label(host, blocked))
      return CustomHostnameRefusal{1411, "Hostnames under " + std::string(blocked) + " cannot be custom hostnames."};
  return std::nullopt;
}

std::optional<CustomHostnameRefusal> check_custom_hostname_ssl(const json::value* ssl) {
  if (ssl == nullptr || ssl->is_null()) return std::nullopt;
  if (!ssl->is_object()) return CustomHostnameRefusal{1434, "ssl must be an object."};
  const auto& o = ssl->get_object();
  if (auto* m = o.if_contains("method")) {
    if (!m->is_string() || (m->get_string() != "http" && m->get_string() != "txt" && m->get_string() != "email"))
      return CustomHostnameRefusal{1432, "Invalid SSL method; use one of http, txt, email."};
  }
  if (auto* t = o.if_contains("type")) {
    if (!t->is_string() || t->get_string() != "dv")
      return CustomHostnameRefusal{1433, "Invalid SSL type; only dv is supported."};
  }
  if (auto* b = o.if_contains("bundle_method")) {
    if (!b->is_string() || (b->get_string() != "ubiquitous" && b->get_string() != "optimal" && b->get_string() != "force"))
      return CustomHostnameRefusal{1434, "Invalid SSL attribute bundle_method; use ubiquitous, optimal or force."};
  }
  if (auto* ca = o.if_contains("certificate_authority")) {
    static constexpr std::array<std::string_view, 4> cas{"google", "lets_encrypt", "ssl_com", "digicert"};
    if (!ca->is_string() || std::find(cas.begin(), cas.end(), std::string_view(ca->get_string())) == cas.end())
      return CustomHostnameRefusal{1434, "Invalid SSL attribute certificate_authority."};
  }
  if (auto* s = o.if_contains("settings"); s && !s->is_object())
    return CustomHostnameRefusal{1434, "Invalid SSL attribute settings; it must be an object."};
  if (auto* w = o.if_contains("wildcard"); w && !w->is_bool())
    return CustomHostnameRefusal{1434, "Invalid SSL attribute wildcard; it must be a boolean."};
  return std::nullopt;
}

namespace {

json::object make_ssl(const json::object* request, std::string_view hostname, std::string ssl_id) {
  json::object ssl;
  const json::object empty;
  const json::object& r = request ? *request : empty;
  const std::string method(string_or(r, "method", "http"));
  ssl["id"] = std::move(ssl_id);
  ssl["type"] = string_or(r, "type", "dv");
  ssl["method"] = method;
  ssl["status"] = "initializing";
  ssl["settings"] = r.contains("settings") ? r.at("settings") : json::value(json::object{});
  ssl["bundle_method"] = string_or(r, "bundle_method", "ubiquitous");
  ssl["wildcard"] = r.contains("wildcard") ? r.at("wildcard") : json::value(false);
  ssl["certificate_authority"] = string_or(r, "certificate_authority", "google");
  ssl["validation_records"] = validation_records(method, hostname);
  ssl["validation_errors"] = json::array{};
  return ssl;
}

}  // namespace

json::object new_custom_hostname(std::string id, std::string hostname, const json::value* ssl_request,
                                 const json::value* custom_metadata, std::string created_at) {
  const std::string verification = random_uuid();
  json::object ch;
  ch["id"] = id;
  ch["hostname"] = hostname;
  ch["status"] = "pending";
  ch["ssl"] = make_ssl(ssl_request && ssl_request->is_object() ? &ssl_request->get_object() : nullptr,
                       hostname, random_uuid());
  ch["ownership_verification"] = json::object{
      {"type", "txt"}, {"name", "_cf-custom-hostname." + hostname}, {"value", verification}};
  ch["ownership_verification_http"] = json::object{
      {"http_url", "http://" + hostname + "/.well-known/cf-custom-hostname-challenge/" + id},
      {"http_body", verification}};
  ch["verification_errors"] = json::array{"custom hostname does not CNAME to this zone."};
  ch["custom_metadata"] = custom_metadata && custom_metadata->is_object() ? *custom_metadata : json::value(json::object{});
  ch["created_at"] = std::move(created_at);
  return ch;
}

void patch_custom_hostname(json::object& stored, const json::object& patch) {
  if (auto* ssl = patch.if_contains("ssl"); ssl && ssl->is_object()) {
    const bool active = stored["status"] == "active";
    auto& current = stored["ssl"].as_object();
    for (const auto& [key, value] : ssl->get_object()) current[key] = value;
    if (ssl->get_object().contains("method") && !active)
      current["validation_records"] =
          validation_records(current["method"].as_string(), stored["hostname"].as_string());
  }
  for (std::string_view key : {"custom_metadata", "custom_origin_server", "custom_origin_sni"})
    if (auto* v = patch.if_contains(key)) stored[key] = *v;
}

void activate_custom_hostname(json::object& stored) {
  stored["status"] = "active";
  auto& ssl = stored["ssl"].as_object();
  ssl["status"] = "active";
  ssl["validation_records"] = json::array{};
  ssl["validation_errors"] = json::array{};
  stored["verification_errors"] = json::array{};
  stored["ownership_verification"].as_object()["value"] = "";
  stored["ownership_verification"].as_object()["name"] = "";
  stored["ownership_verification_http"].as_object()["http_url"] = "";
  stored["ownership_verification_http"].as_object()["http_body"] = "";
}

}  // namespace pw::sandbox
