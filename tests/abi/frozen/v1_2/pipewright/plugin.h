/*
 * pipewright plugin ABI, major 1.
 *
 * This header is the whole contract between the pipewright host and a plugin.
 * It is C99 and depends on <stdint.h> and <stddef.h> only, so a plugin can be
 * written in C, C++, Rust or Zig and built with any compiler.
 *
 * Rules that hold for every declaration below:
 *  - Every struct that crosses starts with `uint32_t struct_size` and only
 *    ever grows at the end. A reader zero-fills its own copy, copies
 *    min(struct_size, sizeof) bytes, and treats a member as present only if
 *    it lies inside struct_size (see PW_HAS_MEMBER).
 *  - Data crosses as UTF-8 JSON text in `pw_str` views. A `pw_str` handed to a
 *    function is borrowed for that call only: copy what you keep.
 *  - Whoever allocates frees. Nothing allocated on one side is freed on the
 *    other; results travel through host callbacks that copy.
 *  - No exceptions, no C++ types, no `bool` cross this boundary.
 */
#ifndef PIPEWRIGHT_PLUGIN_H
#define PIPEWRIGHT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define PW_ABI_MAJOR 1
#define PW_ABI_MINOR 2

#if defined(_WIN32)
#define PW_EXPORT __declspec(dllexport)
#else
#define PW_EXPORT __attribute__((visibility("default")))
#endif

/* The entry symbol of ABI major 1. A later major exports its own
 * `pw_plugin_negotiate_v2` beside or instead of this one. */
#define PW_ENTRY_SYMBOL_V1 "pw_plugin_negotiate_v1"

/* True when `member` of the struct at `ptr` lies inside its struct_size. */
#define PW_HAS_MEMBER(ptr, type, member)                                    \
  ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, member) +          \
                                              sizeof(((type *)0)->member))

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed view of UTF-8 text (usually JSON). `ptr` need not be
 * NUL-terminated. A NULL ptr with len 0 means "absent". */
typedef struct pw_str {
  const char *ptr;
  size_t len;
} pw_str;

/* Status codes returned by plugin entry points and host services. */
typedef int32_t pw_status;
#define PW_STATUS_OK 0
#define PW_STATUS_FAILED 1    /* the work failed; diagnostics say why */
#define PW_STATUS_CANCELLED 2 /* stopped because is_cancelled() said so */
#define PW_STATUS_BAD_INPUT 3 /* a host service was called wrongly */

/* Plugin kinds. */
#define PW_KIND_AUTH 1  /* produces request headers for steps that name it */
#define PW_KIND_CHECK 2 /* verifies something; reports pass/fail */
#define PW_KIND_STEP 3  /* does work */

/* Log levels for pw_host_services_v1.log. */
#define PW_LOG_DEBUG 0
#define PW_LOG_INFO 1
#define PW_LOG_WARN 2
#define PW_LOG_ERROR 3

/* Diagnostic severities. */
#define PW_SEVERITY_ERROR 1
#define PW_SEVERITY_WARNING 2
#define PW_SEVERITY_INFO 3

/* One invocation of a plugin's `run`. Opaque, owned by the host, valid from
 * the moment `run` is entered until it returns. Never keep it. */
typedef struct pw_call pw_call;

/* Receives one HTTP response. `meta_json` is
 *   {"index": N, "status": 200, "headers": {"name": "value", ...},
 *    "duration_ms": 12, "attempts": 1,
 *    "error": "text"?, "outcome": "ok" | "failed" | "unknown"}
 * where status 0 plus `error` means no response was received; `outcome`
 * "unknown" means a request that is not safe to repeat was sent and the
 * connection broke before an answer came: it may or may not have taken
 * effect, and the host did not retry it. `body` holds the raw response bytes.
 * Both views are borrowed for the duration of the callback only. Called on
 * the thread that called http/http_batch, one call at a time, before that
 * service returns. */
typedef void (*pw_http_response_fn)(void *user, pw_str meta_json, pw_str body);

/*
 * Services the host offers a plugin. The table is owned by the host, is
 * immutable, and stays valid for as long as the plugin library is loaded.
 * Every service may be called from any thread that is inside `run` for the
 * given call, and is thread-safe. Members appended by later minors must be
 * checked with PW_HAS_MEMBER before use: a host of an older minor hands over
 * a shorter table.
 *
 * History: 1.0 log .. diagnostic; 1.1 add_secret; 1.2 the http request
 * member "step_auth".
 */
typedef struct pw_host_services_v1 {
  uint32_t struct_size;
  uint32_t abi_minor; /* highest minor of ABI major 1 the host implements */

  /* Write a log line. The host masks every known secret in it. */
  void (*log)(pw_call *call, int32_t level, pw_str message);

  /* One HTTP request. `request_json`:
   *   {"method": "GET", "url": "https://...", "headers": {...},
   *    "body_file": "/path"?,       stream the request body from this file
   *    "safe_to_retry": true|false?, default: true for GET/HEAD/PUT/DELETE
   *    "timeout_ms": 30000?,
   *    "step_auth": false?}          since 1.2, see below
   * `body` is the request body when no body_file is given (may be empty).
   * If the step names an `auth`, the host adds that auth's headers; the
   * plugin never sees them. With "step_auth": false it adds none, for a
   * request that presents a credential the plugin was given as an input
   * (checking that a token it holds still works); a host older than 1.2
   * refuses the member as unknown. The host applies rate limiting and retries:
   * a 429 is sent again for every method (it was refused before handling);
   * a 5xx, a timeout or a lost answer is repeated only for a request that
   * is safe to repeat. "safe_to_retry": true declares a POST/PATCH
   * idempotent (an invalid probe body; a create the API answers "exists"
   * when repeated); any other create whose answer is a 5xx or whose meta
   * says "outcome": "unknown" must be reconciled by the plugin (read the
   * state, adopt what the lost request made) before it is sent again.
   * `on_response` is called exactly once. Returns PW_STATUS_OK when a
   * response or a transport error was delivered, PW_STATUS_CANCELLED if the
   * run was cancelled, PW_STATUS_BAD_INPUT for a malformed request. */
  pw_status (*http)(pw_call *call, pw_str request_json, pw_str body,
                    pw_http_response_fn on_response, void *user);

  /* Many HTTP requests run concurrently by the host. `batch_json`:
   *   {"concurrency": 16?, "requests": [ <request_json as above, plus
   *    "body": "UTF-8 text"? for an inline body> , ... ]}
   * `on_response` is called once per request, in completion order, with
   * "index" in the meta naming the request. */
  pw_status (*http_batch)(pw_call *call, pw_str batch_json,
                          pw_http_response_fn on_response, void *user);

  /* Report progress: {"done": 3, "total": 10, "message": "..."?}. */
  void (*progress)(pw_call *call, pw_str progress_json);

  /* Non-zero once the run was cancelled (Ctrl-C, timeout, failed sibling).
   * Long work polls it and returns PW_STATUS_CANCELLED. */
  int32_t (*is_cancelled)(pw_call *call);

  /* The step's deadline in milliseconds since the Unix epoch, 0 if none. */
  int64_t (*deadline)(pw_call *call);

  /* Set output `name` to the JSON value `value_json`. With `secret` non-zero
   * the value (and every string inside it) is masked in every log, event,
   * error and report from this moment on. An auth plugin sets the output
   * "headers" ({"Header-Name": "value"}) with secret = 1. */
  pw_status (*set_output)(pw_call *call, pw_str name, pw_str value_json,
                          int32_t secret);

  /* Report a diagnostic. `pointer` is a JSON Pointer into the step's `with`
   * ("/name") or empty. */
  void (*diagnostic)(pw_call *call, int32_t severity, pw_str summary,
                     pw_str detail, pw_str pointer);

  /* Since 1.1. Masks `value` in every log, event, error and report from now
   * on, without making it an output: for a credential the plugin handles but
   * does not hand over (a key it fetched, an intermediate token). Values
   * shorter than 4 bytes are ignored. */
  void (*add_secret)(pw_call *call, pw_str value);
} pw_host_services_v1;

/*
 * Runs the plugin once. `with_json` is the step's resolved `with` object,
 * already validated against params_schema. `context_json` describes the run:
 *   {"step_id": "...", "plugin": "...", "workdir": "/abs/dir",
 *    "base_urls": {"cloudflare": "https://api.cloudflare.com/client/v4"},
 *    "auth": "name"?, "attempt": 1}
 * Both views are borrowed for the call. May be called concurrently from
 * several threads: keep no per-call state in globals. Must not throw.
 */
typedef pw_status (*pw_run_fn)(void *plugin_data, pw_call *call,
                               pw_str with_json, pw_str context_json);

/*
 * What a plugin is. Lives in the plugin's static storage and stays valid and
 * unchanged while the library is loaded. All strings are NUL-terminated UTF-8.
 * History: 1.0 struct_size .. plugin_data; 1.1 documentation.
 */
typedef struct pw_plugin_v1 {
  uint32_t struct_size;
  int32_t kind;             /* PW_KIND_* */
  const char *name;         /* "family.kind.name", e.g. "core.dotenv.write" */
  const char *version;      /* semantic version of the plugin, "1.2.0" */
  const char *description;  /* one line */
  const char *params_schema;  /* JSON Schema (draft 7) of `with` */
  const char *outputs_schema; /* JSON Schema of outputs; secret outputs carry
                                 "x-secret": true */
  pw_run_fn run;
  void *plugin_data; /* passed back to run; owned by the plugin */

  /* Since 1.1. Long help in Markdown for `pipewright plugins show`; may be
   * NULL. */
  const char *documentation;
} pw_plugin_v1;

/*
 * Filled by the host, completed by the plugin during negotiation.
 */
typedef struct pw_negotiate_v1 {
  uint32_t struct_size;
  uint32_t host_abi_major;            /* in: always 1 for this entry */
  uint32_t host_abi_minor;            /* in: highest minor the host speaks */
  const pw_host_services_v1 *host;    /* in: valid while the library is loaded */
  uint32_t plugin_abi_minor;          /* out: the minor the plugin uses */
  const pw_plugin_v1 *plugin;         /* out: static descriptor */
  const char *refusal;                /* out: static reason when refusing */
} pw_negotiate_v1;

/*
 * The one symbol a plugin library exports. Returns PW_STATUS_OK and fills
 * plugin_abi_minor and plugin, or returns PW_STATUS_FAILED with `refusal`
 * set (e.g. the host's minor is too old for this plugin). Called once per
 * load, on one thread, before anything else in the plugin.
 */
typedef pw_status (*pw_plugin_negotiate_v1_fn)(pw_negotiate_v1 *negotiation);

#ifdef __cplusplus
}
#endif

#endif /* PIPEWRIGHT_PLUGIN_H */
