// pipewright-plugin-host: runs one call of one plugin for a host that asked
// for process isolation. The plugin sees the ordinary ABI; every host
// service it calls is forwarded over fd 3 to the host and answered there.
//
//   pipewright-plugin-host --plugin FILE --private-dir DIR [--memory-limit-mb N]
//       [--allow-read PATH]... [--allow-write PATH]... [--allow-exec PATH]... [--allow-tcp PORT]...
//
// Before the plugin is loaded the process confines itself (confinement.hpp):
// it can read the system's libraries and the plugin, write only DIR, reach
// no network, and signal no other process.
#include <pipewright/host/isolation/confinement.hpp>
#include <pipewright/host/isolation/frame.hpp>
#include <pipewright/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define PW_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PW_ADDRESS_SANITIZER 1
#endif
#endif

namespace {

constexpr int channel = 3;

// Requests from several plugin threads are serialised: each request and its
// answer frames form one exchange on the channel.
std::mutex exchange_mutex;

std::string_view sv(pw_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }

[[noreturn]] void host_gone() {
  // Nothing can be reported any more; the host has already failed the step.
  std::_Exit(70);
}

void send(const boost::json::object& header, std::string_view bytes = {}) {
  if (!pw::isolation::write_frame(channel, header, bytes)) host_gone();
}

// Sends a request and waits for its "reply", delivering "response" frames
// to `on_response` on the way.
std::int64_t ask(const boost::json::object& request, std::string_view bytes = {},
                 pw_http_response_fn on_response = nullptr, void* user = nullptr) {
  std::lock_guard lock(exchange_mutex);
  send(request, bytes);
  for (;;) {
    pw::isolation::Frame frame;
    if (pw::isolation::read_frame(channel, frame) != pw::isolation::ReadStatus::ok) host_gone();
    auto op = pw::isolation::string_field(frame.header, "op");
    if (op == "reply") return pw::isolation::int_field(frame.header, "value");
    if (op == "response" && on_response) {
      auto meta = pw::isolation::string_field(frame.header, "meta");
      on_response(user, {meta.data(), meta.size()}, {frame.bytes.data(), frame.bytes.size()});
    }
  }
}

void tell(const boost::json::object& message) {
  std::lock_guard lock(exchange_mutex);
  send(message);
}

void log_fn(pw_call*, std::int32_t level, pw_str message) {
  tell({{"op", "log"}, {"level", level}, {"message", sv(message)}});
}
pw_status http_fn(pw_call*, pw_str request, pw_str body, pw_http_response_fn cb, void* user) {
  return static_cast<pw_status>(ask({{"op", "http"}, {"request", sv(request)}}, sv(body), cb, user));
}
pw_status http_batch_fn(pw_call*, pw_str batch, pw_http_response_fn cb, void* user) {
  return static_cast<pw_status>(ask({{"op", "http_batch"}, {"request", sv(batch)}}, {}, cb, user));
}
void progress_fn(pw_call*, pw_str json) { tell({{"op", "progress"}, {"json", sv(json)}}); }
std::int32_t is_cancelled_fn(pw_call*) { return static_cast<std::int32_t>(ask({{"op", "is_cancelled"}})); }
std::int64_t deadline_fn(pw_call*) { return ask({{"op", "deadline"}}); }
pw_status set_output_fn(pw_call*, pw_str name, pw_str value, std::int32_t secret) {
  return static_cast<pw_status>(
      ask({{"op", "set_output"}, {"name", sv(name)}, {"value", sv(value)}, {"secret", secret}}));
}
void diagnostic_fn(pw_call*, std::int32_t severity, pw_str summary, pw_str detail, pw_str pointer) {
  tell({{"op", "diagnostic"}, {"severity", severity}, {"summary", sv(summary)},
        {"detail", sv(detail)}, {"pointer", sv(pointer)}});
}

void add_secret_fn(pw_call*, pw_str value) { ask({{"op", "add_secret"}, {"value", sv(value)}}); }

const pw_host_services_v1 services = {
    sizeof(pw_host_services_v1), PW_ABI_MINOR,    log_fn,      http_fn,       http_batch_fn,
    progress_fn,                 is_cancelled_fn, deadline_fn, set_output_fn, diagnostic_fn,
    add_secret_fn,
};

void limit_memory(unsigned long memory_mb) {
#ifdef PW_ADDRESS_SANITIZER
  // ASan maps terabytes of shadow before main, so no address-space cap can
  // fit; cap the private writable memory mapped from here on instead.
  rlim_t now = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmData:", 0) == 0) now = std::strtoull(line.c_str() + 7, nullptr, 10) << 10;
  rlimit memory{now + (rlim_t{memory_mb} << 20), now + (rlim_t{memory_mb} << 20)};
  ::setrlimit(RLIMIT_DATA, &memory);
#else
  rlimit memory{memory_mb << 20, memory_mb << 20};
  ::setrlimit(RLIMIT_AS, &memory);
#endif
}

int refuse(const std::string& why) {
  send({{"op", "diagnostic"}, {"severity", PW_SEVERITY_ERROR}, {"summary", "the isolated plugin could not load"},
        {"detail", why}, {"pointer", ""}});
  send({{"op", "done"}, {"status", PW_STATUS_FAILED}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string plugin_file, private_dir;
  unsigned long memory_mb = 0;
  pw::isolation::Confinement allow;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--plugin") plugin_file = value;
    if (flag == "--private-dir") private_dir = value;
    if (flag == "--memory-limit-mb") memory_mb = std::strtoul(value, nullptr, 10);
    if (flag == "--allow-read") allow.read.emplace_back(value);
    if (flag == "--allow-write") allow.write.emplace_back(value);
    if (flag == "--allow-exec") allow.exec.emplace_back(value);
    if (flag == "--allow-tcp") allow.tcp_ports.push_back(static_cast<std::uint16_t>(std::strtoul(value, nullptr, 10)));
  }
  if (plugin_file.empty() || private_dir.empty() || ::fcntl(channel, F_GETFD) < 0) {
    std::fprintf(stderr, "pipewright-plugin-host is started by pipewright for isolated plugins\n");
    return 2;
  }
  // No core files: a crashing plugin's memory may hold secrets.
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (memory_mb > 0) limit_memory(memory_mb);

  pw::isolation::Frame start;
  if (pw::isolation::read_frame(channel, start) != pw::isolation::ReadStatus::ok ||
      pw::isolation::string_field(start.header, "op") != "run")
    return 70;

  allow.read.push_back(plugin_file);
  allow.write.push_back(private_dir);
  boost::json::array missing;
  for (const auto& m : pw::isolation::confine(allow)) missing.emplace_back(m);
  if (ask({{"op", "confinement"}, {"missing", std::move(missing)}}) != 0) {
    send({{"op", "done"}, {"status", PW_STATUS_FAILED}});
    return 1;
  }

  boost::dll::shared_library library;
  try {
    library.load(plugin_file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return refuse(plugin_file + ": " + e.what());
  }
  if (!library.has(PW_ENTRY_SYMBOL_V1)) return refuse(plugin_file + ": no " PW_ENTRY_SYMBOL_V1);
  auto& negotiate = library.get<pw_status(pw_negotiate_v1*)>(PW_ENTRY_SYMBOL_V1);
  pw_negotiate_v1 n{};
  n.struct_size = sizeof n;
  n.host_abi_major = PW_ABI_MAJOR;
  n.host_abi_minor = PW_ABI_MINOR;
  n.host = &services;
  if (negotiate(&n) != PW_STATUS_OK || n.plugin == nullptr || !PW_HAS_MEMBER(n.plugin, pw_plugin_v1, run) ||
      n.plugin->run == nullptr)
    return refuse(plugin_file + ": negotiation failed");

  auto with = pw::isolation::string_field(start.header, "with");
  auto context = pw::isolation::string_field(start.header, "context");
  // The host owns the call; a null handle is never dereferenced here because
  // every service forwards to the host instead.
  pw_status status = n.plugin->run(n.plugin->plugin_data, nullptr, {with.data(), with.size()},
                                   {context.data(), context.size()});
  // The one run is over and the library unloads when main returns: the
  // plugin's shutdown (ABI 1.3) comes in between, before the host hears
  // "done" and may end this process.
  if (PW_HAS_MEMBER(n.plugin, pw_plugin_v1, shutdown) && n.plugin->shutdown != nullptr)
    n.plugin->shutdown(n.plugin->plugin_data);
  tell({{"op", "done"}, {"status", status}});
  std::fflush(nullptr);
  return 0;
}
