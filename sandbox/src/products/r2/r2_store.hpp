// R2 state shared by the bucket and object handlers: tables, the bucket
// addressed by a request (account + jurisdiction + name), and the checks that
// every R2 endpoint makes in the order of docs/cloudflare-api.md 2.2.
#pragma once

#include "products/r2.hpp"
#include "server/context.hpp"

#include <optional>
#include <string>

namespace pw::sandbox {

void install_r2_schema(Db& db);
void add_r2_bucket_endpoints(Router& r);
void add_r2_object_endpoints(Router& r);
// CORS, lifecycle and lock rules (r2_bucket_config_endpoints.cpp).
void install_r2_bucket_config_schema(Db& db);
void add_r2_bucket_config_endpoints(Router& r);
void remove_r2_bucket_configs(State& state, std::string_view account, std::string_view jurisdiction,
                              std::string_view bucket);

// The jurisdiction a request addresses (header cf-r2-jurisdiction, default
// "default"), or the 400 to send for an unknown one.
Outcome<std::string> request_jurisdiction(const Request& req);

// Permission groups, as docs/cloudflare-api.md 5.2/5.3 list them.
inline const GroupNames r2_account_read{"Workers R2 Storage Read", "Workers R2 Storage Write"};
inline const GroupNames r2_account_write{"Workers R2 Storage Write"};
inline const GroupNames r2_item_read{"Workers R2 Storage Read", "Workers R2 Storage Write",
                                     "Workers R2 Storage Bucket Item Read",
                                     "Workers R2 Storage Bucket Item Write"};
inline const GroupNames r2_item_write{"Workers R2 Storage Write", "Workers R2 Storage Bucket Item Write"};

bool r2_bucket_exists_anywhere(State& state, std::string_view account_id, std::string_view name);
Response r2_no_such_bucket();  // 404 10006

// List cursors are the hex of the position to resume after: opaque to clients.
std::string r2_to_cursor(std::string_view resume_after);
std::optional<std::string> r2_from_cursor(std::string_view cursor);
// per_page clamped to [1, max]; `fallback` when absent or not a number.
std::int64_t r2_per_page(const Request& req, std::int64_t fallback, std::int64_t max);
// 400 10040 for arguments R2 rejects that have no code of their own
// (docs/sandbox.md, "Product endpoints").
Response r2_invalid_argument(std::string message);

}  // namespace pw::sandbox
