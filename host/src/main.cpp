// The pipewright executable: everything lives in the cli room (run_cli).
#include <pipewright/host/cli/cli.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  // No core files: a crash must not write the run's secrets to disk.
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  try {
    return pw::run_cli(argc, argv);
  } catch (const std::exception& e) {
    // Only a bug gets here; user mistakes are reported where they happen.
    std::fprintf(stderr, "pipewright: internal error: %s\n  hint: please report this\n", e.what());
    return 70;
  }
}
