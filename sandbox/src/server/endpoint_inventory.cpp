#include "server/endpoint_inventory.hpp"

#include <boost/json.hpp>

namespace pw::sandbox {

void add_endpoint_inventory(Router& r) {
  const auto inventory = boost::json::parse(endpoint_inventory_json());
  for (const auto& e : inventory.at("endpoints").as_array())
    r.add_inventory(e.at("method").as_string(), e.at("path").as_string());
}

}  // namespace pw::sandbox
