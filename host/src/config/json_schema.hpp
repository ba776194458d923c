// JSON Schema (draft 7) validation, for the pipeline's shape and for each
// step's `with` against its plugin's parameter schema.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

namespace pw::config_detail {

// One failed constraint: where in the instance (member names and array
// indices, outermost first; empty = the instance itself) and valijson's
// description of what failed. Errors that only repeat that a nested value
// failed are left out: the nested error says more, and where.
struct SchemaViolation {
  std::vector<std::string> path;
  std::string description;
};

// A schema parsed once, for checking many documents; safe to use from
// several threads at once.
class JsonSchema {
 public:
  // Throws std::invalid_argument when `schema` is not a usable JSON Schema.
  explicit JsonSchema(const boost::json::value& schema);
  ~JsonSchema();
  JsonSchema(const JsonSchema&) = delete;
  JsonSchema& operator=(const JsonSchema&) = delete;

  std::vector<SchemaViolation> violations(const boost::json::value& instance) const;
  const boost::json::value& document() const { return document_; }

 private:
  struct Parsed;
  boost::json::value document_;
  std::unique_ptr<Parsed> parsed_;
};

}  // namespace pw::config_detail
