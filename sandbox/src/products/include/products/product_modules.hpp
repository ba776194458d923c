// The products the sandbox emulates, in the order they are installed.
#pragma once

#include <vector>

#include "server/module.hpp"

namespace pw::sandbox {

std::vector<Module> product_modules();
// The S3 door's routes (R2's S3 API) on its own router.
void add_s3_endpoints(Router& r);

}  // namespace pw::sandbox
