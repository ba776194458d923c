#include "host_http.hpp"

#include <pipewright/host/bridge/host_services.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

namespace pw {

namespace json = boost::json;

namespace {

std::string_view view(pw_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }

std::string_view level_name(std::int32_t level) {
  switch (level) {
    case PW_LOG_DEBUG: return "debug";
    case PW_LOG_WARN: return "warn";
    case PW_LOG_ERROR: return "error";
    default: return "info";
  }
}

void register_strings(Redactor& redactor, const json::value& value) {
  if (value.is_string()) {
    redactor.add(value.as_string());
  } else if (value.is_array()) {
    for (const auto& v : value.as_array()) register_strings(redactor, v);
  } else if (value.is_object()) {
    for (const auto& kv : value.as_object())
      if (!is_identity_header(kv.key())) register_strings(redactor, kv.value());
  } else if (!value.is_null()) {
    // A secret number or boolean is masked as the text it prints as.
    redactor.add(json::serialize(value));
  }
}

bool marked_secret(const LoadedPlugin* plugin, std::string_view name) {
  if (!plugin) return false;
  for (const auto& s : plugin->secret_outputs)
    if (s == name) return true;
  return false;
}

// Every service is noexcept at the boundary: an exception inside the host
// becomes a status and a diagnostic, never an unwind through plugin frames.
void svc_log(pw_call* call, std::int32_t level, pw_str message) noexcept {
  try {
    auto& ctx = CallContext::from(call);
    ctx.run.events.emit(event::log, {{"step", ctx.step_id},
                                     {"level", level_name(level)},
                                     {"message", view(message)}});
  } catch (...) {
  }
}

// What a progress report may carry, as the events schema names it.
constexpr const char* progress_fields[] = {"done",     "total",            "message", "unit",
                                           "bytes_done", "bytes_total",    "rate_bytes_per_s",
                                           "eta_s",    "waiting_s"};
constexpr std::int64_t progress_interval_ms = 1000;

void svc_progress(pw_call* call, pw_str progress_json) noexcept {
  try {
    auto& ctx = CallContext::from(call);
    json::error_code ec;
    json::value v = json::parse(view(progress_json), ec);
    if (ec || !v.is_object()) return;
    json::object fields{{"step", ctx.step_id}};
    for (auto key : progress_fields)
      if (auto* f = v.as_object().if_contains(key)) fields[key] = *f;
    const std::int64_t now = now_ms();
    {
      std::lock_guard lock(ctx.mutex);
      const auto* done = fields.if_contains("done");
      const auto* total = fields.if_contains("total");
      const bool last = done && total && *done == *total;
      const bool first = ctx.progress_shown_at == 0;
      ctx.last_progress = fields;
      ctx.progress_unshown = !first && !last && now - ctx.progress_shown_at < progress_interval_ms;
      if (ctx.progress_unshown) return;
      ctx.progress_shown_at = now;
    }
    ctx.run.events.emit(event::progress, std::move(fields));
  } catch (...) {
  }
}

std::int32_t svc_is_cancelled(pw_call* call) noexcept {
  return CallContext::from(call).cancel.cancelled() ? 1 : 0;
}

std::int64_t svc_deadline(pw_call* call) noexcept {
  return CallContext::from(call).cancel.deadline();
}

void svc_add_secret(pw_call* call, pw_str value) noexcept {
  try {
    CallContext::from(call).run.redactor.add(view(value));
  } catch (...) {
    // Out of memory while masking: nothing safe is left to report.
  }
}

pw_status svc_set_output(pw_call* call, pw_str name_str, pw_str value_json,
                         std::int32_t secret_flag) noexcept {
  try {
    auto& ctx = CallContext::from(call);
    std::string name(view(name_str));
    bool secret = secret_flag != 0 || marked_secret(ctx.plugin, name);
    json::error_code ec;
    json::value value = json::parse(view(value_json), ec);
    // Registered before anything else happens with the value, so no later
    // message can carry it. The strings inside, not the JSON text: masking
    // a quoted literal whole would break the JSON event lines.
    // An auth's credentials: what the host injects or signs with is masked
    // (an identity header such as the email excepted) and never shown.
    const bool credential = ctx.resolves_auth && (name == "headers" || name == "s3_credentials");
    if (credential && !secret && !ec && value.is_object()) {
      for (const auto& kv : value.as_object()) {
        if (name == "headers" && is_identity_header(kv.key())) continue;
        if (name == "s3_credentials" && kv.key() == "access_key_id") continue;
        register_strings(ctx.run.redactor, kv.value());
      }
    } else if (credential && !secret) {
      ctx.run.redactor.add(view(value_json));
    }
    if (secret) {
      if (ec)
        ctx.run.redactor.add(view(value_json));
      else
        register_strings(ctx.run.redactor, value);
    }
    if (ec || name.empty()) {
      std::lock_guard lock(ctx.mutex);
      ctx.host_failures.push_back(
          {Severity::error,
           "plugin " + (ctx.plugin ? ctx.plugin->name : std::string("?")) + " set output " +
               (name.empty() ? std::string("(empty name)") : name) + " to invalid JSON" +
               (name.empty() ? "" : "; the plugin must pass a JSON value (quote strings)"),
           {},
           {},
           {}});
      return PW_STATUS_BAD_INPUT;
    }
    // A non-secret value goes with its event (masked like every event); a
    // secret one is named only.
    json::object event{{"step", ctx.step_id}, {"name", name}, {"secret", secret || credential}};
    if (!secret && !credential) event["value"] = value;
    {
      std::lock_guard lock(ctx.mutex);
      ctx.outputs[name] = std::move(value);
    }
    ctx.run.events.emit(event::output_set, std::move(event));
    return PW_STATUS_OK;
  } catch (...) {
    return PW_STATUS_FAILED;
  }
}

void svc_diagnostic(pw_call* call, std::int32_t severity, pw_str summary, pw_str detail,
                    pw_str pointer) noexcept {
  try {
    auto& ctx = CallContext::from(call);
    Diagnostic d{severity_from_abi(severity), std::string(view(summary)), std::string(view(detail)),
                 {{}, std::string(view(pointer))}, {}};
    {
      std::lock_guard lock(ctx.mutex);
      ctx.diagnostics.push_back(d);
    }
    json::object fields{{"step", ctx.step_id},
                        {"plugin", ctx.plugin ? ctx.plugin->name : std::string()},
                        {"severity", severity_name(d.severity)},
                        {"summary", d.summary}};
    if (!d.detail.empty()) fields["detail"] = d.detail;
    if (!d.subject.pointer.empty()) fields["pointer"] = d.subject.pointer;
    ctx.run.events.emit(event::diagnostic, std::move(fields));
  } catch (...) {
  }
}

pw_status svc_http(pw_call* call, pw_str request_json, pw_str body,
                   pw_http_response_fn on_response, void* user) noexcept {
  try {
    return host_http(CallContext::from(call), view(request_json), view(body), on_response, user);
  } catch (...) {
    return PW_STATUS_FAILED;
  }
}

pw_status svc_http_batch(pw_call* call, pw_str batch_json, pw_http_response_fn on_response,
                         void* user) noexcept {
  try {
    return host_http_batch(CallContext::from(call), view(batch_json), on_response, user);
  } catch (...) {
    return PW_STATUS_FAILED;
  }
}

const pw_host_services_v1 table = {
    sizeof(pw_host_services_v1),
    PW_ABI_MINOR,
    &svc_log,
    &svc_http,
    &svc_http_batch,
    &svc_progress,
    &svc_is_cancelled,
    &svc_deadline,
    &svc_set_output,
    &svc_diagnostic,
    &svc_add_secret,
};

}  // namespace

const pw_host_services_v1* host_services() { return &table; }

std::string CallContext::first_error() {
  std::lock_guard lock(mutex);
  if (!host_failures.empty()) return host_failures.front().summary;
  for (const auto& d : diagnostics)
    if (d.severity == Severity::error) return d.summary;
  return {};
}

}  // namespace pw
