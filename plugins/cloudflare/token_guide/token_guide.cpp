// cloudflare.token.guide: information only, no HTTP. Prints how to create
// the token pipewright needs by hand, or exactly which permission groups to
// add to a token that lacks some.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/guide.hpp>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;

struct TokenGuide {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.token.guide";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Explains how to create the Cloudflare token pipewright needs, or how to add missing permissions";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "topic": {"enum": ["create", "missing"], "default": "create"},
      "missing": {"type": "array", "items": {"type": "string"},
                  "description": "permission group names to explain (topic missing)"},
      "account_id": {"type": "string"},
      "zone_id": {"type": "string"}
    }
  })json";
  static constexpr const char* outputs_schema = R"json({"type": "object", "properties": {"text": {"type": "string"}}})json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const std::string topic = cf::string_at(with, "topic");
    const std::string account_id = cf::string_at(with, "account_id");
    const std::string zone_id = cf::string_at(with, "zone_id");
    std::string text;
    if (topic == "missing") {
      std::vector<const cf::PermissionGroup*> groups;
      if (const auto* names = cf::array_at(with, "missing")) {
        for (std::size_t i = 0; i < names->size(); ++i) {
          const auto& v = (*names)[i];
          const auto* group = v.is_string() ? cf::find_group(v.as_string()) : nullptr;
          if (!group) {
            std::string hint;
            if (v.is_string())
              for (const auto& n : cf::closest_group_names(v.as_string())) hint += (hint.empty() ? "" : ", ") + n;
            throw pipewright::Failure("unknown permission group" +
                                          (v.is_string() ? " '" + std::string(v.as_string()) + "'" : std::string()),
                                      hint.empty() ? std::string() : "did you mean: " + hint + "?",
                                      "/missing/" + std::to_string(i));
          }
          groups.push_back(group);
        }
      }
      if (groups.empty()) groups = cf::required_groups();
      text = "Add these permission groups to the token:\n" +
             cf::missing_permissions_guide(groups, account_id, zone_id) + "\n";
    } else {
      text = cf::token_creation_guide(account_id, zone_id);
    }
    call.info(text);
    pipewright::set_output(call, "text", json::value(text));
  }
};

PIPEWRIGHT_PLUGIN(TokenGuide)
