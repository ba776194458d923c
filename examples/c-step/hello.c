#include <pipewright/plugin.h>
#include <string.h>

static const pw_host_services_v1 *host;

static pw_str S(const char *s) { pw_str v; v.ptr = s; v.len = strlen(s); return v; }

static pw_status run(void *data, pw_call *call, pw_str with, pw_str context) {
  (void)data; (void)with; (void)context;
  host->log(call, PW_LOG_INFO, S("hello from C"));
  if (host->set_output(call, S("greeting"), S("\"hello from C\""), 0) != PW_STATUS_OK) {
    host->diagnostic(call, PW_SEVERITY_ERROR, S("output refused"), S(""), S(""));
    return PW_STATUS_FAILED;
  }
  return PW_STATUS_OK;
}

static const pw_plugin_v1 descriptor = {
    PW_STRUCT_INIT(pw_plugin_v1), .kind = PW_KIND_STEP, .name = "example.step.hello",
    .version = "1.0.0", .description = "Says hello from C",
    .params_schema = "{\"type\":\"object\"}",
    .outputs_schema = "{\"type\":\"object\",\"properties\":{\"greeting\":{\"type\":\"string\"}}}",
    .run = run};

PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1 *n) {
  if (!PW_HAS_MEMBER(n, pw_negotiate_v1, plugin)) return PW_STATUS_FAILED;
  host = n->host;
  n->plugin_abi_minor = 0; /* needs nothing beyond ABI 1.0 */
  n->plugin = &descriptor;
  return PW_STATUS_OK;
}
