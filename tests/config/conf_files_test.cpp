// Every shipped pipeline passes validation, and the schema compiled into the
// binary is the one shipped in conf/schema/.
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_internal.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// conf/*.json, conf/lib/*.json and every pipeline under examples/.
std::vector<fs::path> shipped_pipelines() {
  std::vector<fs::path> files;
  for (const char* dir : {"conf", "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(PW_TEST_SOURCE_DIR) / dir)) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".json" && ext != ".jsonc")) continue;
      if (entry.path().parent_path().filename() == "schema") continue;  // schemas are not pipelines
      if (read_file(entry.path()).find("\"pipewright\"") == std::string::npos)
        continue;  // e.g. package.json
      files.push_back(entry.path());
    }
  }
  return files;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conf_files)

BOOST_AUTO_TEST_CASE(shipped_pipelines_pass_validation) {
  // Plugins are not loaded here (the CLI tests validate with them): the
  // shape, references, needs, cycles and composed files are checked.
  pw::ValidationContext ctx;
  ctx.find_pipeline = [](std::string_view uses, const fs::path& from) {
    auto file = from.parent_path() / std::string(uses);
    return fs::exists(file) ? file : fs::path();
  };
  ctx.check_required_inputs = false;
  const auto files = shipped_pipelines();
  BOOST_TEST(files.size() >= 8u, "expected conf/*.json, conf/lib/*.json and the examples");
  for (const auto& file : files) {
    auto r = pw::load_pipeline(file);
    BOOST_TEST(r.errors.empty(), file.string() << ":\n" << pw::test::all_messages(r.errors));
    if (!r.pipeline) continue;
    auto problems = pw::validate_pipeline(*r.pipeline, ctx);
    BOOST_TEST(problems.empty(), file.string() << ":\n" << pw::test::all_messages(problems));
  }
}

BOOST_AUTO_TEST_CASE(compiled_schema_is_the_shipped_schema) {
  const std::string shipped =
      read_file(fs::path(PW_TEST_SOURCE_DIR) / "conf/schema/pipeline.schema.json");
  BOOST_TEST(std::string(pw::config_detail::pipeline_schema_text) == shipped);
  boost::system::error_code ec;
  auto schema = boost::json::parse(shipped, ec);
  BOOST_REQUIRE(!ec);
  const auto& properties = schema.at("properties").as_object();
  for (const char* key :
       {"$schema", "pipewright", "name", "description", "inputs", "auth", "steps", "outputs"}) {
    BOOST_TEST(properties.contains(key), key);
  }
  BOOST_TEST(schema.at("additionalProperties") == boost::json::value(false));
}

BOOST_AUTO_TEST_SUITE_END()
