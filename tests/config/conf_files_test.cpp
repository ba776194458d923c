// Every shipped pipeline under conf/ parses cleanly, and the editor schema
// is itself valid JSON describing the same top-level keys.
#include "test_support.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(conf_files)

BOOST_AUTO_TEST_CASE(shipped_pipelines_parse_without_errors) {
  const fs::path conf = fs::path(PW_TEST_SOURCE_DIR) / "conf";
  int checked = 0;
  BOOST_REQUIRE(fs::exists(conf));
  {
    for (const auto& entry : fs::recursive_directory_iterator(conf)) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".json" && ext != ".jsonc")) continue;
      if (entry.path().parent_path().filename() == "schema") continue;  // schemas are not pipelines
      auto r = pw::load_pipeline(entry.path());
      BOOST_TEST(r.errors.empty(), entry.path().string() << ":\n" << pw::test::all_messages(r.errors));
      ++checked;
    }
  }
  BOOST_TEST(checked > 0, "no pipeline files found under conf/");
}

BOOST_AUTO_TEST_CASE(pipeline_schema_is_valid_json_with_every_top_level_key) {
  std::ifstream in(fs::path(PW_TEST_SOURCE_DIR) / "conf/schema/pipeline.schema.json");
  BOOST_REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto schema = boost::json::parse(text.str(), ec);
  BOOST_REQUIRE(!ec);
  const auto& properties = schema.at("properties").as_object();
  for (const char* key : {"pipewright", "name", "description", "inputs", "auth", "steps", "outputs"}) {
    BOOST_TEST(properties.contains(key), key);
  }
  BOOST_TEST(schema.at("additionalProperties") == boost::json::value(false));
}

BOOST_AUTO_TEST_SUITE_END()
