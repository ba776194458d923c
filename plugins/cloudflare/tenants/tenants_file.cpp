#include "tenants_file.hpp"

#include <pipewright/util/edit_distance.hpp>
#include <pipewright/util/json_source.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>

namespace pipewright::cloudflare::tenants {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* example_entry =
    R"(each entry is {"tenant": "acme", "domain": "shop.acme-bakery.net", "site": "sites/acme"})";

std::string kind_phrase(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::string: return "a string";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    default: return "a number";
  }
}

class Checker {
 public:
  Checker(const pw::util::ParsedJson& parsed, const fs::path& file, TenantsFile& out)
      : parsed_(parsed), file_(file), out_(out) {}

  void run() {
    const json::value& root = parsed_.value;
    if (!root.is_array()) {
      problem("", "a tenants file must hold a JSON array of tenants, not " + kind_phrase(root), example_entry);
      return;
    }
    if (root.get_array().empty()) {
      problem("", "the tenants file lists no tenants", example_entry);
      return;
    }
    for (std::size_t i = 0; i < root.get_array().size(); ++i) entry(root.get_array()[i], i);
  }

 private:
  pw::SourceLocation at(const std::string& pointer, bool key = false) const {
    const auto& map = key ? parsed_.key_positions : parsed_.positions;
    pw::SourceLocation where{file_.string(), 1, 1};
    if (auto it = map.find(pointer); it != map.end())
      where = it->second;
    else if (auto it2 = parsed_.positions.find(pointer); it2 != parsed_.positions.end())
      where = it2->second;
    where.file = file_.string();
    return where;
  }

  void problem(const std::string& pointer, std::string summary, std::string hint = {}, bool key = false) {
    out_.problems.push_back({pw::Severity::error, std::move(summary), {}, {at(pointer, key), {}}, std::move(hint)});
  }

  std::string location_text(const std::string& pointer) const {
    auto where = at(pointer);
    return std::to_string(where.line) + ":" + std::to_string(where.column);
  }

  void entry(const json::value& v, std::size_t index) {
    const std::string pointer = pw::util::pointer_append("", index);
    const std::string which = "tenant entry " + std::to_string(index + 1);
    const auto* fields = v.if_object();
    if (!fields) {
      problem(pointer, which + " must be an object, not " + kind_phrase(v), example_entry);
      return;
    }
    static const std::vector<std::string> allowed = {"tenant", "domain", "site"};
    bool usable = true;
    for (const auto& member : *fields) {
      const std::string key(member.key());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string guess = pw::util::closest_match(key, allowed);
      problem(pw::util::pointer_append(pointer, key), "unknown key \"" + key + "\" in " + which,
              guess.empty() ? "allowed keys: tenant, domain, site" : "did you mean \"" + guess + "\"?", true);
    }
    std::map<std::string, std::string> text;
    for (const auto& key : allowed) {
      const json::value* member = fields->if_contains(key);
      if (!member) {
        problem(pointer, which + " has no \"" + key + "\"", example_entry);
        usable = false;
      } else if (!member->is_string()) {
        problem(pw::util::pointer_append(pointer, key),
                "\"" + key + "\" of " + which + " must be a string, not " + kind_phrase(*member));
        usable = false;
      } else {
        text[key] = std::string(member->get_string());
      }
    }
    Tenant t;
    if (text.contains("tenant")) {
      t.tenant = text["tenant"];
      const std::string p = pw::util::pointer_append(pointer, "tenant");
      if (auto why = tenant_id_problem(t.tenant)) {
        problem(p, "tenant id \"" + t.tenant + "\" " + *why,
                "use 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit");
        usable = false;
      } else if (auto [it, fresh] = tenant_ids_.emplace(t.tenant, p); !fresh) {
        problem(p, "tenant \"" + t.tenant + "\" is listed twice (first at " + location_text(it->second) + ")",
                "each tenant appears once; merge or rename the entries");
        usable = false;
      }
    }
    if (text.contains("domain")) {
      t.domain = text["domain"];
      const std::string p = pw::util::pointer_append(pointer, "domain");
      if (auto why = domain_problem(t.domain)) {
        problem(p, "domain \"" + t.domain + "\" " + *why, "write a hostname such as shop.acme-bakery.net");
        usable = false;
      } else if (auto [it, fresh] = domains_.emplace(t.domain, p); !fresh) {
        problem(p, "domain \"" + t.domain + "\" is listed twice (first at " + location_text(it->second) + ")",
                "a hostname can serve one tenant only");
        usable = false;
      }
    }
    if (text.contains("site")) {
      const std::string p = pw::util::pointer_append(pointer, "site");
      fs::path site(text["site"]);
      if (site.empty()) {
        problem(p, "\"site\" of " + which + " is empty", "name the tenant's site directory");
        usable = false;
      } else {
        if (site.is_relative()) site = file_.parent_path() / site;
        site = fs::absolute(site).lexically_normal();
        std::error_code ec;
        if (!fs::is_directory(site, ec)) {
          problem(p, "site directory \"" + text["site"] + "\" of tenant \"" + t.tenant + "\" does not exist (" +
                         site.string() + ")",
                  "`site` is relative to the directory of the tenants file");
          usable = false;
        }
      }
      t.site = site;
    }
    if (usable) out_.tenants.push_back(std::move(t));
  }

  const pw::util::ParsedJson& parsed_;
  const fs::path& file_;
  TenantsFile& out_;
  std::map<std::string, std::string> tenant_ids_, domains_;  // value -> pointer of its first entry
};

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::optional<std::string> domain_problem(std::string_view domain) {
  if (domain.empty()) return "is empty";
  if (domain.size() > 253) return "is longer than 253 characters";
  for (char c : domain)
    if (c >= 'A' && c <= 'Z') return "has upper-case letters; hostnames are written in lower case";
  if (domain.find("://") != std::string_view::npos || domain.find('/') != std::string_view::npos)
    return "is a URL; give the hostname alone";
  if (domain.front() == '.' || domain.back() == '.') return "starts or ends with '.'";
  std::size_t labels = 0;
  std::string_view last;
  for (std::size_t start = 0; start <= domain.size();) {
    auto end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    std::string_view label = domain.substr(start, end - start);
    if (label.empty()) return "has an empty label ('..')";
    if (label.size() > 63) return "has a label longer than 63 characters";
    for (char c : label)
      if (!is_alnum(c) && c != '-') return std::string("has the character '") + c + "', not allowed in a hostname";
    if (label.front() == '-' || label.back() == '-') return "has a label that starts or ends with '-'";
    ++labels;
    last = label;
    start = end + 1;
  }
  if (labels < 2) return "is not a fully qualified hostname (no '.')";
  if (last.find_first_not_of("0123456789") == std::string_view::npos) return "ends in a number; give a hostname, not an IP address";
  return std::nullopt;
}

std::optional<std::string> tenant_id_problem(std::string_view tenant) {
  if (tenant.empty()) return "is empty";
  if (tenant.size() > 63) return "is longer than 63 characters";
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (!is_alnum(lower(tenant.front()))) return "must start with a letter or a digit";
  for (char c : tenant)
    if (!is_alnum(lower(c)) && c != '-' && c != '_' && c != '.')
      return std::string("has the character '") + c + "'";
  return std::nullopt;
}

TenantsFile parse_tenants(std::string_view text, const fs::path& file) {
  TenantsFile out;
  auto parsed = pw::util::parse_json_with_positions(text, file.string());
  out.problems = parsed.errors;
  if (!parsed.ok) return out;
  Checker(parsed, file, out).run();
  // In file order, as a reader goes through the file to fix them.
  std::stable_sort(out.problems.begin(), out.problems.end(), [](const pw::Diagnostic& a, const pw::Diagnostic& b) {
    return std::pair(a.subject.where.line, a.subject.where.column) <
           std::pair(b.subject.where.line, b.subject.where.column);
  });
  return out;
}

TenantsFile read_tenants_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(file, ec)) {
    TenantsFile out;
    out.problems.push_back({pw::Severity::error,
                            "cannot read the tenants file " + file.string(),
                            {},
                            {{file.string(), 0, 0}, {}},
                            "give a JSON file: an array of {\"tenant\", \"domain\", \"site\"}"});
    return out;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_tenants(text, file);
}

}  // namespace pipewright::cloudflare::tenants
