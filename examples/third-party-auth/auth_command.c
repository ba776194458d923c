/*
 * example.auth.command: a third-party auth plugin written in plain C99.
 *
 * Runs a configured command (an argv list, never a shell), with a timeout,
 * and uses the first line of its standard output as a Bearer token. The
 * token is handed to the host as the secret output "headers", so the host
 * injects it into the requests of the steps that name this auth and masks
 * it everywhere.
 *
 *   "auth": { "vault": { "uses": "example.auth.command",
 *             "with": { "command": ["vault", "read", "-field=token", "secret/cf"],
 *                       "timeout_ms": 10000 } } }
 *
 * It needs nothing but <pipewright/plugin.h> and POSIX.
 */
#define _POSIX_C_SOURCE 200809L

#include <pipewright/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64
#define MAX_OUTPUT 65536

static const pw_host_services_v1 *host;

static pw_str str_of(const char *s) {
  pw_str out;
  out.ptr = s;
  out.len = strlen(s);
  return out;
}

static void fail(pw_call *call, const char *summary, const char *detail,
                 const char *pointer) {
  host->diagnostic(call, PW_SEVERITY_ERROR, str_of(summary), str_of(detail),
                   str_of(pointer));
}

/* ---- a minimal JSON reader: just enough for this plugin's `with` ---- */

typedef struct reader {
  const char *p;
  const char *end;
} reader;

static void skip_ws(reader *r) {
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* Reads a JSON string into a freshly malloc'd buffer (caller frees).
 * Escapes other than \uXXXX are decoded; \u is decoded for ASCII only. */
static char *read_string(reader *r) {
  size_t cap, n = 0;
  char *out;
  skip_ws(r);
  if (r->p >= r->end || *r->p != '"') return NULL;
  r->p++;
  cap = (size_t)(r->end - r->p) + 1;
  out = malloc(cap);
  if (!out) return NULL;
  while (r->p < r->end && *r->p != '"') {
    char c = *r->p++;
    if (c == '\\' && r->p < r->end) {
      char e = *r->p++;
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': {
          unsigned v = 0;
          int i;
          for (i = 0; i < 4 && r->p < r->end; i++, r->p++) {
            char h = *r->p;
            v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
          }
          c = v < 0x80 ? (char)v : '?';
          break;
        }
        default: c = e;
      }
    }
    out[n++] = c;
  }
  if (r->p >= r->end) {
    free(out);
    return NULL;
  }
  r->p++; /* closing quote */
  out[n] = '\0';
  return out;
}

/* Skips any JSON value. Returns 0 on malformed input. */
static int skip_value(reader *r) {
  int depth = 0;
  skip_ws(r);
  do {
    if (r->p >= r->end) return 0;
    if (*r->p == '"') {
      char *s = read_string(r);
      if (!s) return 0;
      free(s);
    } else {
      if (*r->p == '{' || *r->p == '[') depth++;
      if (*r->p == '}' || *r->p == ']') depth--;
      r->p++;
    }
    skip_ws(r);
  } while (depth > 0 || (r->p < r->end && *r->p != ',' && *r->p != '}' && *r->p != ']'));
  return 1;
}

typedef struct params {
  char *argv[MAX_ARGS + 1];
  int argc;
  long timeout_ms;
  char *header;
  char *scheme;
} params;

static void free_params(params *p) {
  int i;
  for (i = 0; i < p->argc; i++) free(p->argv[i]);
  free(p->header);
  free(p->scheme);
}

/* Returns NULL on success, else a message naming the problem. */
static const char *parse_params(pw_str with, params *out) {
  reader r;
  r.p = with.ptr;
  r.end = with.ptr + with.len;
  memset(out, 0, sizeof *out);
  out->timeout_ms = 10000;
  skip_ws(&r);
  if (r.p >= r.end || *r.p++ != '{') return "`with` must be an object";
  for (;;) {
    char *key;
    skip_ws(&r);
    if (r.p < r.end && *r.p == '}') break;
    key = read_string(&r);
    if (!key) return "`with` is not valid JSON";
    skip_ws(&r);
    if (r.p >= r.end || *r.p++ != ':') {
      free(key);
      return "`with` is not valid JSON";
    }
    skip_ws(&r);
    if (strcmp(key, "command") == 0) {
      if (r.p >= r.end || *r.p++ != '[') {
        free(key);
        return "`command` must be an array of strings";
      }
      for (;;) {
        char *arg;
        skip_ws(&r);
        if (r.p < r.end && *r.p == ']') {
          r.p++;
          break;
        }
        if (out->argc == MAX_ARGS) {
          free(key);
          return "`command` has too many arguments";
        }
        arg = read_string(&r);
        if (!arg) {
          free(key);
          return "`command` must be an array of strings";
        }
        out->argv[out->argc++] = arg;
        skip_ws(&r);
        if (r.p < r.end && *r.p == ',') r.p++;
      }
    } else if (strcmp(key, "timeout_ms") == 0) {
      char *endp;
      out->timeout_ms = strtol(r.p, &endp, 10);
      if (endp == r.p || out->timeout_ms <= 0) {
        free(key);
        return "`timeout_ms` must be a positive integer";
      }
      r.p = endp;
    } else if (strcmp(key, "header") == 0) {
      out->header = read_string(&r);
    } else if (strcmp(key, "scheme") == 0) {
      out->scheme = read_string(&r);
    } else if (!skip_value(&r)) {
      free(key);
      return "`with` is not valid JSON";
    }
    free(key);
    skip_ws(&r);
    if (r.p < r.end && *r.p == ',') r.p++;
  }
  if (out->argc == 0) return "`command` must name a program";
  return NULL;
}

/* ---- running the command ---- */

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends `s` to `out` as the body of a JSON string (no quotes). */
static size_t json_escape_into(char *out, size_t at, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[at++] = '\\';
      out[at++] = (char)c;
    } else if (c < 0x20) {
      at += (size_t)sprintf(out + at, "\\u%04x", c);
    } else {
      out[at++] = (char)c;
    }
  }
  return at;
}

static pw_status run(void *plugin_data, pw_call *call, pw_str with, pw_str context) {
  params p;
  const char *problem;
  int fds[2];
  posix_spawn_file_actions_t actions;
  pid_t pid;
  char *output;
  size_t used = 0;
  long deadline;
  int status = 0, timed_out = 0, cancelled = 0;
  pw_status result = PW_STATUS_FAILED;
  (void)plugin_data;
  (void)context;

  problem = parse_params(with, &p);
  if (problem) {
    fail(call, "example.auth.command: invalid parameters", problem, "/command");
    free_params(&p);
    return PW_STATUS_FAILED;
  }
  if (pipe(fds) != 0) {
    fail(call, "example.auth.command: cannot create a pipe", strerror(errno), "");
    free_params(&p);
    return PW_STATUS_FAILED;
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  /* posix_spawnp searches PATH like a shell would, but no shell runs. */
  if (posix_spawnp(&pid, p.argv[0], &actions, NULL, p.argv, environ) != 0) {
    char detail[512];
    snprintf(detail, sizeof detail, "could not start '%s': %s", p.argv[0], strerror(errno));
    fail(call, "example.auth.command: the command did not start", detail, "/command/0");
    posix_spawn_file_actions_destroy(&actions);
    close(fds[0]);
    close(fds[1]);
    free_params(&p);
    return PW_STATUS_FAILED;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);

  output = malloc(MAX_OUTPUT + 1);
  deadline = now_ms() + p.timeout_ms;
  while (output && used < MAX_OUTPUT) {
    struct pollfd pfd;
    long left = deadline - now_ms();
    ssize_t n;
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    if (host->is_cancelled(call)) {
      cancelled = 1;
      break;
    }
    pfd.fd = fds[0];
    pfd.events = POLLIN;
    if (poll(&pfd, 1, left < 100 ? (int)left : 100) <= 0) continue;
    n = read(fds[0], output + used, MAX_OUTPUT - used);
    if (n <= 0) break;
    used += (size_t)n;
  }
  close(fds[0]);
  if (timed_out || cancelled) kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (!output) {
    fail(call, "example.auth.command: out of memory", "", "");
  } else if (cancelled) {
    result = PW_STATUS_CANCELLED;
  } else if (timed_out) {
    char detail[256];
    snprintf(detail, sizeof detail, "'%s' did not finish within %ld ms and was killed",
             p.argv[0], p.timeout_ms);
    fail(call, "example.auth.command: the command timed out", detail, "/timeout_ms");
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char detail[256];
    snprintf(detail, sizeof detail, "'%s' exited with status %d", p.argv[0],
             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fail(call, "example.auth.command: the command failed", detail, "/command");
  } else {
    size_t len = 0;
    output[used] = '\0';
    while (len < used && output[len] != '\n' && output[len] != '\r') len++;
    output[len] = '\0';
    if (len == 0) {
      fail(call, "example.auth.command: the command printed no token",
           "its first line of standard output was empty", "/command");
    } else {
      const char *header = p.header ? p.header : "Authorization";
      const char *scheme = p.scheme ? p.scheme : "Bearer";
      /* Worst case every byte becomes a 6-byte \u escape. */
      size_t cap = 32 + 6 * (strlen(header) + strlen(scheme) + len);
      char *json = malloc(cap);
      if (json) {
        size_t at = 0;
        json[at++] = '{';
        json[at++] = '"';
        at = json_escape_into(json, at, header);
        json[at++] = '"';
        json[at++] = ':';
        json[at++] = '"';
        if (*scheme) {
          at = json_escape_into(json, at, scheme);
          json[at++] = ' ';
        }
        at = json_escape_into(json, at, output);
        json[at++] = '"';
        json[at++] = '}';
        json[at] = '\0';
        if (host->set_output(call, str_of("headers"), str_of(json), 1) == PW_STATUS_OK)
          result = PW_STATUS_OK;
        else
          fail(call, "example.auth.command: the host refused the headers output", "", "");
        memset(json, 0, at); /* the token should not linger in freed memory */
        free(json);
      }
      host->log(call, PW_LOG_INFO, str_of("example.auth.command: obtained a token"));
    }
    memset(output, 0, used);
  }
  free(output);
  free_params(&p);
  return result;
}

static const pw_plugin_v1 descriptor = {
    PW_STRUCT_INIT(pw_plugin_v1),
    .kind = PW_KIND_AUTH,
    .name = "example.auth.command",
    .version = "1.0.0",
    .description = "Runs a command (argv, no shell) and uses its first output line as a Bearer token",
    .params_schema = "{\"type\":\"object\",\"required\":[\"command\"],\"additionalProperties\":false,"
    "\"properties\":{"
    "\"command\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\"},"
    "\"description\":\"program and arguments; run directly, never through a shell\"},"
    "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":10000},"
    "\"header\":{\"type\":\"string\",\"default\":\"Authorization\"},"
    "\"scheme\":{\"type\":\"string\",\"default\":\"Bearer\"}}}",
    .outputs_schema =
        "{\"type\":\"object\",\"properties\":{\"headers\":{\"type\":\"object\",\"x-secret\":true}}}",
    .run = run,
    .documentation =
    "Runs `command` directly (no shell), waits at most `timeout_ms`, and uses the first line\n"
    "of its standard output as the credential: the output `headers` is\n"
    "{`header`: `scheme` + \" \" + line}, marked secret. Fails, naming the command, when it\n"
    "cannot start, times out, exits non-zero or prints nothing.",
};

PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1 *n) {
  if (!PW_HAS_MEMBER(n, pw_negotiate_v1, plugin)) return PW_STATUS_FAILED;
  host = n->host;
  n->plugin_abi_minor = 0; /* uses nothing beyond ABI 1.0 */
  n->plugin = &descriptor;
  return PW_STATUS_OK;
}
