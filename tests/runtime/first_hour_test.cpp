// A new user's first hour (issue: "nothing surprising, nothing dangerous,
// every mistake answered"), through the real binary: the sandbox never
// touches real credentials, typos get a suggestion, machine consumers get
// JSON, and the terminal output has manners.
#define BOOST_TEST_MODULE first_hour
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"
#include "test_support.hpp"

using pw::test::ProcessOptions;
using pw::test::ProcessResult;
using pw::test::TempDir;

namespace {

const std::string real_token = "my-real-production-token-0123456789abcdef";

ProcessResult run(const TempDir& dir, std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  ProcessOptions o;
  o.args = std::move(args);
  o.cwd = dir.path;
  o.env = std::move(env);
  o.timeout = std::chrono::seconds(60);
  return pw::test::run_pipewright(o);
}

std::string log_of(const ProcessResult& r) { return r.out + "\n--- stderr ---\n" + r.err; }

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_credentials)

BOOST_AUTO_TEST_CASE(create_token_in_the_sandbox_leaves_a_real_env_alone_and_test_token_finds_its_own) {
  TempDir dir;
  const std::string real_env = "# production\nCLOUDFLARE_API_TOKEN=" + real_token + "\n";
  dir.write(".env", real_env);

  auto created = run(dir, {"run", "create-token", "--sandbox"});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, log_of(created));
  BOOST_TEST(dir.read(".env") == real_env);
  const std::string sandbox_env = dir.read(".pipewright/sandbox/.env");
  BOOST_TEST(sandbox_env.find("CLOUDFLARE_API_TOKEN=") != std::string::npos, sandbox_env);
  BOOST_TEST(sandbox_env.rfind("# written by a pipewright --sandbox run", 0) == 0u, sandbox_env);

  // The sandbox persists between runs in the directory: its token still works.
  auto tested = run(dir, {"run", "test-token", "--sandbox"});
  BOOST_TEST(tested.exit_code == 0, log_of(tested));
  BOOST_TEST(tested.out.find("8/8 tests passed") != std::string::npos, log_of(tested));
  BOOST_TEST(dir.read(".env") == real_env);
  BOOST_TEST(created.out.find(real_token) == std::string::npos);
  BOOST_TEST(tested.out.find(real_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_env_file_holding_a_real_token_is_never_rewritten_by_a_sandbox_run) {
  TempDir dir;
  const std::string real_env = "CLOUDFLARE_API_TOKEN=" + real_token + "\n";
  dir.write(".env", real_env);
  const std::string named = (dir.path / ".env").string();
  auto r = run(dir, {"run", "create-token", "--sandbox", "--input", "path=" + named});
  BOOST_TEST(r.exit_code == 1, log_of(r));
  BOOST_TEST(r.out.find("refusing to replace CLOUDFLARE_API_TOKEN in " + named) != std::string::npos, log_of(r));
  BOOST_TEST(dir.read(".env") == real_env);

  // A relative path may not leave the sandbox state; an absolute path to a
  // new file is written, and marked as the sandbox's.
  auto escape = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=../x.env"});
  BOOST_TEST(escape.exit_code == 1, log_of(escape));
  BOOST_TEST(escape.out.find("leaves it") != std::string::npos, log_of(escape));
  BOOST_TEST(!std::filesystem::exists(dir.path / ".pipewright" / "x.env"));
  const std::string elsewhere = (dir.path / "sandbox.env").string();
  auto own = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=" + elsewhere});
  BOOST_TEST(own.exit_code == 0, log_of(own));
  BOOST_TEST(dir.read("sandbox.env").rfind("# written by a pipewright --sandbox run", 0) == 0u);
  // ... and a later sandbox run may replace what a sandbox run wrote.
  auto again = run(dir, {"run", "create-token", "--sandbox", "--input", "if_exists=roll", "--input", "path=" + elsewhere});
  BOOST_TEST(again.exit_code == 0, log_of(again));
}

BOOST_AUTO_TEST_CASE(a_real_token_from_the_shell_is_not_the_sandbox_credential) {
  TempDir dir;
  auto r = run(dir, {"run", "test-token", "--sandbox"}, {{"CLOUDFLARE_API_TOKEN", real_token}});
  // Nothing the sandbox issued: the token is missing, not sent to it.
  BOOST_TEST(r.exit_code == 2, log_of(r));
  BOOST_TEST(r.err.find("CLOUDFLARE_API_TOKEN") != std::string::npos, log_of(r));
  BOOST_TEST(log_of(r).find(real_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_sandbox_state_is_fresh_and_separate) {
  TempDir dir;
  auto first = run(dir, {"run", "create-token", "--sandbox", "--sandbox-state", "one"});
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, log_of(first));
  BOOST_TEST(std::filesystem::exists(dir.path / "one" / ".env"));
  BOOST_TEST(!std::filesystem::exists(dir.path / ".pipewright"));
  // Another state knows nothing of the first one's token.
  auto other = run(dir, {"run", "test-token", "--sandbox", "--sandbox-state", "two"});
  BOOST_TEST(other.exit_code == 2, log_of(other));
}

BOOST_AUTO_TEST_SUITE_END()
