// What an isolated plugin's process may touch, enforced by the kernel from
// inside that process (pipewright-plugin-host) before the plugin is loaded:
// no new privileges, Landlock rules for files and TCP, Landlock scoping of
// signals and abstract sockets, and a seccomp filter that refuses IP
// sockets. Linux only; each layer the kernel lacks is reported, not skipped
// silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pw::isolation {

struct Confinement {
  std::vector<std::string> read;        // files or directories, read only (plus the system's libraries)
  std::vector<std::string> write;       // read and write, create and remove below
  std::vector<std::string> exec;        // may be executed (and read)
  std::vector<std::uint16_t> tcp_ports; // connect() allowed to these ports; empty: no network at all
};

// The Landlock ABI this kernel offers (0 when it has none or it is disabled).
int landlock_abi();

// Applies `c` to the calling process, irrevocably, and returns what the
// kernel could not enforce, each in words a user can act on (empty: all of
// it). Only ever called in the isolated child.
std::vector<std::string> confine(const Confinement& c);

// One line per layer: what `confine` would enforce on this kernel, for
// `pipewright plugins doctor`.
std::vector<std::string> describe_enforcement();

}  // namespace pw::isolation
