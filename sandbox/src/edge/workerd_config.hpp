// The workerd configuration of one deployed Worker: its modules behind an
// entry module that gives it an env with R2 bindings served by the sandbox.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "products/workers.hpp"

namespace pw::sandbox {

// Writes config.capnp and the module files into `dir` (0600 files: they may
// hold secret_text values). `account` owns the script's R2 buckets.
// Returns the bindings left out (types the edge does not emulate).
std::vector<std::string> write_workerd_config(const std::filesystem::path& dir, const DeployedWorker& worker,
                                              const std::string& account, std::uint16_t api_port);

}  // namespace pw::sandbox
