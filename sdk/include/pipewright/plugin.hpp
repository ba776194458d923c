// Header-only C++ wrapper over plugin.h. It gives plugin authors RAII,
// std::string_view and exceptions on their side of the boundary; nothing C++
// ever crosses it. Needs only the standard library.
//
// A plugin is one class and one macro:
//
//   struct Echo {
//     static constexpr pipewright::Kind kind = pipewright::Kind::step;
//     static constexpr const char* name = "core.echo";
//     static constexpr const char* version = "1.0.0";
//     static constexpr const char* description = "Outputs what it is given";
//     static constexpr const char* params_schema = R"({"type":"object"})";
//     static constexpr const char* outputs_schema = R"({"type":"object"})";
//     void run(pipewright::Call& call);   // throw pipewright::Failure to fail
//   };
//   PIPEWRIGHT_PLUGIN(Echo)
//
// Optional: `static constexpr std::uint32_t min_host_minor = N;` refuses to
// load on a host that offers a lower ABI minor; without it the plugin loads
// on any 1.x host and Call falls back where a newer service is missing.
// Optional: `static constexpr const char* documentation = "...";` (ABI 1.1),
// long Markdown help shown by `pipewright plugins show`.
// Optional: `static void shutdown();` (ABI 1.3) runs once before the library
// is unloaded, after the last run; an exception it throws is swallowed.
#ifndef PIPEWRIGHT_PLUGIN_HPP
#define PIPEWRIGHT_PLUGIN_HPP

#include <pipewright/plugin.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace pipewright {

enum class Kind : std::int32_t {
  auth = PW_KIND_AUTH,
  check = PW_KIND_CHECK,
  step = PW_KIND_STEP,
};

enum class Severity : std::int32_t {
  error = PW_SEVERITY_ERROR,
  warning = PW_SEVERITY_WARNING,
  info = PW_SEVERITY_INFO,
};

enum class LogLevel : std::int32_t {
  debug = PW_LOG_DEBUG,
  info = PW_LOG_INFO,
  warn = PW_LOG_WARN,
  error = PW_LOG_ERROR,
};

// Thrown by plugin code to fail the step with a diagnostic. `pointer` is a
// JSON Pointer into the step's `with` ("/path") naming the culprit, or empty.
class Failure : public std::runtime_error {
 public:
  explicit Failure(std::string summary, std::string detail = {},
                   std::string pointer = {})
      : std::runtime_error(std::move(summary)),
        detail_(std::move(detail)),
        pointer_(std::move(pointer)) {}
  const std::string& detail() const noexcept { return detail_; }
  const std::string& pointer() const noexcept { return pointer_; }

 private:
  std::string detail_;
  std::string pointer_;
};

// Thrown by Call::throw_if_cancelled(); the wrapper turns it into
// PW_STATUS_CANCELLED.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

inline pw_str to_pw(std::string_view s) noexcept { return {s.data(), s.size()}; }
inline std::string_view from_pw(pw_str s) noexcept {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

// Quotes `s` as a JSON string literal, for building small JSON texts
// without a JSON library.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// One HTTP exchange as the host reported it: the meta JSON (status, headers,
// error, outcome; see pw_http_response_fn) and the raw body, both copied.
struct HttpExchange {
  std::string meta_json;
  std::string body;
};

// The plugin's view of one `run`. Valid only inside run(); not copyable.
class Call {
 public:
  Call(const pw_host_services_v1* host, pw_call* call, pw_str with,
       pw_str context) noexcept
      : host_(host), call_(call), with_(from_pw(with)), context_(from_pw(context)) {}
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  std::string_view with_json() const noexcept { return with_; }
  std::string_view context_json() const noexcept { return context_; }
  const pw_host_services_v1& host() const noexcept { return *host_; }
  // The highest ABI minor the host implements: what a request member or a
  // service newer than 1.0 needs checked against.
  std::uint32_t host_abi_minor() const noexcept { return host_->abi_minor; }
  pw_call* handle() const noexcept { return call_; }

  void log(LogLevel level, std::string_view message) const {
    host_->log(call_, static_cast<std::int32_t>(level), to_pw(message));
  }
  void info(std::string_view message) const { log(LogLevel::info, message); }
  void warn(std::string_view message) const { log(LogLevel::warn, message); }

  HttpExchange http(std::string_view request_json, std::string_view body = {}) const {
    HttpExchange out;
    auto status = host_->http(call_, to_pw(request_json), to_pw(body), &store, &out);
    check_service_status(status, "http");
    return out;
  }

  // Calls `each(meta_json, body)` once per request as each one completes.
  void http_batch(std::string_view batch_json,
                  const std::function<void(std::string_view, std::string_view)>& each) const {
    auto status = host_->http_batch(call_, to_pw(batch_json), &forward,
                                    const_cast<void*>(static_cast<const void*>(&each)));
    check_service_status(status, "http_batch");
  }

  void progress(std::string_view progress_json) const {
    host_->progress(call_, to_pw(progress_json));
  }
  // Masks `value` everywhere from now on (ABI 1.1). Returns false on an older
  // host that lacks the service; the caller decides how to fall back.
  bool add_secret(std::string_view value) const {
    if (!PW_HAS_MEMBER(host_, pw_host_services_v1, add_secret) || host_->add_secret == nullptr)
      return false;
    host_->add_secret(call_, to_pw(value));
    return true;
  }

  bool cancelled() const noexcept { return host_->is_cancelled(call_) != 0; }
  void throw_if_cancelled() const {
    if (cancelled()) throw Cancelled();
  }
  std::int64_t deadline_ms() const noexcept { return host_->deadline(call_); }

  void set_output(std::string_view name, std::string_view value_json,
                  bool secret = false) const {
    auto status = host_->set_output(call_, to_pw(name), to_pw(value_json), secret ? 1 : 0);
    if (status != PW_STATUS_OK)
      throw Failure("the host refused output '" + std::string(name) + "'",
                    "its value must be valid JSON");
  }
  void diagnostic(Severity severity, std::string_view summary,
                  std::string_view detail = {}, std::string_view pointer = {}) const {
    host_->diagnostic(call_, static_cast<std::int32_t>(severity), to_pw(summary),
                      to_pw(detail), to_pw(pointer));
  }

 private:
  static void store(void* user, pw_str meta, pw_str body) noexcept {
    auto* out = static_cast<HttpExchange*>(user);
    try {
      out->meta_json.assign(from_pw(meta));
      out->body.assign(from_pw(body));
    } catch (...) {
      out->meta_json = R"({"status":0,"error":"out of memory","outcome":"failed"})";
    }
  }
  static void forward(void* user, pw_str meta, pw_str body) noexcept {
    auto* each = static_cast<const std::function<void(std::string_view, std::string_view)>*>(user);
    try {
      (*each)(from_pw(meta), from_pw(body));
    } catch (...) {
      // An exception cannot cross the C boundary; the plugin's callback is
      // expected to record failures itself.
    }
  }
  void check_service_status(pw_status status, const char* service) const {
    if (status == PW_STATUS_CANCELLED) throw Cancelled();
    if (status == PW_STATUS_BAD_INPUT)
      throw Failure(std::string("the host rejected a malformed ") + service + " request");
  }

  const pw_host_services_v1* host_;
  pw_call* call_;
  std::string_view with_;
  std::string_view context_;
};

namespace detail {

// The host table handed over at negotiation; one per plugin library, set
// once before any run.
template <class P>
inline const pw_host_services_v1* host_services = nullptr;

template <class P>
concept HasMinHostMinor = requires { P::min_host_minor; };

template <class P>
constexpr const char* documentation_of() {
  if constexpr (requires { P::documentation; })
    return P::documentation;
  else
    return nullptr;
}

template <class P>
pw_status run(void*, pw_call* call, pw_str with, pw_str context) noexcept {
  const pw_host_services_v1* host = host_services<P>;
  auto report = [&](std::string_view summary, std::string_view detail,
                    std::string_view pointer) noexcept {
    host->diagnostic(call, PW_SEVERITY_ERROR, to_pw(summary), to_pw(detail), to_pw(pointer));
  };
  try {
    Call c(host, call, with, context);
    P plugin;
    plugin.run(c);
    return PW_STATUS_OK;
  } catch (const Cancelled&) {
    return PW_STATUS_CANCELLED;
  } catch (const Failure& f) {
    report(f.what(), f.detail(), f.pointer());
  } catch (const std::exception& e) {
    std::string summary = std::string(P::name) + " failed unexpectedly";
    report(summary, e.what(), {});
  } catch (...) {
    std::string summary = std::string(P::name) + " failed unexpectedly";
    report(summary, "unknown exception", {});
  }
  return PW_STATUS_FAILED;
}

template <class P>
void shutdown(void*) noexcept {
  try {
    P::shutdown();
  } catch (...) {
    // Nothing may unwind into the host, and nobody is left to tell.
  }
}

template <class P>
constexpr pw_shutdown_fn shutdown_of() {
  if constexpr (requires { P::shutdown(); })
    return &shutdown<P>;
  else
    return nullptr;
}

template <class P>
pw_status negotiate(pw_negotiate_v1* n) noexcept {
  static const pw_plugin_v1 descriptor = {PW_STRUCT_INIT(pw_plugin_v1),
                                          .kind = static_cast<std::int32_t>(P::kind),
                                          .name = P::name,
                                          .version = P::version,
                                          .description = P::description,
                                          .params_schema = P::params_schema,
                                          .outputs_schema = P::outputs_schema,
                                          .run = &run<P>,
                                          .plugin_data = nullptr,
                                          .documentation = documentation_of<P>(),
                                          .shutdown = shutdown_of<P>()};
  if (!PW_HAS_MEMBER(n, pw_negotiate_v1, plugin))
    return PW_STATUS_FAILED;
  if constexpr (HasMinHostMinor<P>) {
    if (n->host_abi_minor < P::min_host_minor) {
      // refusal lies after plugin: a shorter struct gets the minor alone.
      if (PW_HAS_MEMBER(n, pw_negotiate_v1, refusal))
        n->refusal = "this plugin needs a newer pipewright host (higher ABI minor)";
      n->plugin_abi_minor = P::min_host_minor;  // the minor it needs, for the host's message
      return PW_STATUS_FAILED;
    }
  }
  host_services<P> = n->host;
  n->plugin_abi_minor = PW_ABI_MINOR < n->host_abi_minor ? PW_ABI_MINOR : n->host_abi_minor;
  n->plugin = &descriptor;
  return PW_STATUS_OK;
}

}  // namespace detail
}  // namespace pipewright

#define PIPEWRIGHT_PLUGIN(Class)                                               \
  extern "C" PW_EXPORT pw_status pw_plugin_negotiate_v1(pw_negotiate_v1* n) { \
    return ::pipewright::detail::negotiate<Class>(n);                          \
  }

#endif  // PIPEWRIGHT_PLUGIN_HPP
