// cloudflare.tenants.report: one account of a deploy-tenants run, one row
// per tenant — what was uploaded, left unchanged and deleted, the
// hostname's status, and ok or the one-line reason it failed — as a table
// in the log and as the `tenants` output.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>

#include <algorithm>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;

const json::value* item(const json::object& with, std::string_view key, std::size_t i) {
  const auto* list = cf::array_at(with, key);
  if (!list || i >= list->size() || (*list)[i].is_null()) return nullptr;
  return &(*list)[i];
}

std::string text_of(const json::value* v) {
  if (!v) return "-";
  return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

// The first line of a failure, without the step path the table already shows.
std::string one_line(std::string error) {
  error = error.substr(0, error.find('\n'));
  if (error.starts_with("step ")) {
    auto failed = error.find(" failed: ");
    if (failed != std::string::npos) error = error.substr(failed + 9);
  }
  if (error.size() > 160) error = error.substr(0, 157) + "...";
  return error;
}

struct TenantsReport {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "cloudflare.tenants.report";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Tabulates a deploy-tenants matrix: per tenant, files uploaded/unchanged/deleted, hostname, ok or why not";
  static constexpr const char* params_schema = R"({
    "type": "object",
    "properties": {
      "tenants": {"type": "array", "items": {"type": "object"}, "description": "cloudflare.tenants.read's tenants"},
      "instances": {"type": ["array", "null"], "description": "the deploy matrix's `matrix` output, in tenant order"},
      "files": {"type": ["array", "null"]},
      "uploaded": {"type": ["array", "null"]},
      "skipped": {"type": ["array", "null"]},
      "deleted": {"type": ["array", "null"]},
      "hostname_status": {"type": ["array", "null"]},
      "hostname_created": {"type": ["array", "null"]}
    },
    "required": ["tenants"],
    "additionalProperties": false
  })";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "tenants": {"type": "array", "description": "[{tenant, domain, status, files, uploaded, unchanged, deleted, hostname_status, hostname_created, reason?}]"},
      "ok": {"type": "integer"},
      "failed": {"type": "integer", "description": "tenants that failed or were not deployed"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto* tenants = cf::array_at(with, "tenants");
    json::array rows;
    std::int64_t ok = 0, failed = 0;
    std::vector<std::vector<std::string>> table{
        {"tenant", "domain", "uploaded", "unchanged", "deleted", "hostname", "result"}};
    for (std::size_t i = 0; tenants && i < tenants->size(); ++i) {
      const auto& t = (*tenants)[i].as_object();
      const json::value* instance = item(with, "instances", i);
      std::string status = "not_started", reason = "not started: an earlier step failed or the run stopped";
      if (instance && instance->is_object()) {
        status = cf::string_at(instance->as_object(), "status");
        reason = one_line(cf::string_at(instance->as_object(), "error"));
      }
      json::object row{{"tenant", cf::string_at(t, "tenant")}, {"domain", cf::string_at(t, "domain")},
                       {"status", status}};
      for (auto [from, to] : {std::pair{"files", "files"}, {"uploaded", "uploaded"}, {"skipped", "unchanged"},
                              {"deleted", "deleted"}, {"hostname_status", "hostname_status"},
                              {"hostname_created", "hostname_created"}}) {
        const json::value* v = item(with, from, i);
        row[to] = v ? *v : json::value(nullptr);
      }
      if (status == "ok") {
        ++ok;
        reason = "ok";
      } else {
        ++failed;
        // What the tenant got done before it stopped.
        std::string done;
        if (const auto* up = item(with, "uploaded", i))
          done = "uploaded " + text_of(up) + " of " + text_of(item(with, "files", i)) + " files";
        if (!item(with, "hostname_status", i)) done += (done.empty() ? "" : "; ") + std::string("hostname not ensured");
        row["reason"] = reason;
        if (!done.empty()) row["done"] = done;
        reason = status + ": " + reason + (done.empty() ? "" : " (" + done + ")");
      }
      table.push_back({cf::string_at(t, "tenant"), cf::string_at(t, "domain"), text_of(item(with, "uploaded", i)),
                       text_of(item(with, "skipped", i)), text_of(item(with, "deleted", i)),
                       text_of(item(with, "hostname_status", i)), reason});
      rows.push_back(std::move(row));
    }
    std::vector<std::size_t> width(table.front().size(), 0);
    for (const auto& line : table)
      for (std::size_t c = 0; c + 1 < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
    for (const auto& line : table) {
      std::string text;
      for (std::size_t c = 0; c < line.size(); ++c)
        text += line[c] + (c + 1 < line.size() ? std::string(width[c] - line[c].size() + 2, ' ') : "");
      call.info(text);
    }
    call.info(std::to_string(ok) + " of " + std::to_string(ok + failed) + " tenant(s) deployed" +
              (failed ? ", " + std::to_string(failed) + " not" : std::string()));
    pipewright::set_output(call, "ok", ok);
    pipewright::set_output(call, "failed", failed);
    pipewright::set_output(call, "tenants", json::value(std::move(rows)));
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(TenantsReport)
