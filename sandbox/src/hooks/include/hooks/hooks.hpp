// The test hooks under /__sandbox/ (no auth, loopback only; docs/sandbox.md).
#pragma once

#include "server/module.hpp"

namespace pw::sandbox {

Module hooks_module();

}  // namespace pw::sandbox
