// The endpoint inventory (sandbox/inventory/endpoints.json) against a live
// sandbox: every real endpoint is served or answers 501 10501, none answers
// 7003/7000, enough are served, and docs/sandbox.md lists what is not.
// PW_WRITE_INVENTORY_DOCS=1 rewrites that docs section instead of failing.
#include "products_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace pw::sandbox;
using namespace pw::sandbox::test;

namespace {

constexpr std::size_t min_emulated = 75;
constexpr std::string_view docs_begin = "<!-- inventory:begin";
constexpr std::string_view docs_end = "<!-- inventory:end -->";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Endpoint {
  std::string method, path, family;
};

std::vector<Endpoint> inventory() {
  auto doc = json::parse(read_file(std::string(PW_TEST_SOURCE_DIR) + "/sandbox/inventory/endpoints.json"));
  std::vector<Endpoint> out;
  for (const auto& e : doc.at("endpoints").as_array())
    out.push_back({std::string(e.at("method").as_string()), std::string(e.at("path").as_string()),
                   std::string(e.at("family").as_string())});
  return out;
}

// A concrete path for a template: the demo account and zone, made-up names and ids.
std::string concrete(const std::string& pattern, const Identity& id) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    auto close = pattern.find('}', i);
    const std::string name = pattern.substr(i + 1, close - i - 1);
    i = close + 1;
    if (name == "account_id:id") out += id.account_id;
    else if (name == "zone_id:id") out += id.zone_id;
    else if (name.ends_with(":id")) out += "0123456789abcdef0123456789abcdef";
    else if (name == "object_key*") out += "probe/key.txt";
    else out += "inventory-probe";
  }
  return out;
}

// The template as the 501 message and the docs write it: {zone_id:id} -> {zone_id}.
std::string plain(std::string pattern) {
  for (std::string_view marker : {":id}", "*}"})
    for (auto at = pattern.find(marker); at != std::string::npos; at = pattern.find(marker))
      pattern.replace(at, marker.size(), "}");
  return pattern;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(endpoint_inventory)

BOOST_AUTO_TEST_CASE(every_inventory_endpoint_is_served_or_answers_501_never_7003) {
  SandboxFixture f;
  auto endpoints = inventory();
  BOOST_TEST_REQUIRE(endpoints.size() >= 100u);
  // Deletes last, so that one never removes what a later probe addresses.
  std::stable_partition(endpoints.begin(), endpoints.end(), [](const Endpoint& e) { return e.method != "DELETE"; });
  std::vector<std::pair<Endpoint, bool>> results;
  std::size_t emulated = 0;
  for (const auto& e : endpoints) {
    const std::string path = concrete(e.path, f.id());
    auto h = f.global();
    std::optional<std::string> body;
    if (e.method == "POST" || e.method == "PUT" || e.method == "PATCH") {
      body = "{}";
      h.emplace_back("Content-Type", "application/json");
    }
    auto r = f.client.request(e.method, path, h, body);
    BOOST_TEST_CONTEXT(e.method << " " << path << " -> " << r.status << " " << r.body) {
      BOOST_TEST((r.status != 400u || (r.error_code() != 7003 && r.error_code() != 7000)), "not a 7003/7000 answer");
      BOOST_TEST(r.json.is_object(), "every answer is a JSON envelope");
      BOOST_TEST((r.status < 500u || r.status == 501u), "no probe fails the server");
      if (r.status == 501) {
        BOOST_TEST(r.error_code() == 10501);
        BOOST_TEST(r.error_message() == e.method + " " + plain(e.path) +
                                            " is a Cloudflare API endpoint that the pipewright sandbox does not emulate");
        BOOST_TEST(!r.success());
      } else {
        ++emulated;
      }
    }
    results.emplace_back(e, r.status != 501);
  }
  BOOST_TEST(emulated >= min_emulated, emulated << " of " << endpoints.size() << " emulated");

  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.family, a.first.path, a.first.method) < std::tie(b.first.family, b.first.path, b.first.method);
  });
  std::ostringstream md;
  md << docs_begin << " (written by tests/sandbox_products/inventory_test.cpp; do not edit) -->\n"
     << "**" << emulated << " of " << results.size() << " endpoints emulated ("
     << (emulated * 100 + results.size() / 2) / results.size() << " %)**; the others answer 501.\n\n"
     << "| Family | Method | Path | Emulated |\n|---|---|---|---|\n";
  for (const auto& [e, served] : results)
    md << "| " << e.family << " | " << e.method << " | `" << plain(e.path) << "` | " << (served ? "yes" : "**501**")
       << " |\n";
  md << docs_end;
  const std::string docs_path = std::string(PW_TEST_SOURCE_DIR) + "/docs/sandbox.md";
  std::string docs = read_file(docs_path);
  auto begin = docs.find(docs_begin);
  auto end = docs.find(docs_end);
  BOOST_TEST_REQUIRE((begin != std::string::npos && end != std::string::npos && begin < end),
                     "docs/sandbox.md has the inventory markers");
  const std::string current = docs.substr(begin, end + docs_end.size() - begin);
  if (current != md.str() && std::getenv("PW_WRITE_INVENTORY_DOCS")) {
    docs.replace(begin, current.size(), md.str());
    std::ofstream(docs_path, std::ios::binary) << docs;
    return;
  }
  BOOST_TEST(current == md.str(),
             "docs/sandbox.md's inventory section is out of date; run this test with PW_WRITE_INVENTORY_DOCS=1");
}

BOOST_AUTO_TEST_CASE(paths_the_real_api_lacks_still_answer_7003) {
  SandboxFixture f;
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", zone_path(f.id(), "/no_such_product")},
           {"POST", zone_path(f.id(), "")},
           {"GET", "/zones/not-a-zone-id/dns_records/export"},
           {"PATCH", "/accounts/" + f.id().account_id + "/workers/scripts"}}) {
    auto r = f.client.request(method, path, f.global(), std::nullopt);
    BOOST_TEST_CONTEXT(method << " " << path) {
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(r.error_code() == 7003);
      BOOST_TEST(r.error_code(1) == 7000);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_more_specific_real_endpoint_wins_over_a_served_parameter) {
  // …/custom_hostnames/quota is not served; …/custom_hostnames/{id} is, and
  // must not take "quota" for a malformed id.
  SandboxFixture f;
  auto quota = f.client.get(zone_path(f.id(), "/custom_hostnames/quota"), f.global());
  BOOST_TEST(quota.status == 501u, quota.body);
  auto malformed = f.client.get(zone_path(f.id(), "/custom_hostnames/not-a-uuid"), f.global());
  BOOST_TEST(malformed.status == 400u);
  BOOST_TEST(malformed.error_code() == 1435, "the served route still answers other ids");
  auto served = f.client.get(zone_path(f.id(), "/dns_records/0123456789abcdef0123456789abcdef"), f.global());
  BOOST_TEST(served.error_code() == 81044, "a served route wins over its own inventory entry");
}

BOOST_AUTO_TEST_CASE(not_emulated_answer_comes_after_authentication) {
  SandboxFixture f;
  auto r = f.client.request("GET", zone_path(f.id(), "/dns_records/export"), {}, std::nullopt);
  BOOST_TEST(r.status != 501u);
  auto served = f.client.request("GET", zone_path(f.id(), "/dns_records/export"), f.global(), std::nullopt);
  BOOST_TEST(served.status == 501u);
}

BOOST_AUTO_TEST_SUITE_END()
