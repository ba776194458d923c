/* A plugin built from the frozen ABI 1.0 header (tests/abi/frozen/v1_0):
 * its descriptor and its idea of the host table are the smaller 1.0
 * structs. Today's host must still load and run it. */
#include <pipewright/plugin.h>

#include <string.h>

/* C99 has no static_assert: a negative array size fails the build. */
typedef char frozen_is_abi_1_0[(PW_ABI_MINOR == 0) ? 1 : -1];
typedef char services_1_0_size[(sizeof(pw_host_services_v1) == 72) ? 1 : -1];
typedef char plugin_1_0_size[(sizeof(pw_plugin_v1) == 64) ? 1 : -1];

static const pw_host_services_v1 *host;

static pw_str str_of(const char *s) {
  pw_str out;
  out.ptr = s;
  out.len = strlen(s);
  return out;
}

static pw_status run(void *data, pw_call *call, pw_str with, pw_str context) {
  (void)data;
  (void)with;
  (void)context;
  host->log(call, PW_LOG_INFO, str_of("built against ABI 1.0"));
  return host->set_output(call, str_of("built_for"), str_of("\"1.0\""), 0);
}

static const pw_plugin_v1 descriptor = {
    sizeof(pw_plugin_v1), PW_KIND_STEP, "abievo.step.old_minor", "1.0.0",
    "A plugin built against the ABI 1.0 header", "{\"type\":\"object\"}",
    "{\"type\":\"object\",\"properties\":{\"built_for\":{\"type\":\"string\"}}}", run, NULL};

PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1 *n) {
  host = n->host;
  n->plugin_abi_minor = 0;
  n->plugin = &descriptor;
  return PW_STATUS_OK;
}
