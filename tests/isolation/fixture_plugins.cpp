// Misbehaving plugins for the process-isolation tests. Which one a build
// produces is chosen by FIXTURE_BEHAVIOUR (see CMakeLists.txt).
#include <pipewright/plugin.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

#define PW_STR2(x) #x
#define PW_STR(x) PW_STR2(x)

struct Fixture {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "isolation." PW_STR(FIXTURE_BEHAVIOUR);
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "misbehaves on purpose for isolation tests";
  static constexpr const char* params_schema = R"({"type":"object"})";
  static constexpr const char* outputs_schema = R"({"type":"object"})";

  void run(pipewright::Call& call) {
    std::string behaviour = PW_STR(FIXTURE_BEHAVIOUR);
    if (behaviour == "crash") {
      std::raise(SIGSEGV);
    } else if (behaviour == "abort") {
      std::abort();
    } else if (behaviour == "hang") {
      // Ignores is_cancelled on purpose.
      std::this_thread::sleep_for(std::chrono::seconds(120));
    } else if (behaviour == "memhog") {
      std::vector<std::vector<char>> hoard;
      for (;;) hoard.emplace_back(64u << 20, 'x');
    } else if (behaviour == "garbage") {
      const char junk[] = "garbage garbage garbage garbage";
      if (::write(3, junk, sizeof junk) < 0) throw pipewright::Failure("write failed");
      std::this_thread::sleep_for(std::chrono::seconds(5));
    } else {
      std::cout << "hello from the child's stdout" << std::endl;
      call.info("isolated hello");
      call.set_output("pid", std::to_string(::getpid()));
      call.set_output("cancelled", call.cancelled() ? "true" : "false");
    }
  }
};

PIPEWRIGHT_PLUGIN(Fixture)
