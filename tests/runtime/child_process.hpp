// Child processes for the integration tests, in one place: ChildProcess
// spawns a program (environment built from ours, stdin from /dev/null,
// stdout/stderr to pipes or files, default signal handling, optionally its
// own process group), waits for it with a deadline, and stops it (SIGTERM,
// then SIGKILL) when it goes out of scope, so a failed assertion never leaves
// a process behind. run_pipewright() runs the real pipewright binary to
// completion on top of it: captures stdout/stderr, enforces a timeout, can
// send a signal after a delay, and always reaps the child.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace pw::test {

// Our environment without the variables whose names start with one of
// `drop_prefixes`, with `extra` added / overriding, as NAME=VALUE strings.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra,
                                                  const std::vector<std::string>& drop_prefixes = {}) {
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    bool dropped = false;
    for (const auto& prefix : drop_prefixes) dropped = dropped || kv.rfind(prefix, 0) == 0;
    if (!dropped) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env_map[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env_map) env_s.push_back(k + "=" + v);
  return env_s;
}

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program
  bool search_path = false;       // look argv[0] up in PATH (posix_spawnp)
  std::filesystem::path cwd;      // empty: inherit
  std::map<std::string, std::string> env;   // added to / overriding ours
  std::vector<std::string> drop_env_prefixes;  // our variables left out
  // Files (created or truncated, mode 0600) for stdout / stderr; empty: a
  // pipe, read through out_fd() / err_fd().
  std::filesystem::path stdout_file, stderr_file;
  // The child leads a new process group; send_signal() and stop() then
  // reach the whole group.
  bool own_process_group = false;
};

class ChildProcess {
 public:
  explicit ChildProcess(const SpawnOptions& options) : group_(options.own_process_group) {
    if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    std::string name;
    for (const auto& a : options.argv) name += (name.empty() ? "" : " ") + a;
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    auto close_all = [&] {
      for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
        if (fd >= 0) ::close(fd);
    };
    if ((options.stdout_file.empty() && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
        (options.stderr_file.empty() && ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
      close_all();
      throw std::runtime_error("pipe failed");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    constexpr int file_flags = O_WRONLY | O_CREAT | O_TRUNC;
    if (options.stdout_file.empty()) posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    else posix_spawn_file_actions_addopen(&actions, 1, options.stdout_file.c_str(), file_flags, 0600);
    if (options.stderr_file.empty()) posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    else posix_spawn_file_actions_addopen(&actions, 2, options.stderr_file.c_str(), file_flags, 0600);
    if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

    // The child must see default signal handling even if the test runner
    // blocks or ignores some signals (SIGINT, SIGTERM).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (group_) {
      posix_spawnattr_setpgroup(&attr, 0);
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr, flags);

    std::vector<std::string> argv_s = options.argv;
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = child_environment(options.env, options.drop_env_prefixes);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    const int rc = options.search_path
                       ? posix_spawnp(&pid_, argv_s[0].c_str(), &actions, &attr, argv.data(), envp.data())
                       : posix_spawn(&pid_, argv_s[0].c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      pid_ = 0;
      close_all();
      throw std::runtime_error("cannot start " + name);
    }
    for (int* write_end : {&out_pipe[1], &err_pipe[1]})
      if (*write_end >= 0) ::close(*write_end);
    out_fd_ = out_pipe[0];
    err_fd_ = err_pipe[0];
  }
  // Closes the pipes first, so a child blocked writing to one cannot
  // outlast SIGTERM.
  ~ChildProcess() {
    close_output();
    stop();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The read ends of the stdout / stderr pipes (-1 when that went to a file
  // or was closed).
  int out_fd() const { return out_fd_; }
  int err_fd() const { return err_fd_; }
  void close_output() {
    for (int* fd : {&out_fd_, &err_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Once reaped: the exit code, 128+N when killed by signal N (-1 before).
  int exit_code() const { return exit_code_; }
  // Once reaped: whether it exited by itself rather than by a signal.
  bool exited_normally() const { return exited_normally_; }

  // Sends `signal_number` to the child (to its group when it leads one).
  void send_signal(int signal_number) const {
    if (running()) ::kill(group_ ? -pid_ : pid_, signal_number);
  }

  // Reaps the child if it has exited; true once it has been reaped.
  bool try_reap() { return reap(WNOHANG); }
  // Waits until the child exits or `deadline` passes (polling every 1 ms at
  // first, then every 20 ms); true once it has been reaped.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::chrono::milliseconds pause{1};
    while (!try_reap()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
    return true;
  }
  bool wait_for(std::chrono::milliseconds timeout) { return wait_until(std::chrono::steady_clock::now() + timeout); }
  // Waits however long it takes; the exit code. Bound it first with
  // wait_until() or a signal.
  int wait() {
    reap(0);
    return exit_code_;
  }

  // SIGTERM, then SIGKILL when it is still running after `grace`; always
  // reaps. The exit code.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (!running()) return exit_code_;
    send_signal(SIGTERM);
    if (!wait_for(grace)) {
      send_signal(SIGKILL);
      wait();
    }
    return exit_code_;
  }

 private:
  bool reap(int flags) {
    if (!running()) return true;
    int status = 0;
    pid_t r = 0;
    do r = ::waitpid(pid_, &status, flags);
    while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r == pid_) {
      exited_normally_ = WIFEXITED(status);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    }
    pid_ = 0;  // reaped, or no longer ours to wait for
    return true;
  }

  pid_t pid_ = 0;
  bool group_ = false;
  int out_fd_ = -1, err_fd_ = -1;
  int exit_code_ = -1;
  bool exited_normally_ = false;
};

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
  SpawnOptions spawn;
  spawn.argv = {pipewright_bin()};
  spawn.argv.insert(spawn.argv.end(), options.args.begin(), options.args.end());
  spawn.cwd = options.cwd;
  spawn.env = options.env;
  ChildProcess child(spawn);

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
      child.send_signal(options.signal_number);
      signalled_at = now;
    }
    if (elapsed >= options.timeout) {
      result.timed_out = true;
      child.send_signal(SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? child.out_fd() : -1, POLLIN, 0}, {err_open ? child.err_fd() : -1, POLLIN, 0}};
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
  child.close_output();
  // Both pipes closed: the child is exiting, unless it closed them itself;
  // the timeout bounds that wait too.
  if (!result.timed_out && !child.wait_until(start + options.timeout)) {
    result.timed_out = true;
    child.send_signal(SIGKILL);
  }
  result.exit_code = child.wait();
  auto end = std::chrono::steady_clock::now();
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
  if (signalled_at)
    result.elapsed_after_signal =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - *signalled_at);
  return result;
}

}  // namespace pw::test
