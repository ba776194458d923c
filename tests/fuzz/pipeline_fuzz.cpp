// Pipeline text -> parser -> full validation against a fixed set of fake
// plugins. Neither may throw or crash on any input, only report errors.
#include <pipewright/host/config/config.hpp>
#include <pipewright/plugin.h>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

std::vector<pw::PluginInfo> make_plugins() {
  namespace json = boost::json;
  return {
      {"core.echo", PW_KIND_STEP,
       json::parse(R"({"type": "object", "properties": {"message": {"type": "string"},
                       "count": {"type": "integer", "minimum": 1}}, "required": ["message"],
                       "additionalProperties": false})"),
       json::parse(R"({"type": "object", "properties": {"echoed": {}}})")},
      {"cloudflare.auth.api_token", PW_KIND_AUTH,
       json::parse(R"({"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]})"),
       {}},
      {"cloudflare.token.create", PW_KIND_STEP, {},
       json::parse(R"({"type": "object", "additionalProperties": true})")},
  };
}

const std::vector<pw::PluginInfo>& plugins() {
  static const std::vector<pw::PluginInfo> all = make_plugins();
  return all;
}

pw::ValidationContext context() {
  pw::ValidationContext ctx;
  ctx.find_plugin = [](std::string_view name) -> const pw::PluginInfo* {
    for (const auto& p : plugins())
      if (p.name == name) return &p;
    return nullptr;
  };
  ctx.plugin_names = [] {
    std::vector<std::string> names;
    for (const auto& p : plugins()) names.push_back(p.name);
    return names;
  };
  // No files are read while fuzzing: every composed pipeline is "not found".
  ctx.find_pipeline = [](std::string_view, const std::filesystem::path&) { return std::filesystem::path(); };
  ctx.has_env = [](std::string_view name) { return name == "ZONE"; };
  ctx.has_secret = [](std::string_view name) { return name == "KEY"; };
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = pw::parse_pipeline(text, "fuzz.jsonc");
  for (const auto& e : loaded.errors) (void)pw::render_text(e);
  if (!loaded.pipeline) return 0;
  const auto& pipeline = *loaded.pipeline;
  for (const auto& e : pw::validate_pipeline(pipeline, context())) (void)pw::render_text(e);
  for (const auto& step : pipeline.steps) {
    (void)pw::step_dependencies(pipeline, step);
    (void)pipeline.locate("/steps/0/with/" + step.id);
  }
  return 0;
}
