#include <pipewright/host/isolation/confinement.hpp>

#include <asm/unistd.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

namespace pw::isolation {
namespace {

// The kernel's Landlock ABI (include/uapi/linux/landlock.h). Written out
// here because a Debian 12 build machine's headers stop at ABI 2.
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;  // ABI 4
  std::uint64_t scoped;              // ABI 6
};
struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};
struct NetPortAttr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};
constexpr std::uint32_t kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2;

constexpr std::uint64_t kExecute = 1ULL << 0, kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2, kReadDir = 1ULL << 3,
                        kRemoveDir = 1ULL << 4, kRemoveFile = 1ULL << 5, kMakeChar = 1ULL << 6,
                        kMakeDir = 1ULL << 7, kMakeReg = 1ULL << 8, kMakeSock = 1ULL << 9, kMakeFifo = 1ULL << 10,
                        kMakeBlock = 1ULL << 11, kMakeSym = 1ULL << 12, kRefer = 1ULL << 13,
                        kTruncate = 1ULL << 14, kIoctlDev = 1ULL << 15;
constexpr std::uint64_t kBindTcp = 1ULL << 0, kConnectTcp = 1ULL << 1;
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0, kScopeSignal = 1ULL << 1;

// Every file right the ABI knows: what is handled is denied unless a rule
// grants it.
std::uint64_t fs_rights(int abi) {
  std::uint64_t all = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile | kMakeChar |
                      kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;
  if (abi >= 2) all |= kRefer;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

constexpr std::uint64_t kRead = kReadFile | kReadDir;

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

long create_ruleset(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
  return ::syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

// The system's libraries and what a dynamic loader, libc and OpenSSL read.
const char* const kSystemRead[] = {"/usr",           "/lib",          "/lib64",       "/lib32",
                                   "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                                   "/etc/ssl",       "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
                                   "/dev/urandom",   "/dev/random",   "/sys/devices/system/cpu",
                                   // What libc, the C++ runtime and the sanitizers read of their own
                                   // process; not /proc/self/net, mounts or other processes.
                                   "/proc/self/maps", "/proc/self/status", "/proc/self/stat", "/proc/self/statm",
                                   "/proc/self/task", "/proc/self/fd", "/proc/self/auxv", "/proc/self/cmdline",
                                   "/proc/self/exe"};
const char* const kSystemWrite[] = {"/dev/null"};

// A system path that does not exist grants nothing and is not an error
// (/lib32 is missing on most machines); a declared one is reported.
bool add_path(int ruleset, const std::string& path, std::uint64_t access, std::uint64_t handled,
              std::vector<std::string>* missing = nullptr) {
  const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (missing) missing->push_back("the declared path " + path + " cannot be opened (" + std::strerror(errno) + ")");
    return missing || errno == ENOENT || errno == ENOTDIR || errno == EACCES;
  }
  struct stat st {};
  // A rule on a file may carry only the rights that apply to files.
  if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) access &= kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
  PathBeneathAttr rule{access & handled, fd};
  const long rc = ::syscall(__NR_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0);
  ::close(fd);
  return rc == 0;
}

// seccomp, an allowlist for socket(): nothing but TCP over IPv4/IPv6, and
// that only when the step declared ports (Landlock then keeps the other
// ports closed). Unix sockets too are refused — a pathname socket (a D-Bus
// session, an agent, a container daemon) would be a way out that Landlock
// does not cover; the channel to the host is already open, and socketpair()
// stays allowed. io_uring, which could open sockets beside socket(), is not
// available, and a call of another ABI (x32 numbers, i386 via int 0x80) is
// refused or kills the process.
#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr std::uint32_t kAuditArch = 0;
#endif

bool restrict_sockets(bool tcp) {
  if (kAuditArch == 0) {
    errno = ENOSYS;
    return false;
  }
  constexpr std::uint32_t kDeny = SECCOMP_RET_ERRNO | EACCES;
  std::vector<sock_filter> filter = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      /* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
      /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      /* 7 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
      /* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  if (!tcp) {
    /* 10 */ filter.push_back(BPF_STMT(BPF_RET | BPF_K, kDeny));
  } else {
    const std::vector<sock_filter> stream = {
        /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
        /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0),
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 4),
        /* 13 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1])),
        /* 14 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),  // the type, without SOCK_CLOEXEC/NONBLOCK
        /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 0, 1),
        /* 16 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 17 */ BPF_STMT(BPF_RET | BPF_K, kDeny),
    };
    filter.insert(filter.end(), stream.begin(), stream.end());
  }
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  // Every thread of the process, should a library have started one.
  return ::syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program) == 0;
}

}  // namespace

int landlock_abi() {
  const long abi = create_ruleset(nullptr, 0, kCreateRulesetVersion);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

std::vector<std::string> confine(const Confinement& c) {
  std::vector<std::string> missing;
  // Without it neither Landlock nor seccomp may be applied by an
  // unprivileged process; with it no exec'd program gains privileges.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    missing.push_back(std::string("no_new_privs could not be set (") + std::strerror(errno) + ")");
    return missing;
  }
  const int abi = landlock_abi();
  if (abi == 0) {
    missing.push_back("the kernel offers no Landlock: files, TCP and signals are not confined");
  } else {
    RulesetAttr attr{fs_rights(abi), abi >= 4 ? (kBindTcp | kConnectTcp) : 0,
                     abi >= 6 ? (kScopeAbstractUnix | kScopeSignal) : 0};
    // An older kernel reads only the members it knows.
    const std::size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? offsetof(RulesetAttr, scoped)
                                                                : offsetof(RulesetAttr, handled_access_net);
    const long ruleset = create_ruleset(&attr, size, 0);
    if (ruleset < 0) {
      missing.push_back(std::string("Landlock refused the ruleset (") + std::strerror(errno) + ")");
    } else {
      const int fd = static_cast<int>(ruleset);
      const std::uint64_t handled = attr.handled_access_fs;
      const std::uint64_t write_access = handled & ~kExecute;
      bool ok = true;
      for (const char* p : kSystemRead) ok = add_path(fd, p, kRead, handled) && ok;
      for (const char* p : kSystemWrite) ok = add_path(fd, p, kRead | kWriteFile, handled) && ok;
      for (const auto& p : c.read) ok = add_path(fd, p, kRead, handled, &missing) && ok;
      for (const auto& p : c.write) ok = add_path(fd, p, write_access, handled, &missing) && ok;
      for (const auto& p : c.exec) ok = add_path(fd, p, kRead | kExecute, handled, &missing) && ok;
      // The kernel opens a dynamic program's loader for execution too.
      if (!c.exec.empty())
        for (const char* loader : {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"})
          ok = add_path(fd, loader, kRead | kExecute, handled) && ok;
      if (abi >= 4)
        for (auto port : c.tcp_ports) {
          NetPortAttr rule{kConnectTcp, port};
          ok = ::syscall(__NR_landlock_add_rule, fd, kRuleNetPort, &rule, 0) == 0 && ok;
        }
      if (!ok) missing.push_back("a declared path or port could not be added to the Landlock rules");
      if (::syscall(__NR_landlock_restrict_self, fd, 0) != 0) {
        missing.push_back(std::string("Landlock could not be applied (") + std::strerror(errno) + ")");
      } else {
        if (abi < 4) missing.push_back("Landlock ABI " + std::to_string(abi) + " < 4: TCP is not confined");
        if (abi < 6)
          missing.push_back("Landlock ABI " + std::to_string(abi) + " < 6: signals to other processes are not confined");
      }
      ::close(fd);
    }
  }
  if (!restrict_sockets(!c.tcp_ports.empty()))
    missing.push_back(std::string("seccomp is unavailable (") + std::strerror(errno) + ")");
  return missing;
}

std::vector<std::string> describe_enforcement() {
  std::vector<std::string> lines;
  const int abi = landlock_abi();
  if (abi == 0) {
    lines.push_back("Landlock: not offered by this kernel; isolated plugins can read and write every file the user can");
  } else {
    lines.push_back("Landlock ABI " + std::to_string(abi) +
                    ": files confined to the system's libraries, the plugin, its temporary directory and what a step declares");
    lines.push_back(abi >= 4 ? "TCP: connect and bind refused unless a step declares a port"
                             : "TCP: not confined by Landlock (ABI < 4); IP sockets are refused by seccomp");
    lines.push_back(abi >= 6 ? "signals and abstract Unix sockets: scoped to the plugin's own process"
                             : "signals and abstract Unix sockets: not scoped (ABI < 6)");
  }
  lines.push_back(kAuditArch != 0 ? "seccomp: no socket() but TCP to declared ports (Unix, UDP, raw refused), io_uring unavailable"
                                  : "seccomp: not available on this architecture; sockets are not restricted");
  lines.push_back("environment: only PATH, LANG, LC_*, TZ, HOME and TMPDIR (private) and what a step declares");
  return lines;
}

}  // namespace pw::isolation
