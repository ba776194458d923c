// The bridge plugins call: the one static pw_host_services_v1 table, and the
// per-call state (`pw_call`) its functions work on. A CallContext lives on
// the stack of the worker thread that calls the plugin's run, for exactly
// that call.
#pragma once

#include <pipewright/host/http/http_client.hpp>
#include <pipewright/host/run/run_context.hpp>
#include <pipewright/plugin.h>
#include <pipewright/util/diagnostic.hpp>

#include <boost/json.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pw {

// S3 credentials an auth provided (its secret output "s3_credentials"),
// used to sign requests that ask for it; never shown.
struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
};

class CallContext {
 public:
  CallContext(RunContext& run, const CancelScope& cancel) : run(run), cancel(cancel) {}

  RunContext& run;
  const CancelScope& cancel;
  std::string step_id;
  const LoadedPlugin* plugin = nullptr;
  HeaderList auth_headers;  // injected into every request; never shown
  std::optional<SigningCredentials> signing;  // for requests with "sign": "aws-sigv4"
  std::filesystem::path workdir;
  // The call resolves an auth: its "headers" and "s3_credentials" outputs
  // are credentials, masked and never shown whatever the plugin marked.
  bool resolves_auth = false;

  // Filled by the plugin's calls; guarded by `mutex` because a plugin may
  // call services from several of its own threads.
  std::mutex mutex;
  boost::json::object outputs;
  Diagnostics diagnostics;  // the subject's pointer points into the step's `with`
  Diagnostics host_failures;  // misuse the host detected, each an error
  // The end of the last wait announced for this step (ms since the epoch):
  // many requests of one batch waiting together are said once.
  std::int64_t announced_wait_until = 0;
  // The plugin's last progress report, and when one was last shown: reports
  // are passed on at most about once a second (the first and the last
  // always), and a wait for the rate budget repeats the last numbers.
  boost::json::object last_progress;
  std::int64_t progress_shown_at = 0;
  bool progress_unshown = false;  // last_progress was held back; said when the call ends
  // Host HTTP calls of this plugin call under way: while there is one, the
  // call's slot of the run's budget is given up (see host_http.cpp).
  int http_waits = 0;

  pw_call* handle() { return reinterpret_cast<pw_call*>(this); }
  static CallContext& from(pw_call* call) { return *reinterpret_cast<CallContext*>(call); }

  // The first error a user should read: a host-detected misuse, else the
  // first error diagnostic; empty when there is none.
  std::string first_error();
};

// The static table handed to every plugin at negotiation.
const pw_host_services_v1* host_services();

}  // namespace pw
