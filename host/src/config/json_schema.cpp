// The one file that includes valijson: it needs exceptions enabled, and
// keeping it here keeps its long compile out of the other files.
#define VALIJSON_USE_EXCEPTIONS 1
#include "json_schema.hpp"

#include <stdexcept>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace pw::config_detail {
namespace {

// valijson reports a failed nested value twice: the nested error, then one
// per enclosing keyword that it failed.
bool is_wrapper(const std::string& description) {
  return description.starts_with("Failed to validate against schema associated with property") ||
         description.starts_with("Failed to validate item #") ||
         description.starts_with("Failed to validate against additional properties schema") ||
         description.starts_with("Failed to validate against a conditional schema") ||
         description.starts_with("Failed to validate against child schema #");
}

}  // namespace

struct JsonSchema::Parsed {
  valijson::Schema schema;
};

JsonSchema::JsonSchema(const boost::json::value& schema)
    : document_(schema), parsed_(std::make_unique<Parsed>()) {
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::BoostJsonAdapter adapter(document_);
    parser.populateSchema(adapter, parsed_->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(e.what());
  }
}

JsonSchema::~JsonSchema() = default;

std::vector<SchemaViolation> JsonSchema::violations(const boost::json::value& instance) const {
  // A Validator caches compiled patterns, so each call has its own.
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter(instance);
  validator.validate(parsed_->schema, adapter, &results);
  std::vector<SchemaViolation> out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    if (is_wrapper(error.description)) continue;
    SchemaViolation violation;
    // context is "<root>" then one "[name]" or "[index]" per level.
    for (std::size_t i = 1; i < error.context.size(); ++i) {
      const std::string& part = error.context[i];
      violation.path.push_back(part.size() >= 2 ? part.substr(1, part.size() - 2) : part);
    }
    violation.description = std::move(error.description);
    out.push_back(std::move(violation));
  }
  return out;
}

}  // namespace pw::config_detail
