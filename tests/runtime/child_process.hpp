// Runs the real pipewright binary as a child process for integration tests:
// captures stdout/stderr, enforces a timeout, can send a signal after a
// delay, and always reaps the child.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace pw::test {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds elapsed_after_signal{0};
};

struct ProcessOptions {
  std::vector<std::string> args;  // without argv[0]
  std::filesystem::path cwd;      // empty: inherit
  std::map<std::string, std::string> env;  // added to / overriding ours
  std::chrono::milliseconds timeout{60000};
  // Send `signal_number` once this much time passed (or once `signal_when`
  // appears on stdout, if set).
  std::optional<std::chrono::milliseconds> signal_after;
  std::string signal_when;
  int signal_number = SIGINT;
};

inline std::string pipewright_bin() {
  const char* bin = std::getenv("PIPEWRIGHT_BIN");
  if (!bin) throw std::runtime_error("PIPEWRIGHT_BIN is not set; run the test through ctest");
  return bin;
}

inline ProcessResult run_pipewright(const ProcessOptions& options) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  std::string bin = pipewright_bin();
  std::vector<std::string> argv_s{bin};
  argv_s.insert(argv_s.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env_map) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The child must see default signal handling even if the test runner
  // blocks or ignores SIGINT.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + bin);
  }

  ProcessResult result;
  auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> signalled_at;
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    auto now = std::chrono::steady_clock::now();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
    bool signal_due = !signalled_at &&
                      ((options.signal_after && elapsed >= *options.signal_after) ||
                       (!options.signal_when.empty() &&
                        result.out.find(options.signal_when) != std::string::npos));
    if (signal_due) {
      ::kill(pid, options.signal_number);
      signalled_at = now;
    }
    if (elapsed >= options.timeout) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0}, {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    ::poll(fds, 2, 20);
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      } else {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto end = std::chrono::steady_clock::now();
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
  if (signalled_at)
    result.elapsed_after_signal =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - *signalled_at);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace pw::test
