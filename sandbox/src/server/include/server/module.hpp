// A module is one product's slice of the sandbox: its tables and endpoints.
// Each product room exports one; products/product_modules.cpp lists them.
#pragma once

#include <string_view>

#include "server/router.hpp"
#include "server/state.hpp"
#include "store/db.hpp"

namespace pw::sandbox {

struct Module {
  std::string_view name;
  void (*install_schema)(Db&) = nullptr;  // CREATE TABLE IF NOT EXISTS ...; runs at every start
  void (*add_endpoints)(Router&) = nullptr;
  void (*activate_custom_hostnames)(State&) = nullptr;  // test hook, optional
};

}  // namespace pw::sandbox
