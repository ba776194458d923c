// Custom hostnames, Cloudflare for SaaS (docs/cloudflare-api.md 5.6), with
// the activation test hook.
#pragma once

#include "server/module.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace pw::sandbox {

Module custom_hostnames_module();

// An active custom hostname as the edge serves it: its zone and its
// custom_metadata (request.cf.hostMetadata in a Worker).
struct ServedHostname {
  std::string zone_id;
  boost::json::object custom_metadata;
};
// Applies the lazy activation first, like a read of the API does.
std::optional<ServedHostname> active_custom_hostname(State& state, std::string_view hostname);

}  // namespace pw::sandbox
