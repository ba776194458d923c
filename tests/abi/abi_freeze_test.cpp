// Freezes the published layout of plugin ABI major 1 (x86_64, LP64). A
// failing assert here means a change broke every plugin already built: add
// members at the end of a struct instead, and bump PW_ABI_MINOR.
#define BOOST_TEST_MODULE abi
#include <pipewright/plugin.h>

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <cstdint>
#include <type_traits>

extern "C" {
// Filled by abi_layout_c.c, compiled as strict C99.
extern const std::size_t pw_c_layout[];
extern const std::size_t pw_c_layout_count;
extern const pw_plugin_v1 pw_c_descriptor;  // initialised with PW_STRUCT_INIT
}

#define PW_FREEZE(type, member, offset, size)                                    \
  static_assert(offsetof(type, member) == (offset), #type "." #member " moved"); \
  static_assert(sizeof(type::member) == (size), #type "." #member " changed size")

static_assert(sizeof(void*) == 8 && sizeof(std::size_t) == 8, "frozen for LP64");

static_assert(PW_ABI_MAJOR == 1);
static_assert(sizeof(pw_status) == 4);

static_assert(sizeof(pw_str) == 16);
PW_FREEZE(pw_str, ptr, 0, 8);
PW_FREEZE(pw_str, len, 8, 8);

static_assert(sizeof(pw_host_services_v1) == 80);
PW_FREEZE(pw_host_services_v1, struct_size, 0, 4);
PW_FREEZE(pw_host_services_v1, abi_minor, 4, 4);
PW_FREEZE(pw_host_services_v1, log, 8, 8);
PW_FREEZE(pw_host_services_v1, http, 16, 8);
PW_FREEZE(pw_host_services_v1, http_batch, 24, 8);
PW_FREEZE(pw_host_services_v1, progress, 32, 8);
PW_FREEZE(pw_host_services_v1, is_cancelled, 40, 8);
PW_FREEZE(pw_host_services_v1, deadline, 48, 8);
PW_FREEZE(pw_host_services_v1, set_output, 56, 8);
PW_FREEZE(pw_host_services_v1, diagnostic, 64, 8);
PW_FREEZE(pw_host_services_v1, add_secret, 72, 8);  // 1.1

static_assert(sizeof(pw_plugin_v1) == 80);
PW_FREEZE(pw_plugin_v1, struct_size, 0, 4);
PW_FREEZE(pw_plugin_v1, kind, 4, 4);
PW_FREEZE(pw_plugin_v1, name, 8, 8);
PW_FREEZE(pw_plugin_v1, version, 16, 8);
PW_FREEZE(pw_plugin_v1, description, 24, 8);
PW_FREEZE(pw_plugin_v1, params_schema, 32, 8);
PW_FREEZE(pw_plugin_v1, outputs_schema, 40, 8);
PW_FREEZE(pw_plugin_v1, run, 48, 8);
PW_FREEZE(pw_plugin_v1, plugin_data, 56, 8);
PW_FREEZE(pw_plugin_v1, documentation, 64, 8);  // 1.1
PW_FREEZE(pw_plugin_v1, shutdown, 72, 8);       // 1.3

static_assert(sizeof(pw_negotiate_v1) == 48);
PW_FREEZE(pw_negotiate_v1, struct_size, 0, 4);
PW_FREEZE(pw_negotiate_v1, host_abi_major, 4, 4);
PW_FREEZE(pw_negotiate_v1, host_abi_minor, 8, 4);
PW_FREEZE(pw_negotiate_v1, host, 16, 8);
PW_FREEZE(pw_negotiate_v1, plugin_abi_minor, 24, 4);
PW_FREEZE(pw_negotiate_v1, plugin, 32, 8);
PW_FREEZE(pw_negotiate_v1, refusal, 40, 8);

static_assert(PW_STATUS_OK == 0 && PW_STATUS_FAILED == 1 && PW_STATUS_CANCELLED == 2 &&
              PW_STATUS_BAD_INPUT == 3);
static_assert(PW_KIND_AUTH == 1 && PW_KIND_CHECK == 2 && PW_KIND_STEP == 3);
static_assert(PW_LOG_DEBUG == 0 && PW_LOG_INFO == 1 && PW_LOG_WARN == 2 && PW_LOG_ERROR == 3);
static_assert(PW_SEVERITY_ERROR == 1 && PW_SEVERITY_WARNING == 2 && PW_SEVERITY_INFO == 3);
// 1.3: the constants are also enums, whose types name them without changing
// a value; the members that carry them stay int32_t.
static_assert(std::is_same_v<decltype(PW_STATUS_BAD_INPUT), pw_status_code>);
static_assert(std::is_same_v<decltype(PW_KIND_STEP), pw_kind>);
static_assert(std::is_same_v<decltype(PW_LOG_ERROR), pw_log_level>);
static_assert(std::is_same_v<decltype(PW_SEVERITY_INFO), pw_severity>);
static_assert(std::is_same_v<pw_status, std::int32_t>);
static_assert(std::is_same_v<decltype(pw_plugin_v1::kind), std::int32_t>);
#ifndef PW_KIND_AUTH
#error "each constant stays a macro too"
#endif

BOOST_AUTO_TEST_CASE(c_compiler_sees_the_same_layout_as_cpp) {
  const std::size_t expected[] = {sizeof(pw_str),
                                  offsetof(pw_str, len),
                                  sizeof(pw_host_services_v1),
                                  offsetof(pw_host_services_v1, log),
                                  offsetof(pw_host_services_v1, diagnostic),
                                  sizeof(pw_plugin_v1),
                                  offsetof(pw_plugin_v1, kind),
                                  offsetof(pw_plugin_v1, run),
                                  offsetof(pw_plugin_v1, plugin_data),
                                  sizeof(pw_negotiate_v1),
                                  offsetof(pw_negotiate_v1, host),
                                  offsetof(pw_negotiate_v1, plugin_abi_minor),
                                  offsetof(pw_negotiate_v1, refusal),
                                  offsetof(pw_plugin_v1, shutdown),
                                  sizeof(pw_kind)};
  BOOST_TEST_REQUIRE(pw_c_layout_count == std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    BOOST_TEST_CONTEXT("layout entry " << i) { BOOST_TEST(pw_c_layout[i] == expected[i]); }
  }
}

BOOST_AUTO_TEST_CASE(struct_init_fills_struct_size_and_leaves_the_rest_zero) {
  // C++ (GCC 12 warns about a member left out, so all are named here).
  const pw_negotiate_v1 n = {PW_STRUCT_INIT(pw_negotiate_v1),
                             .host_abi_major = 1,
                             .host_abi_minor = PW_ABI_MINOR,
                             .host = nullptr,
                             .plugin_abi_minor = 0,
                             .plugin = nullptr,
                             .refusal = nullptr};
  BOOST_TEST(n.struct_size == sizeof(pw_negotiate_v1));
  // C99, where members left out are zero (abi_layout_c.c).
  BOOST_TEST(pw_c_descriptor.struct_size == sizeof(pw_plugin_v1));
  BOOST_TEST(pw_c_descriptor.kind == PW_KIND_STEP);
  BOOST_TEST(pw_c_descriptor.run == nullptr);
}

BOOST_AUTO_TEST_CASE(has_member_treats_members_beyond_struct_size_as_absent) {
  pw_plugin_v1 d{};
  d.struct_size = offsetof(pw_plugin_v1, plugin_data);
  BOOST_TEST(PW_HAS_MEMBER(&d, pw_plugin_v1, run));
  BOOST_TEST(!PW_HAS_MEMBER(&d, pw_plugin_v1, plugin_data));
  const pw_plugin_v1* none = nullptr;
  BOOST_TEST(!PW_HAS_MEMBER(none, pw_plugin_v1, run));
}
