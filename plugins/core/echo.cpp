// core.echo: sets the outputs it is given. Used by examples and by tests of
// the runtime (delays, cancellation, failures, retries).
#include <chrono>
#include <cstdint>
#include <pipewright/plugin_json.hpp>
#include <string>
#include <thread>

namespace {

std::int64_t int_or(const boost::json::object& o, std::string_view key, std::int64_t fallback) {
  if (const auto* v = o.if_contains(key); v && v->is_int64()) return v->as_int64();
  if (const auto* v = o.if_contains(key); v && v->is_uint64())
    return static_cast<std::int64_t>(v->as_uint64());
  return fallback;
}

struct Echo {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "core.echo";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Sets one output per key of `values`; can wait, fail or fail the first attempts";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "properties": {
      "values": {"type": "object", "description": "each key becomes an output with its value"},
      "secret": {"type": "boolean", "default": false, "description": "mark every output secret"},
      "delay_ms": {"type": "integer", "minimum": 0, "description": "wait this long first (cancellable)"},
      "fail": {"type": "string", "description": "fail with this message"},
      "fail_attempts": {"type": "integer", "minimum": 0, "description": "fail while context.attempt <= N"}
    },
    "additionalProperties": false
  })json";
  static constexpr const char* outputs_schema =
      R"json({"type": "object", "additionalProperties": true})json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);

    const auto delay = std::chrono::milliseconds(int_or(with, "delay_ms", 0));
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
      call.throw_if_cancelled();
      auto left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(10)));
    }
    call.throw_if_cancelled();

    const std::int64_t fail_attempts = int_or(with, "fail_attempts", 0);
    const std::int64_t attempt = int_or(pipewright::context_object(call), "attempt", 1);
    if (attempt <= fail_attempts) {
      throw pipewright::Failure("core.echo: attempt " + std::to_string(attempt) +
                                    " fails as asked (fail_attempts " +
                                    std::to_string(fail_attempts) + ")",
                                {}, "/fail_attempts");
    }
    if (const auto* fail = with.if_contains("fail"); fail && fail->is_string())
      throw pipewright::Failure(std::string(fail->as_string()), {}, "/fail");

    bool secret = false;
    if (const auto* s = with.if_contains("secret"); s && s->is_bool()) secret = s->as_bool();
    if (const auto* values = with.if_contains("values"); values && values->is_object()) {
      for (const auto& [key, value] : values->as_object())
        pipewright::set_output(call, key, value, secret);
    }
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(Echo)
