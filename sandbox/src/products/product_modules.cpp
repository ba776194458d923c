#include "products/product_modules.hpp"

#include "products/custom_hostnames.hpp"
#include "products/dns.hpp"
#include "products/identity.hpp"
#include "products/r2.hpp"
#include "products/tokens.hpp"
#include "products/workers.hpp"
#include "products/workers_routes.hpp"

namespace pw::sandbox {

std::vector<Module> product_modules() {
  return {
      identity_module(),       tokens_module(),           r2_module(),  r2_s3_module(),
      workers_module(),        workers_routes_module(),   custom_hostnames_module(), dns_module(),
  };
}

void add_s3_endpoints(Router& r) { add_r2_s3_endpoints(r); }

}  // namespace pw::sandbox
