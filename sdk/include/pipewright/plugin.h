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
#define PW_ABI_MINOR 4

#if defined(_WIN32)
#define PW_EXPORT __declspec(dllexport)
#else
#define PW_EXPORT __attribute__((visibility("default")))
#endif

/* The entry symbol of ABI major 1. A later major exports its own
 * `pw_plugin_negotiate_v2` beside or instead of this one. */
#define PW_ENTRY_SYMBOL_V1 "pw_plugin_negotiate_v1"

/* The first designator of an initializer of a struct that crosses, so that
 * struct_size is never forgotten or taken from another type (C99 and C++20):
 *   static const pw_plugin_v1 descriptor = {PW_STRUCT_INIT(pw_plugin_v1),
 *                                           .kind = PW_KIND_STEP, ...};
 * Members left out are zero, which is what "absent" means for every member
 * that may be NULL. (Some C++ compilers warn about a member left out under
 * -Wextra; plugin.hpp names them all.) */
#define PW_STRUCT_INIT(type) .struct_size = (uint32_t)sizeof(type)

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

/*
 * Constants. Each set is an enum, so that C++ and hand-written Rust or Zig
 * bindings get a named type, and each constant is also a macro of its own
 * name (so `#ifdef PW_KIND_AUTH` keeps working). Values never change. The
 * members and parameters that carry them stay int32_t: an enum's size is the
 * compiler's choice, a crossing member's is not.
 */

/* Status codes returned by plugin entry points and host services. */
typedef int32_t pw_status;
typedef enum pw_status_code {
  PW_STATUS_OK = 0,
  PW_STATUS_FAILED = 1,    /* the work failed; diagnostics say why */
  PW_STATUS_CANCELLED = 2, /* stopped because is_cancelled() said so */
  PW_STATUS_BAD_INPUT = 3  /* a host service was called wrongly */
} pw_status_code;
#define PW_STATUS_OK PW_STATUS_OK
#define PW_STATUS_FAILED PW_STATUS_FAILED
#define PW_STATUS_CANCELLED PW_STATUS_CANCELLED
#define PW_STATUS_BAD_INPUT PW_STATUS_BAD_INPUT

/* Plugin kinds, for pw_plugin_v1.kind. */
typedef enum pw_kind {
  PW_KIND_AUTH = 1,  /* produces request headers for steps that name it */
  PW_KIND_CHECK = 2, /* verifies something; reports pass/fail */
  PW_KIND_STEP = 3   /* does work */
} pw_kind;
#define PW_KIND_AUTH PW_KIND_AUTH
#define PW_KIND_CHECK PW_KIND_CHECK
#define PW_KIND_STEP PW_KIND_STEP

/* Log levels for pw_host_services_v1.log. */
typedef enum pw_log_level {
  PW_LOG_DEBUG = 0,
  PW_LOG_INFO = 1,
  PW_LOG_WARN = 2,
  PW_LOG_ERROR = 3
} pw_log_level;
#define PW_LOG_DEBUG PW_LOG_DEBUG
#define PW_LOG_INFO PW_LOG_INFO
#define PW_LOG_WARN PW_LOG_WARN
#define PW_LOG_ERROR PW_LOG_ERROR

/* Diagnostic severities, for pw_host_services_v1.diagnostic. */
typedef enum pw_severity {
  PW_SEVERITY_ERROR = 1,
  PW_SEVERITY_WARNING = 2,
  PW_SEVERITY_INFO = 3
} pw_severity;
#define PW_SEVERITY_ERROR PW_SEVERITY_ERROR
#define PW_SEVERITY_WARNING PW_SEVERITY_WARNING
#define PW_SEVERITY_INFO PW_SEVERITY_INFO

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
 * a shorter table. No service pointer inside struct_size is ever NULL: the
 * 1.0 services are always there, add_secret is there from 1.1 on.
 *
 * History: 1.0 log .. diagnostic; 1.1 add_secret; 1.2 the http request
 * member "step_auth"; 1.3 nothing new in this table (abi_minor says 3);
 * 1.4 the http request members "sign", "body_range" and "cleanup".
 */
typedef struct pw_host_services_v1 {
  uint32_t struct_size;
  uint32_t abi_minor; /* highest minor of ABI major 1 the host implements */

  /* Write a log line (`level` is a pw_log_level). The host masks every
   * known secret in it. Never NULL. */
  void (*log)(pw_call *call, int32_t level, pw_str message);

  /* One HTTP request. `request_json`:
   *   {"method": "GET", "url": "https://...", "headers": {...},
   *    "body_file": "/path"?,       stream the request body from this file
   *    "safe_to_retry": true|false?, default: true for GET/HEAD/PUT/DELETE
   *    "timeout_ms": 30000?,
   *    "body_range": {"offset": N, "length": N}?  since 1.4: send only
   *                                 these bytes of body_file (a part)
   *    "step_auth": false?,         since 1.2, see below
   *    "sign": "aws-sigv4"?,        since 1.4, see below
   *    "cleanup": true?}            since 1.4, http only: sent even after
   *                                 the run was cancelled or the step timed
   *                                 out, with at most 10 s of its own (undo
   *                                 what a cancelled call half-made)
   * `body` is the request body when no body_file is given (may be empty).
   * If the step names an `auth`, the host adds that auth's headers; the
   * plugin never sees them. With "step_auth": false it adds none, for a
   * request that presents a credential the plugin was given as an input
   * (checking that a token it holds still works); a host older than 1.2
   * refuses the member as unknown. With "sign": "aws-sigv4" the host signs
   * the request (AWS Signature Version 4, region "auto", service "s3": R2's
   * S3 API) with the S3 credentials the step's auth provided, instead of
   * adding its headers; the context's "signing" lists the schemes a step
   * can ask for, and a request asking for one not listed is malformed.
   * Signed requests do not spend the REST API's rate budget. The host applies rate limiting and retries:
   * a 429 is sent again for every method (it was refused before handling);
   * a 5xx, a timeout or a lost answer is repeated only for a request that
   * is safe to repeat. "safe_to_retry": true declares a POST/PATCH
   * idempotent (an invalid probe body; a create the API answers "exists"
   * when repeated); any other create whose answer is a 5xx or whose meta
   * says "outcome": "unknown" must be reconciled by the plugin (read the
   * state, adopt what the lost request made) before it is sent again.
   * `on_response` is called exactly once. Returns PW_STATUS_OK when a
   * response or a transport error was delivered, PW_STATUS_CANCELLED if the
   * run was cancelled, PW_STATUS_BAD_INPUT for a malformed request. Never
   * NULL. */
  pw_status (*http)(pw_call *call, pw_str request_json, pw_str body,
                    pw_http_response_fn on_response, void *user);

  /* Many HTTP requests run concurrently by the host. `batch_json`:
   *   {"concurrency": N | "auto"?, "requests": [ <request_json as above,
   *    plus "body": "UTF-8 text"? for an inline body> , ... ]}
   * Without "concurrency" (or "auto") the host keeps as many in flight as
   * its in-flight budget for the origin allows (it follows the measured
   * latency and is shared by every step); N only bounds this batch below
   * it. Omitting it works with older hosts too (they run such a batch 16
   * at a time, and refuse "auto").
   * `on_response` is called once per request, in completion order, with
   * "index" in the meta naming the request. Returns as http does. Never
   * NULL. */
  pw_status (*http_batch)(pw_call *call, pw_str batch_json,
                          pw_http_response_fn on_response, void *user);

  /* Report progress: {"done": 3, "total": 10, "message": "..."?}. Never
   * NULL. */
  void (*progress)(pw_call *call, pw_str progress_json);

  /* Non-zero once the run was cancelled (Ctrl-C, timeout, failed sibling).
   * Long work polls it and returns PW_STATUS_CANCELLED. Never NULL. */
  int32_t (*is_cancelled)(pw_call *call);

  /* The step's deadline in milliseconds since the Unix epoch, 0 if none.
   * Never NULL. */
  int64_t (*deadline)(pw_call *call);

  /* Set output `name` to the JSON value `value_json`. With `secret` non-zero
   * the value (and every string inside it) is masked in every log, event,
   * error and report from this moment on. An auth plugin sets the output
   * "headers" ({"Header-Name": "value"}) with secret = 1. Returns
   * PW_STATUS_OK when the output was stored (a second call with the same
   * name replaces it), PW_STATUS_BAD_INPUT when `value_json` is not valid
   * JSON or `name` is empty (nothing is stored; the step fails naming the
   * output), PW_STATUS_FAILED when the host itself failed (out of memory).
   * Never NULL. */
  pw_status (*set_output)(pw_call *call, pw_str name, pw_str value_json,
                          int32_t secret);

  /* Report a diagnostic. `pointer` is a JSON Pointer into the step's `with`
   * ("/name") or empty. `severity` is a pw_severity. Never NULL. */
  void (*diagnostic)(pw_call *call, int32_t severity, pw_str summary,
                     pw_str detail, pw_str pointer);

  /* Since 1.1. Masks `value` in every log, event, error and report from now
   * on, without making it an output: for a credential the plugin handles but
   * does not hand over (a key it fetched, an intermediate token). Values
   * shorter than 4 bytes are ignored. Absent (outside struct_size) on a 1.0
   * host, never NULL when present. */
  void (*add_secret)(pw_call *call, pw_str value);
} pw_host_services_v1;

/*
 * Runs the plugin once. `with_json` is the step's resolved `with` object,
 * already validated against params_schema. `context_json` describes the run:
 *   {"step_id": "...", "plugin": "...", "workdir": "/abs/dir",
 *    "cache_dir": "/abs/dir" | "",
 *    "base_urls": {"cloudflare": "https://api.cloudflare.com/client/v4",
 *                  "r2_s3": "http://127.0.0.1:8788"?},
 *    "auth": "name"?, "signing": ["aws-sigv4"]?, "attempt": 1,
 *    "sandbox_dir": "/abs/dir"?}
 * "r2_s3" (since 1.4) is $CLOUDFLARE_R2_ENDPOINT when set; "signing"
 * (since 1.4) is present when the step's auth set the secret output
 * "s3_credentials": {"access_key_id": "...", "secret_access_key": "..."}.
 * `sandbox_dir` (since 1.4) is present in a --sandbox run: the embedded
 * sandbox's state directory, where credentials the run writes belong.
 * `cache_dir` is a directory the plugin may keep caches in between runs
 * (make a subdirectory of your own, and create it: it may not exist yet);
 * nothing in it may be needed for correctness. It is $PIPEWRIGHT_CACHE_DIR,
 * else $XDG_CACHE_HOME/pipewright, else ~/.cache/pipewright; "" means no
 * cache (PIPEWRIGHT_CACHE_DIR=off). Both views are borrowed for the call. May be called concurrently from
 * several threads: keep no per-call state in globals. Must not throw.
 */
typedef pw_status (*pw_run_fn)(void *plugin_data, pw_call *call,
                               pw_str with_json, pw_str context_json);

/*
 * Called once before the library is unloaded, with the descriptor's
 * plugin_data: see pw_plugin_v1.shutdown. Must not throw.
 */
typedef void (*pw_shutdown_fn)(void *plugin_data);

/*
 * What a plugin is. Lives in the plugin's static storage and stays valid and
 * unchanged while the library is loaded. All strings are NUL-terminated UTF-8.
 * Only the members that say so may be NULL.
 * History: 1.0 struct_size .. plugin_data; 1.1 documentation; 1.3 shutdown.
 */
typedef struct pw_plugin_v1 {
  uint32_t struct_size;
  int32_t kind;             /* a pw_kind */
  const char *name;         /* "family.kind.name", e.g. "core.dotenv.write" */
  const char *version;      /* semantic version of the plugin, "1.2.0" */
  const char *description;  /* one line */
  const char *params_schema;  /* JSON Schema (draft 7) of `with` */
  const char *outputs_schema; /* JSON Schema of outputs; secret outputs carry
                                 "x-secret": true */
  pw_run_fn run;
  void *plugin_data; /* passed back to run and shutdown; owned by the plugin;
                        may be NULL */

  /* Since 1.1. Long help in Markdown for `pipewright plugins show`; may be
   * NULL. */
  const char *documentation;

  /* Since 1.3; may be NULL. Called exactly once for each successful
   * negotiation, after the last call into the plugin has returned and before
   * the library is unloaded, also when the host then refuses the descriptor
   * (a duplicate name). One thread; no pw_call exists, so no host service may
   * be used. In an isolated run the child process calls it too, after its one
   * run. A host older than 1.3 never calls it: free only what the process's
   * end would free anyway. */
  pw_shutdown_fn shutdown;
} pw_plugin_v1;

/*
 * Filled by the host (zeroed, then the "in" members), completed by the
 * plugin during negotiation.
 */
typedef struct pw_negotiate_v1 {
  uint32_t struct_size;
  uint32_t host_abi_major;          /* in: always 1 for this entry */
  uint32_t host_abi_minor;          /* in: highest minor the host speaks */
  const pw_host_services_v1 *host;  /* in: never NULL; valid while the library
                                       is loaded */
  uint32_t plugin_abi_minor;        /* out: the minor the plugin uses, at most
                                       host_abi_minor; when refusing, the minor
                                       it needs (the host prints both), or 0 */
  const pw_plugin_v1 *plugin;       /* out: static descriptor; NULL when
                                       refusing */
  const char *refusal;              /* out: static reason when refusing, else
                                       NULL; the host says "no reason given"
                                       for a NULL refusal */
} pw_negotiate_v1;

/*
 * The one symbol a plugin library exports. Returns PW_STATUS_OK and fills
 * plugin_abi_minor and plugin, or returns PW_STATUS_FAILED with `refusal`
 * set (e.g. the host's minor is too old for this plugin). Called once per
 * load, on one thread, before anything else in the plugin. Check
 * PW_HAS_MEMBER(n, pw_negotiate_v1, member) before writing a member.
 */
typedef pw_status (*pw_plugin_negotiate_v1_fn)(pw_negotiate_v1 *negotiation);

#ifdef __cplusplus
}
#endif

#endif /* PIPEWRIGHT_PLUGIN_H */
