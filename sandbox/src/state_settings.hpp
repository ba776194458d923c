// Writing DIR/sandbox.json (read back by read_state_settings in sandbox.hpp).
#pragma once

#include <filesystem>
#include <pipewright/sandbox.hpp>
#include <vector>

namespace pw::sandbox {

// Replaces DIR/sandbox.json atomically, mode 0600: these settings and this
// process's id.
void write_state_settings(const std::filesystem::path& state_dir, const std::vector<ClientSetting>& settings);

}  // namespace pw::sandbox
