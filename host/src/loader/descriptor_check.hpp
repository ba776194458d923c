// Validation of a plugin descriptor copied out of a library (loader room).
#pragma once

#include <pipewright/host/loader/plugin_registry.hpp>

#include <string>
#include <string_view>

namespace pw {

struct CheckedDescriptor {
  LoadedPlugin plugin;  // name, kind, version, description, schemas, run
  std::string error;    // empty when the descriptor follows the rules
};

// `copy` is the host's zero-filled copy; its struct_size is the plugin's.
CheckedDescriptor check_descriptor(const pw_plugin_v1* copy);

// ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$
bool is_valid_plugin_name(std::string_view name);

}  // namespace pw
