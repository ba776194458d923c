// A module is one product's slice of the sandbox: its tables and routes.
// The list lives in modules.cpp; a new product adds one line there.
#pragma once

#include <string_view>
#include <vector>

#include "db.hpp"
#include "router.hpp"
#include "state.hpp"

namespace pw::sandbox {

struct Module {
  std::string_view name;
  void (*install_schema)(Db&) = nullptr;  // CREATE TABLE IF NOT EXISTS ...; runs at every start
  void (*add_routes)(Router&) = nullptr;
  void (*activate_custom_hostnames)(State&) = nullptr;  // test hook, optional
};

std::vector<Module> all_modules();

}  // namespace pw::sandbox
