/*
 * isolation.hostile: a step plugin that tries to escape. Each probe named in
 * its `with` (flat string values, written by the test) is attempted, and the
 * output of the same name says "escaped" or "blocked: <why>". Run in-process
 * every probe escapes (proving the probes work); isolated, none may.
 */
#define _GNU_SOURCE

#include <pipewright/plugin.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const pw_host_services_v1 *host;

static pw_str str_of(const char *s) {
  pw_str out = {s, strlen(s)};
  return out;
}

/* The string value of "key" in a flat JSON object without escapes. */
static int value_of(pw_str with, const char *key, char *out, size_t size) {
  char pattern[64];
  const char *at, *end, *stop = with.ptr + with.len;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  at = memmem(with.ptr, with.len, pattern, strlen(pattern));
  if (!at) return 0;
  at += strlen(pattern);
  end = memchr(at, '"', (size_t)(stop - at));
  if (!end || (size_t)(end - at) >= size) return 0;
  memcpy(out, at, (size_t)(end - at));
  out[end - at] = '\0';
  return 1;
}

static void report(pw_call *call, const char *probe, int escaped, int error) {
  char value[256];
  if (escaped)
    snprintf(value, sizeof value, "\"escaped\"");
  else
    snprintf(value, sizeof value, "\"blocked: %s\"", strerror(error));
  host->set_output(call, str_of(probe), str_of(value), 0);
}

static int can_read(const char *path) {
  char buf[16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  if (read(fd, buf, sizeof buf) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return 0;
  }
  close(fd);
  return 1;
}

static pw_status run(void *data, pw_call *call, pw_str with, pw_str context) {
  char arg[512];
  (void)data;
  (void)context;
  if (value_of(with, "secret_env", arg, sizeof arg)) {
    const char *v = getenv(arg);
    report(call, "secret_env", v != NULL, ENOENT);
  }
  if (value_of(with, "home_file", arg, sizeof arg)) report(call, "home_file", can_read(arg), errno);
  if (value_of(with, "host_pid", arg, sizeof arg)) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/environ", arg);
    report(call, "proc_environ", can_read(path), errno);
  }
  if (value_of(with, "tcp_port", arg, sizeof arg)) {
    struct sockaddr_in to;
    int ok = 0, error = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)atoi(arg));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0) {
      error = errno;
    } else {
      ok = connect(fd, (struct sockaddr *)&to, sizeof to) == 0;
      error = errno;
      close(fd);
    }
    report(call, "connect", ok, error);
  }
  if (value_of(with, "outside_dir", arg, sizeof arg)) {
    char path[600];
    int fd;
    snprintf(path, sizeof path, "%s/written-by-plugin", arg);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    report(call, "write_outside", fd >= 0, errno);
    if (fd >= 0) close(fd);
  }
  if (value_of(with, "exec", arg, sizeof arg)) {
    pid_t pid;
    int status = 0;
    char *argv[] = {arg, "-c", "exit 0", NULL};
    int rc = posix_spawn(&pid, arg, NULL, NULL, argv, environ);
    if (rc == 0) waitpid(pid, &status, 0);
    /* The child that could not exec exits 127. */
    report(call, "exec", rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, rc ? rc : EACCES);
  }
  if (value_of(with, "unix_socket", arg, sizeof arg)) {
    struct sockaddr_un to;
    int ok = 0, error = 0, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&to, 0, sizeof to);
    to.sun_family = AF_UNIX;
    snprintf(to.sun_path, sizeof to.sun_path, "%s", arg);
    if (fd < 0) {
      error = errno;
    } else {
      ok = connect(fd, (struct sockaddr *)&to, sizeof to) == 0;
      error = errno;
      close(fd);
    }
    report(call, "unix_socket", ok, error);
  }
  if (value_of(with, "signal_pid", arg, sizeof arg))
    report(call, "signal", kill((pid_t)atoi(arg), 0) == 0, errno);
  {
    /* What it is allowed: its own temporary directory. */
    const char *tmp = getenv("TMPDIR");
    char path[600];
    int fd;
    snprintf(path, sizeof path, "%s/own-file", tmp ? tmp : "/tmp");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    report(call, "own_tmp", fd >= 0, errno);
    if (fd >= 0) close(fd);
  }
  return PW_STATUS_OK;
}

static const pw_plugin_v1 descriptor = {
    sizeof(pw_plugin_v1), PW_KIND_STEP, "isolation.hostile", "1.0.0",
    "tries to escape its isolation, for the isolation tests", "{\"type\":\"object\"}", "{\"type\":\"object\"}",
    run, NULL, NULL,
};

PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1 *n) {
  if (!PW_HAS_MEMBER(n, pw_negotiate_v1, plugin)) return PW_STATUS_FAILED;
  host = n->host;
  n->plugin_abi_minor = 0;
  n->plugin = &descriptor;
  return PW_STATUS_OK;
}
