#include <pipewright/host/isolation/frame.hpp>
#include <pipewright/host/isolation/isolation.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace pw {
namespace {

using Clock = std::chrono::steady_clock;

// Lives as long as the isolated LoadedPlugin (owned through its `library`).
struct Isolated {
  std::shared_ptr<const LoadedPlugin> original;
  const pw_host_services_v1* services = nullptr;
  IsolationLimits limits;
  std::once_flag warned;  // what the kernel could not enforce is said once
};

// The child's environment: the locale, the time zone and a search path, its
// own HOME and TMPDIR, the sanitizers' options (test builds), and what the
// step declared. Nothing else of the host's crosses: no credential, no token.
std::vector<std::string> child_environment(const std::vector<std::string>& declared, const std::string& home) {
  std::vector<std::string> out{"HOME=" + home, "TMPDIR=" + home};
  auto wanted = [&](std::string_view name) {
    if (name == "PATH" || name == "LANG" || name == "TZ" || name.starts_with("LC_")) return true;
    return name == "ASAN_OPTIONS" || name == "UBSAN_OPTIONS" || name == "LSAN_OPTIONS";
  };
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && wanted(entry.substr(0, eq))) out.emplace_back(entry);
  }
  out.insert(out.end(), declared.begin(), declared.end());
  return out;
}

// A private directory for one call, removed with everything in it after.
std::string make_private_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/pipewright-isolated-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error(std::string("cannot create a private temporary directory: ") + std::strerror(errno));
  return pattern;
}

pw_str view(std::string_view s) { return {s.data(), s.size()}; }

std::filesystem::path default_helper() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return exe.parent_path() / "pipewright-plugin-host";
}

// Moves `fd` to a number above the standard ones and 3, keeping CLOEXEC, so
// that the child's dup2 onto 3 always clears CLOEXEC on a distinct fd.
int lift(int fd) {
  if (fd > 3) return fd;
  int lifted = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return lifted;
}

// One isolated call: the child process, its channel and its output pipe.
class Session {
 public:
  Session(const Isolated& iso, pw_call* call) : iso_(iso), host_(*iso.services), call_(call) {}
  ~Session() { reap(true); }

  pw_status run(pw_str with, pw_str context) {
    private_dir_ = make_private_dir();
    if (!spawn()) return PW_STATUS_FAILED;
    boost::json::object start{{"op", "run"},
                              {"with", std::string_view(with.ptr ? with.ptr : "", with.len)},
                              {"context", std::string_view(context.ptr ? context.ptr : "", context.len)}};
    if (!isolation::write_frame(channel_, start)) return crashed();
    return serve();
  }

 private:
  bool spawn() {
    int sv[2];
    int out[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      fail("could not start the isolated process", std::strerror(errno));
      return false;
    }
    channel_ = sv[0];
    output_ = out[0];
    int child_channel = lift(sv[1]);
    int child_output = lift(out[1]);
    auto helper = iso_.limits.helper.empty() ? default_helper() : iso_.limits.helper;
    std::string memory = std::to_string(iso_.limits.memory_mb);
    std::string file = iso_.original->file.string();
    std::string helper_path = helper.string();
    std::vector<std::string> args = {helper_path, "--plugin", file, "--memory-limit-mb", memory, "--private-dir",
                                     private_dir_};
    const auto& allow = iso_.limits.allow;
    for (const auto& p : allow.read) args.insert(args.end(), {"--allow-read", p});
    for (const auto& p : allow.write) args.insert(args.end(), {"--allow-write", p});
    for (const auto& p : allow.exec) args.insert(args.end(), {"--allow-exec", p});
    for (auto port : allow.tcp_ports) args.insert(args.end(), {"--allow-tcp", std::to_string(port)});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = child_environment(iso_.limits.env, private_dir_);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, child_output, 1);
    posix_spawn_file_actions_adddup2(&actions, child_output, 2);
    posix_spawn_file_actions_adddup2(&actions, child_channel, 3);
    // No descriptor of the host's but these four, CLOEXEC or not.
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    // A process group of its own, so that whatever the plugin starts is
    // killed with it.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    int rc = ::posix_spawn(&pid_, helper_path.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    ::close(child_channel);
    ::close(child_output);
    if (rc != 0) {
      pid_ = -1;
      fail("could not start the isolated process",
           helper_path + ": " + std::strerror(rc) + " (is pipewright-plugin-host installed beside pipewright?)");
      return false;
    }
    return true;
  }

  pw_status serve() {
    std::optional<Clock::time_point> kill_at;
    for (;;) {
      pollfd fds[2] = {{channel_, POLLIN, 0}, {output_, POLLIN, 0}};
      int n = ::poll(fds, output_ >= 0 ? 2 : 1, 100);
      if (n < 0 && errno != EINTR) return crashed();
      if (output_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) forward_output();
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        isolation::Frame frame;
        auto status = isolation::read_frame(channel_, frame, 0);
        if (status == isolation::ReadStatus::closed) return crashed();
        if (status == isolation::ReadStatus::malformed) return broke_protocol("an unreadable frame");
        if (status == isolation::ReadStatus::ok) {
          auto op = isolation::string_field(frame.header, "op");
          if (op == "done") {
            auto result = static_cast<pw_status>(isolation::int_field(frame.header, "status", PW_STATUS_FAILED));
            drain_output();
            reap(false);
            return result;
          }
          // The child says how it is confined before anything else; a helper
          // that does not (an older one) is never trusted with a plugin.
          if (!confined_ && op != "confinement") return broke_protocol("'" + op.substr(0, 40) + "' before its confinement");
          if (!handle(op, frame)) return broke_protocol("an unknown request '" + op.substr(0, 40) + "'");
        }
      }
      // A plugin that ignores cancellation gets kill_grace to return.
      bool overdue = host_.is_cancelled(call_) != 0;
      if (auto deadline = host_.deadline(call_); deadline > 0) {
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
        overdue = overdue || now_ms >= deadline;
      }
      if (overdue && !kill_at) kill_at = Clock::now() + iso_.limits.kill_grace;
      if (kill_at && Clock::now() >= *kill_at) {
        reap(true);
        fail("did not return after its deadline or cancellation; its isolated process was killed",
             "the plugin ignored is_cancelled() for " +
                 std::to_string(iso_.limits.kill_grace.count()) + " ms");
        return host_.is_cancelled(call_) ? PW_STATUS_CANCELLED : PW_STATUS_FAILED;
      }
    }
  }

  // Serves one request of the child with the real host services.
  bool handle(const std::string& op, const isolation::Frame& frame) {
    const auto& h = frame.header;
    auto text = [&](std::string_view key) { return isolation::string_field(h, key); };
    if (op == "log") {
      auto message = text("message");
      host_.log(call_, static_cast<std::int32_t>(isolation::int_field(h, "level", PW_LOG_INFO)), view(message));
      return true;
    }
    if (op == "progress") {
      auto json = text("json");
      host_.progress(call_, view(json));
      return true;
    }
    if (op == "diagnostic") {
      auto summary = text("summary"), detail = text("detail"), pointer = text("pointer");
      host_.diagnostic(call_, static_cast<std::int32_t>(isolation::int_field(h, "severity", PW_SEVERITY_ERROR)),
                       view(summary), view(detail), view(pointer));
      return true;
    }
    if (op == "add_secret") {
      // Answered, so the secret is registered before the plugin goes on.
      auto value = text("value");
      if (PW_HAS_MEMBER(&host_, pw_host_services_v1, add_secret) && host_.add_secret)
        host_.add_secret(call_, view(value));
      return reply(0);
    }
    if (op == "confinement") return confinement(h);
    if (op == "is_cancelled") return reply(host_.is_cancelled(call_));
    if (op == "deadline") return reply(host_.deadline(call_));
    if (op == "set_output") {
      auto name = text("name"), value = text("value");
      return reply(host_.set_output(call_, view(name), view(value),
                                    static_cast<std::int32_t>(isolation::int_field(h, "secret", 0))));
    }
    if (op == "http" || op == "http_batch") {
      auto request = text("request");
      auto deliver = [](void* user, pw_str meta, pw_str body) {
        auto* self = static_cast<Session*>(user);
        boost::json::object header{{"op", "response"}, {"meta", std::string_view(meta.ptr, meta.len)}};
        isolation::write_frame(self->channel_, header, std::string_view(body.ptr ? body.ptr : "", body.len));
      };
      pw_status status = op == "http"
          ? host_.http(call_, view(request), view(frame.bytes), deliver, this)
          : host_.http_batch(call_, view(request), deliver, this);
      return reply(status);
    }
    return false;
  }

  // The child says what the kernel would not enforce before it loads the
  // plugin: a warning once, or (strict) the end of the call.
  bool confinement(const boost::json::object& h) {
    confined_ = true;
    std::string missing;
    if (const auto* list = h.if_contains("missing"); list && list->is_array())
      for (const auto& m : list->as_array())
        if (m.is_string()) missing += (missing.empty() ? "" : "; ") + std::string(m.as_string());
    if (missing.empty()) return reply(0);
    if (iso_.limits.strict) {
      fail("was not run: its isolation could not be fully enforced (--isolation-strict)", missing);
      return reply(1);
    }
    std::call_once(const_cast<Isolated&>(iso_).warned, [&] {
      std::string text = "isolation of " + iso_.original->name + " is weaker than asked: " + missing;
      host_.log(call_, PW_LOG_WARN, view(text));
    });
    return reply(0);
  }

  bool reply(std::int64_t value) {
    isolation::write_frame(channel_, {{"op", "reply"}, {"value", value}});
    return true;
  }

  // Plugin stdout/stderr become log lines, so they are masked like any log.
  void forward_output() {
    char buf[4096];
    ssize_t n = ::read(output_, buf, sizeof buf);
    if (n <= 0) {
      ::close(output_);
      output_ = -1;
      flush_line(true);
      return;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    flush_line(false);
  }
  void drain_output() {
    while (output_ >= 0) {
      pollfd p{output_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) break;
      forward_output();
    }
    flush_line(true);
  }
  void flush_line(bool all) {
    std::size_t pos;
    while ((pos = pending_.find('\n')) != std::string::npos || (all && !pending_.empty())) {
      std::string line = pending_.substr(0, pos == std::string::npos ? pending_.size() : pos);
      pending_.erase(0, pos == std::string::npos ? pending_.size() : pos + 1);
      host_.log(call_, PW_LOG_INFO, view(line));
    }
  }

  pw_status crashed() {
    drain_output();
    int status = reap(false);
    std::string what;
    if (status >= 0 && WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      what = "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
    } else if (status >= 0 && WIFEXITED(status)) {
      what = "exited with status " + std::to_string(WEXITSTATUS(status)) + " before finishing the call";
    } else {
      what = "the isolated process vanished";
    }
    fail("crashed in its isolated process", what + "; the host and other steps carry on");
    return PW_STATUS_FAILED;
  }

  pw_status broke_protocol(const std::string& what) {
    reap(true);
    fail("broke the isolation protocol and was stopped", "the plugin process sent " + what);
    return PW_STATUS_FAILED;
  }

  void fail(const std::string& summary, const std::string& detail) {
    std::string text = "plugin " + iso_.original->name + " " + summary;
    host_.diagnostic(call_, PW_SEVERITY_ERROR, view(text), view(detail), view(""));
  }

  // Waits for the child (killing it first when asked); returns its wait
  // status, or -1 when there is none.
  int reap(bool kill_first) {
    int status = -1;
    if (pid_ > 0) {
      if (kill_first) ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      // What the plugin started outlives neither the call nor its directory.
      ::kill(-pid_, SIGKILL);
      pid_ = -1;
    }
    if (channel_ >= 0) ::close(channel_), channel_ = -1;
    if (output_ >= 0) ::close(output_), output_ = -1;
    if (!private_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(private_dir_, ec);
      private_dir_.clear();
    }
    return status;
  }

  const Isolated& iso_;
  const pw_host_services_v1& host_;
  pw_call* call_;
  pid_t pid_ = -1;
  int channel_ = -1;
  int output_ = -1;
  std::string private_dir_;  // the child's HOME and TMPDIR, removed after the call
  bool confined_ = false;    // the child reported its confinement
  std::string pending_;
};

pw_status isolated_run(void* data, pw_call* call, pw_str with, pw_str context) noexcept {
  const auto& iso = *static_cast<const Isolated*>(data);
  try {
    Session session(iso, call);
    return session.run(with, context);
  } catch (const std::exception& e) {
    std::string summary = "plugin " + iso.original->name + " could not run isolated";
    std::string detail = e.what();
    iso.services->diagnostic(call, PW_SEVERITY_ERROR, view(summary), view(detail), view(""));
    return PW_STATUS_FAILED;
  }
}

}  // namespace

std::shared_ptr<const LoadedPlugin> isolate(std::shared_ptr<const LoadedPlugin> plugin,
                                            const pw_host_services_v1* services,
                                            IsolationLimits limits) {
  auto iso = std::make_shared<Isolated>();
  iso->original = plugin;
  iso->services = services;
  iso->limits = std::move(limits);
  auto copy = std::make_shared<LoadedPlugin>(*plugin);
  copy->run = &isolated_run;
  copy->plugin_data = iso.get();
  // The isolated copy keeps both the original library and its own state.
  copy->library = std::shared_ptr<void>(iso, iso.get());
  return copy;
}

}  // namespace pw
