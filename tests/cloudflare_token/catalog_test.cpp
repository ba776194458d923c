#define BOOST_TEST_MODULE cloudflare_token_unit
#include <boost/test/unit_test.hpp>

#include <pipewright/cloudflare/guide.hpp>
#include <pipewright/cloudflare/permissions.hpp>

#include <set>

namespace cf = pipewright::cloudflare;

BOOST_AUTO_TEST_SUITE(permission_catalog)

BOOST_AUTO_TEST_CASE(required_groups_are_the_eight_with_their_ids_and_scopes) {
  const auto groups = cf::required_groups();
  BOOST_REQUIRE_EQUAL(groups.size(), 8u);
  struct Expected {
    const char* name;
    const char* id;
    cf::Scope scope;
  };
  const Expected expected[] = {
      {"Account Settings Read", "c1fde68c7bcc44588cbb6ddbc16d6480", cf::Scope::account},
      {"Workers R2 Storage Write", "bf7481a1826f439697cb59a20b22293e", cf::Scope::account},
      {"Workers Scripts Read", "1a71c399035b4950a1bd1466bbe4f420", cf::Scope::account},
      {"Workers Scripts Write", "e086da7e2179491d91ee5f35b3ca210a", cf::Scope::account},
      {"Workers Routes Write", "28f4b596e7d643029c524985477ae49a", cf::Scope::zone},
      {"Zone Read", "c8fed203ed3043cba015a93ad1616f1f", cf::Scope::zone},
      {"SSL and Certificates Read", "7b7216b327b04b8fbc8f524e1f9b7531", cf::Scope::zone},
      {"SSL and Certificates Write", "c03055bc037c4ea9afb9a9f104b7b721", cf::Scope::zone},
  };
  for (std::size_t i = 0; i < 8; ++i) {
    BOOST_REQUIRE(groups[i] != nullptr);
    BOOST_TEST(groups[i]->name == expected[i].name);
    BOOST_TEST(groups[i]->id == expected[i].id);
    BOOST_TEST((groups[i]->scope == expected[i].scope));
    BOOST_TEST(groups[i]->required);
  }
}

BOOST_AUTO_TEST_CASE(catalog_ids_are_unique_32_hex) {
  std::set<std::string_view> ids;
  for (const auto& g : cf::permission_catalog()) {
    BOOST_TEST(g.id.size() == 32u);
    BOOST_TEST(g.id.find_first_not_of("0123456789abcdef") == std::string_view::npos);
    BOOST_TEST(ids.insert(g.id).second);
  }
  BOOST_TEST((cf::find_group("API Tokens Write")->scope == cf::Scope::user));
  BOOST_TEST((cf::find_group("Workers R2 Storage Bucket Item Read")->scope == cf::Scope::r2_bucket));
}

BOOST_AUTO_TEST_CASE(finds_groups_by_name_ignoring_case_and_spacing_and_by_id) {
  BOOST_TEST(cf::find_group("zone   read")->id == "c8fed203ed3043cba015a93ad1616f1f");
  BOOST_TEST(cf::find_group(" SSL and certificates WRITE ") != nullptr);
  BOOST_TEST(cf::find_group("Zone Edit") == nullptr);
  BOOST_TEST(cf::find_group_by_id("686d18d5ac6c441c867cbf6771e58a0a")->name == "API Tokens Write");
  BOOST_TEST(cf::find_group_by_id("00000000000000000000000000000000") == nullptr);
}

BOOST_AUTO_TEST_CASE(suggests_the_closest_names_for_a_typo) {
  auto near = cf::closest_group_names("Workers Route Write");
  BOOST_REQUIRE(!near.empty());
  BOOST_TEST(near.front() == "Workers Routes Write");
  near = cf::closest_group_names("zone raed");
  BOOST_REQUIRE(!near.empty());
  BOOST_TEST(near.front() == "Zone Read");
  BOOST_TEST(cf::closest_group_names("completely unrelated words here").size() <= 3u);
}

BOOST_AUTO_TEST_CASE(dashboard_labels_use_edit_for_write) {
  const auto* r2 = cf::find_group("Workers R2 Storage Write");
  BOOST_TEST(cf::dashboard_row(*r2) == "Account → Workers R2 Storage → Edit");
  const auto* routes = cf::find_group("Workers Routes Write");
  BOOST_TEST(cf::dashboard_row(*routes) == "Zone → Workers Routes → Edit");
  BOOST_TEST(cf::dashboard_path(*routes).find("Zone Resources") != std::string::npos);
  BOOST_TEST(cf::dashboard_path(*r2).find("My Profile → API Tokens") == 0u);
  BOOST_TEST(cf::dashboard_row(*cf::find_group("API Tokens Write")) == "User → API Tokens → Edit");
}

BOOST_AUTO_TEST_CASE(scope_names_and_keys) {
  BOOST_TEST(cf::scope_name(cf::Scope::r2_bucket) == "r2.bucket");
  BOOST_TEST(cf::scope_key(cf::Scope::zone) == "com.cloudflare.api.account.zone");
  cf::Scope s{};
  BOOST_TEST(cf::parse_scope("com.cloudflare.api.user", s));
  BOOST_TEST((s == cf::Scope::user));
  BOOST_TEST(!cf::parse_scope("com.cloudflare.api.nothing", s));
  BOOST_TEST(cf::scope_description(cf::Scope::zone, "a1", "z9") == "zone z9");
  BOOST_TEST(cf::scope_description(cf::Scope::account, "a1", "z9") == "account a1");
}

BOOST_AUTO_TEST_CASE(missing_guide_names_each_group_its_scope_and_the_fix_command) {
  const auto text = cf::missing_permissions_guide(
      {cf::find_group("Workers Routes Write"), cf::find_group("Workers R2 Storage Write")}, "acc1", "zone1");
  BOOST_TEST(text.find("Workers Routes Write (zone zone1)") != std::string::npos);
  BOOST_TEST(text.find("Workers R2 Storage Write (account acc1)") != std::string::npos);
  BOOST_TEST(text.find("CLOUDFLARE_ACCOUNT_ID=acc1 CLOUDFLARE_ZONE_ID=zone1 pipewright run create-token") != std::string::npos);
  const auto guide = cf::token_creation_guide("", "");
  for (const auto* g : cf::required_groups()) BOOST_TEST(guide.find(std::string(g->name)) != std::string::npos);
  BOOST_TEST(cf::api_tokens_write_advice().find("API Tokens Write") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
