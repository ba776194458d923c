// The products the sandbox emulates, in the order they are installed.
#pragma once

#include <vector>

#include "server/module.hpp"

namespace pw::sandbox {

std::vector<Module> product_modules();

}  // namespace pw::sandbox
