#include "modules.hpp"

namespace pw::sandbox {

// One line per module; each is defined in its own *_routes.cpp file.
Module identity_module();
Module tokens_module();
Module hooks_module();

std::vector<Module> all_modules() {
  return {
      identity_module(),
      tokens_module(),
      hooks_module(),
  };
}

}  // namespace pw::sandbox
