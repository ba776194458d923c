#include "pipeline_run.hpp"

namespace pw::detail {

namespace json = boost::json;

const AuthState* PipelineRun::resolve_auth(const std::string& name, std::string& error) {
  auto it = auths_.find(name);
  if (it == auths_.end()) {
    error = "auth " + name + " is not defined in " + invocation_.pipeline.file.string() +
            "; add it under \"auth\"";
    return nullptr;
  }
  AuthState& state = *it->second;
  std::lock_guard lock(state.mutex);
  if (!state.resolved) {
    state.resolved = true;
    const AuthSpec& spec = invocation_.pipeline.auths.at(name);
    const std::string id = display("auth:" + name);
    auto started = std::chrono::steady_clock::now();
    StepResult r;
    const LoadedPlugin* plugin = plugin_for(spec.uses, spec.isolation, spec.grants);
    if (!plugin) {
      r.status = StepStatus::failed;
      r.error = "plugin " + spec.uses + " is not loaded; run `pipewright plugins doctor`";
    } else {
      // The scheduler has already waited for every step this auth's `with`
      // references (step_dependencies includes them).
      EvalScope scope = scope_for({}, nullptr);
      try {
        PluginCall call;
        call.display_id = id;
        call.plugin = plugin;
        call.resolves_auth = true;
        call.with = evaluate_template(json::value(spec.with), scope);
        r = call_plugin(call, scope_);
      } catch (const ExpressionError& e) {
        r.status = StepStatus::failed;
        r.error = std::string("its `with` could not be resolved: ") + e.what();
      }
    }
    if (r.status == StepStatus::ok) {
      const json::value* headers = r.outputs.if_contains("headers");
      if (!headers || !headers->is_object()) {
        r.status = StepStatus::failed;
        r.error = "plugin " + spec.uses + " did not set the output \"headers\" to an object";
      } else {
        for (const auto& kv : headers->as_object()) {
          if (!kv.value().is_string()) continue;
          if (!is_identity_header(kv.key())) run_.redactor.add(kv.value().as_string());
          state.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
        }
      }
    }
    // Optional: S3 credentials the host signs with for steps that ask
    // (ABI 1.4). The secret is masked whatever the plugin marked; the key
    // id is a token id where derived, shown elsewhere by design.
    if (r.status == StepStatus::ok)
      if (const auto* s3 = r.outputs.if_contains("s3_credentials"); s3 && s3->is_object()) {
        const auto* id = s3->as_object().if_contains("access_key_id");
        const auto* secret = s3->as_object().if_contains("secret_access_key");
        if (id && secret && id->is_string() && secret->is_string() && !id->as_string().empty() &&
            !secret->as_string().empty()) {
          run_.redactor.add(secret->as_string());
          state.signing = SigningCredentials{std::string(id->as_string()), std::string(secret->as_string())};
        }
      }
    if (r.status != StepStatus::ok)
      state.error = "auth " + name + " (" + spec.uses + ") failed: " + r.error;
    json::object fields{
        {"step", id},
        {"status", status_name(r.status)},
        {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()}};
    if (!r.error.empty()) fields["error"] = r.error;
    run_.events.emit(event::step_finished, std::move(fields));
  }
  if (!state.error.empty()) {
    error = state.error;
    return nullptr;
  }
  return &state;
}

}  // namespace pw::detail
