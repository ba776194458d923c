// Runs one fuzz target over its seed corpus and saved crashes in the
// ordinary builds, so a fixed crash stays fixed without clang or libFuzzer.
#define BOOST_TEST_MODULE fuzz_replay
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

BOOST_AUTO_TEST_CASE(every_seed_and_regression_input_runs_clean) {
  std::vector<std::filesystem::path> inputs;
  for (const char* dir : {PW_FUZZ_CORPUS, PW_FUZZ_REGRESSIONS}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
      if (entry.is_regular_file()) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  BOOST_REQUIRE(!inputs.empty());
  for (const auto& file : inputs) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_TEST_CHECKPOINT(file.string());
    BOOST_TEST(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0,
               file.string());
  }
}
