// cloudflare.tenants.read: reads and checks a tenants file before any
// request is made; outputs the tenants with each site as an absolute path,
// for a matrix to deploy.
#include "tenants_file.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace cf = pipewright::cloudflare;
namespace tn = pipewright::cloudflare::tenants;

struct TenantsRead {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.tenants.read";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Reads a tenants file (a JSON array of {tenant, domain, site}) and checks all of it";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "file": {"type": "string", "minLength": 1,
               "description": "the tenants file, relative to the working directory unless absolute"}
    },
    "required": ["file"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "tenants": {"type": "array", "description": "[{tenant, domain, site}], site an absolute directory"},
      "count": {"type": "integer"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    fs::path file(cf::string_at(with, "file"));
    const auto workdir = cf::string_at(pipewright::context_object(call), "workdir");
    // Messages name the file as the user gave it; reading needs the run's directory.
    const fs::path readable = file.is_relative() && !workdir.empty() ? fs::path(workdir) / file : file;
    tn::TenantsFile read = tn::read_tenants_file(readable);
    if (!read.problems.empty()) {
      for (auto& p : read.problems) {
        if (p.subject.where.file == readable.string()) p.subject.where.file = file.string();
        const auto& at = p.subject.where;
        std::string where = at.file;
        if (at.line > 0) where += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
        call.diagnostic(pipewright::Severity::error, where + ": " + p.summary,
                        p.hint.empty() ? std::string() : "hint: " + p.hint);
      }
      throw pipewright::Failure(std::to_string(read.problems.size()) + " problem(s) in the tenants file " +
                                    file.string() + "; no tenant was deployed",
                                "each is listed above with its line and column", "/file");
    }
    json::array tenants;
    for (const auto& t : read.tenants)
      tenants.push_back(json::object{{"tenant", t.tenant}, {"domain", t.domain}, {"site", t.site.string()}});
    call.info(std::to_string(tenants.size()) + " tenant(s) in " + file.string());
    pipewright::set_output(call, "count", static_cast<std::int64_t>(tenants.size()));
    pipewright::set_output(call, "tenants", json::value(std::move(tenants)));
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(TenantsRead)
