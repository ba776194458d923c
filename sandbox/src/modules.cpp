#include "modules.hpp"

namespace pw::sandbox {

// One line per module; each is defined in its own *_routes.cpp file.
Module identity_module();
Module tokens_module();
Module hooks_module();
Module r2_module();
Module workers_module();
Module routes_module();
Module custom_hostnames_module();
Module dns_module();

std::vector<Module> all_modules() {
  // One module per line keeps concurrent edits apart.
  // clang-format off
  return {
      identity_module(),
      tokens_module(),
      hooks_module(),
      r2_module(),
      workers_module(),
      routes_module(),
      custom_hostnames_module(),
      dns_module(),
  };
  // clang-format on
}

}  // namespace pw::sandbox
