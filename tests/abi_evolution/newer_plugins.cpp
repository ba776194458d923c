// Two plugins built against today's SDK (ABI 1.1 or later) that use add_secret, the
// service 1.1 added. ABIEVO_REQUIRE_NEW chooses how each meets an older host:
// refuse to load (min_host_minor), or load and fall back at run time.
#include <pipewright/plugin.hpp>

struct Newer {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
#if ABIEVO_REQUIRE_NEW
  static constexpr const char* name = "abievo.step.needs_new";
  static constexpr std::uint32_t min_host_minor = 1;
#else
  static constexpr const char* name = "abievo.step.fallback";
#endif
  static constexpr const char* version = "1.1.0";
  static constexpr const char* description = "Masks a value with add_secret when the host has it";
  static constexpr const char* params_schema = R"({"type":"object"})";
  static constexpr const char* outputs_schema =
      R"({"type":"object","properties":{"masked_by":{"type":"string"}}})";
  static constexpr const char* documentation =
      "# abievo\nUses `add_secret` (ABI 1.1) and falls back on older hosts.";

  void run(pipewright::Call& call) {
    bool masked = call.add_secret("an-intermediate-credential");
    call.set_output("masked_by", masked ? R"("host")" : R"("none")");
  }
};

PIPEWRIGHT_PLUGIN(Newer)
