// Workers scripts and the endpoints `wrangler deploy` calls
// (docs/cloudflare-api.md 5.4).
#pragma once

#include "server/module.hpp"

#include <boost/json/array.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::sandbox {

Module workers_module();

// A script's deployed version as the edge runs it: its modules (main first)
// and its configuration as uploaded, secret_text values included (never log
// or send them).
struct DeployedWorker {
  std::string version_id;
  std::string compatibility_date;
  std::vector<std::string> compatibility_flags;
  bool es_modules = true;  // false: a service-worker upload (body_part)
  struct Module {
    std::string name, content_type, body;
  };
  std::vector<Module> modules;
  boost::json::array bindings;
};
std::optional<DeployedWorker> deployed_worker(State& state, std::string_view account, std::string_view script);

}  // namespace pw::sandbox
