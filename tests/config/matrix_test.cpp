// A matrix's instances (GitHub Actions' include/exclude rules), their
// default labels, and what validation knows about an axis before the run.
#include "test_support.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <stdlib.h>

namespace json = boost::json;
using pw::test::expect_error;

namespace {

std::map<std::string, json::array> axes(std::string_view text) {
  std::map<std::string, json::array> out;
  const json::value parsed = json::parse(text);
  for (const auto& kv : parsed.as_object()) out[std::string(kv.key())] = kv.value().as_array();
  return out;
}

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pw-matrix-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

std::string instances_text(const std::vector<json::object>& instances) {
  json::array a;
  for (const auto& o : instances) a.push_back(o);
  return json::serialize(a);
}

pw::Diagnostics validate_with(std::string_view text, std::map<std::string, json::value> given) {
  auto r = pw::test::parse(text);
  BOOST_REQUIRE_MESSAGE(r.errors.empty(), pw::test::all_messages(r.errors));
  pw::ValidationContext ctx;
  ctx.given_inputs = std::move(given);
  ctx.check_required_inputs = true;
  return pw::validate_pipeline(*r.pipeline, ctx);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(matrix)

BOOST_AUTO_TEST_CASE(instances_are_the_cross_product_in_axis_name_order) {
  auto got = pw::matrix_instances(axes(R"({"os": ["a", "b"], "n": [1, 2]})"), {}, {});
  BOOST_TEST(instances_text(got) ==
             R"([{"n":1,"os":"a"},{"n":1,"os":"b"},{"n":2,"os":"a"},{"n":2,"os":"b"}])");
}

BOOST_AUTO_TEST_CASE(exclude_removes_every_instance_it_matches_partially) {
  const json::value exclude = json::parse(R"([{"os": "b"}, {"os": "a", "n": 2}])");
  auto got = pw::matrix_instances(axes(R"({"os": ["a", "b"], "n": [1, 2]})"), {}, exclude.as_array());
  BOOST_TEST(instances_text(got) == R"([{"n":1,"os":"a"}])");
}

BOOST_AUTO_TEST_CASE(include_extends_matching_instances_or_adds_one_of_its_own) {
  const json::value include =
      json::parse(R"([{"color": "green"}, {"color": "pink", "animal": "cat"}, {"fruit": "apple", "shape": "circle"},
                      {"fruit": "banana"}, {"fruit": "banana", "animal": "cat"}])");
  auto got = pw::matrix_instances(axes(R"({"fruit": ["apple", "pear"], "animal": ["cat"]})"), include.as_array(), {});
  // GitHub's documented example: an added key may be overwritten, an axis value never.
  BOOST_TEST(instances_text(got) ==
             R"([{"animal":"cat","fruit":"apple","color":"pink","shape":"circle"},)"
             R"({"animal":"cat","fruit":"pear","color":"pink"},{"fruit":"banana"},{"fruit":"banana","animal":"cat"}])");
}

BOOST_AUTO_TEST_CASE(a_matrix_of_only_include_runs_each_entry) {
  const json::value include = json::parse(R"([{"t": "a"}, {"t": "b"}])");
  auto got = pw::matrix_instances({}, include.as_array(), {});
  BOOST_TEST(instances_text(got) == R"([{"t":"a"},{"t":"b"}])");
}

BOOST_AUTO_TEST_CASE(default_label_names_an_object_by_its_tenant_name_or_id_never_whole) {
  auto label = [](std::string_view text, std::size_t index) {
    const json::value instance = json::parse(text);
    return pw::matrix_default_label(instance.as_object(), index);
  };
  BOOST_TEST(label(R"({"t": {"tenant": "acme", "site": "s"}})", 0) == "acme");
  BOOST_TEST(label(R"({"t": {"id": 7}})", 0) == "7");
  BOOST_TEST(label(R"({"t": {"site": "s"}})", 4) == "#5");
  BOOST_TEST(label(R"({"a": "x", "b": 2})", 0) == "x,2");
}

BOOST_AUTO_TEST_CASE(an_axis_from_a_string_input_is_one_error_without_cascade) {
  // The first mistake of the issue: every later use of matrix.t is fine.
  auto errors = validate_with(R"({
  "pipewright": 1,
  "inputs": { "tenants": { "type": "string" } },
  "steps": [
    { "id": "deploy", "uses": "core.echo", "matrix": { "t": "${{ inputs.tenants }}" },
      "with": { "values": { "site": "${{ matrix.t.site }}", "who": "${{ matrix.t.tenant }}" } } }
  ]
})", {{"tenants", json::value("t.json")}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 5, 61, "matrix axis \"t\" reads input \"tenants\", whose type is string, not array");
  BOOST_TEST(errors[0].hint.find("readJSON(inputs.tenants)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_axis_from_an_input_is_checked_with_the_value_given) {
  const std::string text = R"({
  "pipewright": 1,
  "inputs": { "tenants": { "type": "array" } },
  "steps": [ { "id": "d", "uses": "core.echo", "matrix": { "t": "${{ inputs.tenants }}" } } ]
})";
  BOOST_TEST(validate_with(text, {{"tenants", json::parse(R"(["a", "b"])")}}).empty());
  auto errors = validate_with(text, {{"tenants", json::array()}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "matrix axis \"t\" has no values");
}

BOOST_AUTO_TEST_CASE(an_axis_read_from_a_file_is_checked_before_the_run) {
  ScratchDir dir;
  auto object_file = dir.write("obj.json", R"({"not": "a list"})");
  auto list_file = dir.write("list.jsonc", "// tenants\n[{\"tenant\": \"a\"},]\n");
  const std::string text = R"({
  "pipewright": 1,
  "inputs": { "file": { "type": "string" } },
  "steps": [ { "id": "d", "uses": "core.echo", "matrix": { "t": "${{ readJSON(inputs.file) }}" } } ]
})";
  BOOST_TEST(validate_with(text, {{"file", json::value(list_file.string())}}).empty());
  auto errors = validate_with(text, {{"file", json::value(object_file.string())}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "matrix axis \"t\" is an object, not an array");
  errors = validate_with(text, {{"file", json::value((dir.path / "missing.json").string())}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "cannot read the file");
}

BOOST_AUTO_TEST_CASE(read_json_refuses_what_is_not_a_bounded_regular_file) {
  ScratchDir dir;
  const std::string text = R"({
  "pipewright": 1,
  "inputs": { "file": { "type": "string" } },
  "steps": [ { "id": "d", "uses": "core.echo", "matrix": { "t": "${{ readJSON(inputs.file) }}" } } ]
})";
  auto errors = validate_with(text, {{"file", json::value("/dev/zero")}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "readJSON('/dev/zero'): not a regular file");
  auto fifo = dir.path / "fifo";
  BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
  errors = validate_with(text, {{"file", json::value(fifo.string())}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "not a regular file");
  errors = validate_with(text, {{"file", json::value(dir.path.string())}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "not a regular file");
  auto huge = dir.write("huge.json", "[]");
  std::filesystem::resize_file(huge, (16u << 20) + 1);  // sparse: costs no disk
  errors = validate_with(text, {{"file", json::value(huge.string())}});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 4, 65, "the file is 16777217 bytes, more than the 16777216 accepted");
}

BOOST_AUTO_TEST_CASE(keys_that_include_adds_and_the_name_template_may_be_read) {
  auto errors = validate_with(R"({
  "pipewright": 1,
  "steps": [ { "id": "d", "uses": "core.echo",
    "matrix": { "t": ["a"], "include": [{ "t": "a", "region": "eu" }], "name": "${{ matrix.t }}-${{ matrix.region }}" },
    "with": { "values": { "r": "${{ matrix.region }}" } } } ]
})", {});
  BOOST_TEST(errors.empty(), pw::test::all_messages(errors));
  errors = validate_with(R"({
  "pipewright": 1,
  "steps": [ { "id": "d", "uses": "core.echo", "matrix": { "t": ["a"], "name": "${{ matrix.zone }}" } } ]
})", {});
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  expect_error(errors, 3, 80, "matrix reference 'matrix.zone' outside a step with matrix axis \"zone\"");
}

BOOST_AUTO_TEST_SUITE_END()
