// The http and http_batch host services: request JSON in, auth headers
// injected, HttpClient out, one meta JSON + body per response back.
#pragma once

#include <pipewright/host/bridge/host_services.hpp>

#include <string_view>

namespace pw {

pw_status host_http(CallContext& ctx, std::string_view request_json, std::string_view body,
                    pw_http_response_fn on_response, void* user);
pw_status host_http_batch(CallContext& ctx, std::string_view batch_json,
                          pw_http_response_fn on_response, void* user);

}  // namespace pw
