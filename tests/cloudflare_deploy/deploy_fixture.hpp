// What the deploy integration tests share: a sandbox on port 0 inside the
// test process (so tests can inspect its state), a private working
// directory holding a copy of examples/site, and runs of the real pipewright
// binary pointed at that sandbox through CLOUDFLARE_API_BASE_URL (and its
// S3 API through CLOUDFLARE_R2_ENDPOINT).
#pragma once

#include "../runtime/child_process.hpp"
#include "../sandbox/test_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace pw::deploy_test {

namespace fs = std::filesystem;
namespace json = boost::json;

inline fs::path source_dir() { return fs::path(PW_TEST_SOURCE_DIR); }
inline fs::path test_pipeline(const std::string& name) {
  return source_dir() / "tests" / "cloudflare_deploy" / "pipelines" / name;
}
inline fs::path conf_pipeline(const std::string& name) { return source_dir() / "conf" / name; }

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
}

// The CLOUDFLARE_API_TOKEN value in a .env file ("" when absent).
inline std::string token_in(const fs::path& env_file) {
  std::istringstream lines(read_file(env_file));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("CLOUDFLARE_API_TOKEN=", 0) == 0) return line.substr(std::string("CLOUDFLARE_API_TOKEN=").size());
  return {};
}

// Mode 0600, as a file holding a secret must have.
inline bool only_owner_reads_and_writes(const fs::path& file) {
  return (fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write);
}

// One `pipewright run --output json`: exit code, events, and the pipeline
// outputs from run_finished.
struct Run {
  test::ProcessResult process;
  std::vector<json::object> events;
  json::object outputs;
  std::string status;

  int exit_code() const { return process.exit_code; }
  // The outputs value as an integer / bool / string (test failure if absent).
  std::int64_t integer(std::string_view name) const { return outputs.at(name).to_number<std::int64_t>(); }
  bool flag(std::string_view name) const { return outputs.at(name).as_bool(); }
  std::string text(std::string_view name) const { return std::string(outputs.at(name).as_string()); }
  // Every error text the run reported: step errors, diagnostics, stderr.
  std::string errors() const {
    std::string all = process.err;
    for (const auto& e : events) {
      for (const char* key : {"error", "summary", "detail"})
        if (auto* v = e.if_contains(key); v && v->is_string()) all += "\n" + std::string(v->as_string());
    }
    return all;
  }
  std::string log() const { return process.out + "\n--- stderr ---\n" + process.err; }
};

struct DeployFixture {
  sandbox::test::SandboxFixture sandbox;
  sandbox::test::TempDir work;
  fs::path site;

  DeployFixture() : DeployFixture(sandbox::Options{}) {}
  // The sandbox serves the deployed Workers too (when workerd is here), so
  // deploy-tenant's served-site check reaches them through the edge.
  static sandbox::Options with_edge(sandbox::Options options) {
    if (sandbox::workerd_available()) options.edge_listen = "127.0.0.1:0";
    return options;
  }
  explicit DeployFixture(sandbox::Options options)
      : sandbox(with_edge(std::move(options))), site(work.path() / "site") {
    fs::copy(source_dir() / "examples" / "site", site, fs::copy_options::recursive);
  }

  const sandbox::Identity& id() const { return sandbox.id(); }

  // Added to environment() (a test's own secrets).
  std::map<std::string, std::string> extra_env;

  std::map<std::string, std::string> environment() const {
    auto env = extra_env;
    env.insert({{"CLOUDFLARE_API_BASE_URL", sandbox.server.base_url()},
                {"CLOUDFLARE_R2_ENDPOINT", sandbox.server.r2_s3_endpoint()},
            {"CLOUDFLARE_EMAIL", id().email},
            {"CLOUDFLARE_GLOBAL_KEY", id().global_key},
            {"CLOUDFLARE_ACCOUNT_ID", id().account_id},
            {"CLOUDFLARE_ZONE_ID", id().zone_id},
            {"CLOUDFLARE_ZONE_NAME", id().zone_name},
            // r2.upload's hash cache stays in the test's directory.
            {"PIPEWRIGHT_CACHE_DIR", (work.path() / "cache").string()}});
    if (!sandbox.server.edge_url().empty()) env["CLOUDFLARE_EDGE_URL"] = sandbox.server.edge_url();
    return env;
  }

  // `pipewright run <pipeline> --input k=v... <extra...>` in the working
  // directory, with environment() added to ours unless `env` is given.
  test::ProcessResult run_process(const fs::path& pipeline, const std::map<std::string, std::string>& inputs,
                                  const std::vector<std::string>& extra,
                                  const std::map<std::string, std::string>* env = nullptr) const {
    test::ProcessOptions options;
    options.args = {"run", pipeline.string()};
    for (const auto& [k, v] : inputs) {
      options.args.push_back("--input");
      options.args.push_back(k + "=" + v);
    }
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    options.cwd = work.path();
    options.env = env ? *env : environment();
    options.timeout = std::chrono::seconds(120);
    return test::run_pipewright(options);
  }

  Run run(const fs::path& pipeline, const std::map<std::string, std::string>& inputs = {},
          std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), {"--output", "json"});
    Run r;
    r.process = run_process(pipeline, inputs, extra);
    std::istringstream lines(r.process.out);
    for (std::string line; std::getline(lines, line);) {
      boost::system::error_code ec;
      auto v = json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      r.events.push_back(v.as_object());
      if (v.as_object().contains("type") && v.at("type") == "run_finished") {
        if (auto* o = v.as_object().if_contains("outputs"); o && o->is_object()) r.outputs = o->as_object();
        if (auto* s = v.as_object().if_contains("status"); s && s->is_string()) r.status = s->as_string();
      }
    }
    return r;
  }

  sandbox::test::Headers global() const { return sandbox.global(); }

  // The demo user's tokens named `name`, listed with the global key.
  std::vector<json::object> tokens_named(const std::string& name) {
    std::vector<json::object> out;
    for (int page = 1; page < 20; ++page) {
      auto r = sandbox.client.get("/user/tokens?per_page=50&page=" + std::to_string(page), global());
      BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
      if (r.result().as_array().empty()) break;
      for (const auto& t : r.result().as_array())
        if (t.at("name").as_string() == name) out.push_back(t.as_object());
    }
    return out;
  }

  std::string objects_path(const std::string& bucket) const {
    return "/accounts/" + id().account_id + "/r2/buckets/" + bucket + "/objects";
  }

  // Every stored object under `prefix` in `bucket`: key -> listing item.
  std::map<std::string, json::object> objects(const std::string& bucket, const std::string& prefix) {
    std::map<std::string, json::object> out;
    auto r = sandbox.client.get(objects_path(bucket) + "?per_page=1000&prefix=" + prefix, global());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    for (const auto& item : r.result().as_array())
      out.emplace(std::string(item.at("key").as_string()), item.as_object());
    return out;
  }

  std::size_t site_files() const {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(site))
      if (e.is_regular_file()) ++n;
    return n;
  }
};

}  // namespace pw::deploy_test
