// Signing a plugin's request with credentials the step's auth provided
// (the request member "sign", ABI 1.4): the plugin names the scheme, the
// host adds the signature, so the secret never enters the plugin.
#pragma once

#include <pipewright/host/bridge/host_services.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace pw {

// Signs `request` with AWS Signature Version 4 for R2's S3 API (region
// "auto", service "s3"): sets x-amz-date, x-amz-content-sha256 (the body's
// SHA-256, or UNSIGNED-PAYLOAD for a body streamed from a file, which TLS
// protects) and Authorization. Returns an error text when the URL cannot
// be signed.
std::optional<std::string> sign_sigv4(HttpRequest& request, const SigningCredentials& credentials,
                                      std::chrono::system_clock::time_point now);

}  // namespace pw
