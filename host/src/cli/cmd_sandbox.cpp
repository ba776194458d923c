// `pipewright sandbox`: the local Cloudflare API emulator in the foreground.
#include <pipewright/host/cli/cli.hpp>
#include <pipewright/sandbox.hpp>

#include <charconv>
#include <cstdio>
#include <optional>

namespace pw {

std::optional<RateLimitSpec> parse_rate_limit(std::string_view text) {
  if (text == "off") return RateLimitSpec{false, 0, 0};
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto parse = [](std::string_view s, auto& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  RateLimitSpec spec;
  if (!parse(text.substr(0, slash), spec.requests) || !parse(text.substr(slash + 1), spec.seconds) ||
      spec.requests == 0 || spec.seconds <= 0)
    return std::nullopt;
  return spec;
}

std::string rate_limit_problem(std::string_view option, std::string_view text) {
  return "pipewright: " + std::string(option) + " \"" + std::string(text) +
         "\" is not N/SECONDS or off; write it like 1200/300";
}

bool set_sandbox_rate_limit(std::string_view text, sandbox::Options& so) {
  auto spec = parse_rate_limit(text);
  if (!spec) return false;
  so.rate_limit_enabled = spec->enabled;
  if (spec->enabled) {
    so.rate_limit_requests = spec->requests;
    so.rate_limit_window = std::chrono::seconds(spec->seconds);
  }
  return true;
}

int command_sandbox(const SandboxOptions& options) {
  sandbox::Options so;
  auto colon = options.listen.rfind(':');
  unsigned port = 0;
  if (colon == std::string::npos ||
      std::from_chars(options.listen.data() + colon + 1,
                      options.listen.data() + options.listen.size(), port)
              .ec != std::errc() ||
      port > 65535) {
    std::fprintf(stderr,
                 "pipewright: --listen \"%s\" is not ADDRESS:PORT; write it like "
                 "127.0.0.1:8787 (port 0 picks a free one)\n",
                 options.listen.c_str());
    return exit_code::usage;
  }
  so.listen_address = options.listen.substr(0, colon);
  so.port = static_cast<std::uint16_t>(port);
  if (options.s3_port)
    so.s3_port = static_cast<std::uint16_t>(*options.s3_port);
  else if (port != 0 && port < 65535)
    so.s3_port = static_cast<std::uint16_t>(port + 1);
  if (!options.state.empty()) so.state_dir = options.state;
  if (!options.seed.empty()) so.seed_file = options.seed;
  so.faults = options.faults;
  so.edge_listen = options.edge;
  if (!options.rate_limit.empty() && !set_sandbox_rate_limit(options.rate_limit, so)) {
    std::fprintf(stderr, "%s\n", rate_limit_problem("--rate-limit", options.rate_limit).c_str());
    return exit_code::usage;
  }
  try {
    return sandbox::serve_until_signalled(so, options.output == OutputFormat::json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pipewright: the sandbox could not start: %s\n", e.what());
    return exit_code::usage;
  }
}

int command_sandbox_env(const SandboxEnvOptions& options) {
  std::optional<sandbox::StateSettings> state;
  try {
    state = sandbox::read_state_settings(options.state);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pipewright: %s\n", e.what());
    return exit_code::usage;
  }
  const std::string dir = sandbox::shell_quote(options.state);
  if (!state) {
    std::fprintf(stderr,
                 "pipewright: no sandbox has served the state %s yet\n"
                 "  hint: start one with `pipewright sandbox --state %s`, then run this again\n",
                 options.state.c_str(), dir.c_str());
    return exit_code::usage;
  }
  for (const auto& s : state->settings)
    if (!s.env.empty()) std::printf("export %s=%s\n", s.env.c_str(), sandbox::shell_quote(s.value).c_str());
  if (!state->running)
    std::fprintf(stderr,
                 "pipewright: the sandbox of %s is not running (these are the settings it last served with)\n"
                 "  hint: `pipewright sandbox --state %s` serves it again; give --listen with the port above to keep the URL\n",
                 options.state.c_str(), dir.c_str());
  return exit_code::ok;
}

}  // namespace pw
