// Schema validation of a `with` object; used by validation.cpp.
#pragma once

#include "config_internal.hpp"

namespace pw::config_detail {

struct SchemaProblem {
  std::vector<std::string> path;  // member path inside `with`; empty = `with` itself
  std::string message;
  bool at_key = false;            // point at the member's key, not its value
  std::string hint;
};

std::vector<SchemaProblem> check_with_schema(const boost::json::value& schema, const boost::json::object& with);

}  // namespace pw::config_detail
