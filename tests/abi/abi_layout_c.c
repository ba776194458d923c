/* The layout of the ABI structs as a C99 compiler sees them; compiled with
 * -std=c99 -pedantic-errors -Werror, which also proves plugin.h is strict C99.
 * Keep the order in sync with abi_freeze_test.cpp. */
#include <pipewright/plugin.h>

extern const size_t pw_c_layout[];
extern const size_t pw_c_layout_count;
extern const pw_plugin_v1 pw_c_descriptor;

/* PW_STRUCT_INIT in a strict C99 static initializer. */
const pw_plugin_v1 pw_c_descriptor = {PW_STRUCT_INIT(pw_plugin_v1), .kind = PW_KIND_STEP};

const size_t pw_c_layout[] = {sizeof(pw_str),
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
const size_t pw_c_layout_count = sizeof pw_c_layout / sizeof pw_c_layout[0];
