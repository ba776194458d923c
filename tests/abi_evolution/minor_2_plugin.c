/* A plugin built from the frozen ABI 1.2 header (tests/abi/frozen/v1_2): its
 * descriptor ends before 1.3's `shutdown`. Right after it in memory lies a
 * function where `shutdown` would be; a host that read past struct_size
 * would call it, and it would record the call in the file the run was given
 * ({"record": "/abs/file"}). */
#include <pipewright/plugin.h>

#include "../fixtures/record.h"

/* C99 has no static_assert: a negative array size fails the build. */
typedef char frozen_is_abi_1_2[(PW_ABI_MINOR == 2) ? 1 : -1];
typedef char plugin_1_2_size[(sizeof(pw_plugin_v1) == 72) ? 1 : -1];

static const pw_host_services_v1 *host;
static char record[1024];

static pw_status run(void *data, pw_call *call, pw_str with, pw_str context) {
  (void)data;
  (void)context;
  fixture_record_path(with, record, sizeof record);
  return host->set_output(call, fixture_str("built_for"), fixture_str("\"1.2\""), 0);
}

static void not_a_member(void *data) {
  (void)data;
  fixture_record_line(record, "called past struct_size");
}

static const struct {
  pw_plugin_v1 descriptor;
  void (*beyond)(void *); /* where 1.3's shutdown lies; not part of this descriptor */
} plugin = {{sizeof(pw_plugin_v1), PW_KIND_STEP, "abievo.step.minor_2", "1.2.0",
             "A plugin built against the ABI 1.2 header", "{\"type\":\"object\"}",
             "{\"type\":\"object\",\"properties\":{\"built_for\":{\"type\":\"string\"}}}", run, NULL,
             NULL},
            not_a_member};

PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1 *n) {
  if (!PW_HAS_MEMBER(n, pw_negotiate_v1, plugin)) return PW_STATUS_FAILED;
  host = n->host;
  n->plugin_abi_minor = 2;
  n->plugin = &plugin.descriptor;
  return PW_STATUS_OK;
}
