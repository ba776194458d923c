// Which failures are worth another attempt, and how long to wait first.
#pragma once

#include <pipewright/host/http/http_client.hpp>

#include <chrono>
#include <optional>
#include <random>
#include <string>

namespace pw::http {

// GET/HEAD/PUT/DELETE/OPTIONS: repeating them does not change the result.
bool method_is_idempotent(const std::string& method);

bool status_is_retryable(int status);

// A delay written as delta seconds or an HTTP date (Retry-After's two
// forms), or nullopt when it is neither.
std::optional<std::chrono::milliseconds> parse_delay(
    const std::string& text, std::chrono::system_clock::time_point now);

// The server's requested delay from `retry-after-ms` (milliseconds) or
// `Retry-After` (delta seconds or an HTTP date), or nullopt if it gave none
// or gave something unreadable.
std::optional<std::chrono::milliseconds> server_retry_delay(
    const HttpResponse& response,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Exponential backoff before attempt `next_attempt` (2 = first retry),
// capped, with up to 25 % subtracted at random so that many clients that
// failed together do not retry together.
std::chrono::milliseconds backoff_delay(const HttpClientOptions& options, int next_attempt,
                                        std::mt19937_64& random);

}  // namespace pw::http
