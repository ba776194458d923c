// What the Cloudflare plugins send and in how many sequential round trips,
// read from the `http` events of `--output json` runs against a sandbox
// that delays every answer (docs/cloudflare.md, "Round trips"): requests
// of one step that were in flight together are one round trip.
#define BOOST_TEST_MODULE cloudflare_round_trips
#include "deploy_fixture.hpp"

#include <pipewright/util/rfc3339.hpp>
#include <pipewright/util/text.hpp>

#include <chrono>

#include <algorithm>

using namespace pw::deploy_test;
namespace sbt = pw::sandbox::test;

namespace {

constexpr std::int64_t latency_ms = 100;

struct Sent {
  std::string method, path;
  int status = 0;
  std::int64_t start = 0, end = 0;
  std::string text() const { return method + " " + path + " -> " + std::to_string(status); }
};

// One step's requests, grouped into round trips.
struct Trips {
  std::vector<std::vector<Sent>> rounds;
  std::size_t requests() const {
    std::size_t n = 0;
    for (const auto& r : rounds) n += r.size();
    return n;
  }
  std::string text() const {
    std::string out;
    for (std::size_t i = 0; i < rounds.size(); ++i) {
      out += "  round " + std::to_string(i + 1) + ":";
      for (const auto& s : rounds[i]) out += " [" + s.text() + "]";
      out += "\n";
    }
    return out;
  }
  // Whether a request of `method` whose path contains `part` went out in round `i` (0-based).
  bool in_round(std::size_t i, const std::string& method, const std::string& part) const {
    if (i >= rounds.size()) return false;
    return std::any_of(rounds[i].begin(), rounds[i].end(),
                       [&](const Sent& s) { return s.method == method && s.path.find(part) != std::string::npos; });
  }
};

// Each step's requests (an event's `ts` is when the answer came). A request
// that starts before the first answer of the current round is in, less
// half the sandbox's delay for event timing, belongs to that round.
std::map<std::string, Trips> trips_of(const Run& run) {
  std::map<std::string, std::vector<Sent>> by_step;
  for (const auto& e : run.events) {
    if (e.at("type") != "http") continue;
    Sent s;
    s.method = e.at("method").as_string();
    s.path = e.at("path").as_string();
    if (s.path.starts_with("/client/v4")) s.path.erase(0, std::string("/client/v4").size());
    s.status = static_cast<int>(e.at("status").to_number<std::int64_t>());
    s.end = e.at("ts").to_number<std::int64_t>();
    s.start = s.end - e.at("duration_ms").to_number<std::int64_t>();
    by_step[std::string(e.at("step").as_string())].push_back(std::move(s));
  }
  std::map<std::string, Trips> out;
  for (auto& [step, sent] : by_step) {
    std::sort(sent.begin(), sent.end(), [](const Sent& a, const Sent& b) { return a.start < b.start; });
    Trips& t = out[step];
    std::int64_t first_answer = 0;
    for (auto& s : sent) {
      if (t.rounds.empty() || s.start >= first_answer - latency_ms / 2) {
        t.rounds.emplace_back();
        first_answer = s.end;
      }
      first_answer = std::min(first_answer, s.end);
      t.rounds.back().push_back(std::move(s));
    }
  }
  return out;
}

std::string all_trips(const std::map<std::string, Trips>& trips) {
  std::string out;
  for (const auto& [step, t] : trips) out += step + ":\n" + t.text();
  return out;
}

struct RoundTripFixture : DeployFixture {
  RoundTripFixture() { sandbox.server.set_faults("latency=" + std::to_string(latency_ms) + "ms"); }
  ~RoundTripFixture() { sandbox.server.set_faults(""); }

  std::size_t buckets_named(const std::string& name) {
    auto r = sandbox.client.get("/accounts/" + id().account_id + "/r2/buckets", global());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    std::size_t n = 0;
    for (const auto& b : r.result().at("buckets").as_array()) n += b.at("name").as_string() == name ? 1 : 0;
    return n;
  }
};

const std::map<std::string, std::string> flow_inputs{{"site", "site"}};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(round_trips, RoundTripFixture)

BOOST_AUTO_TEST_CASE(the_flow_batches_independent_reads_and_an_unchanged_rerun_reads_once_per_step) {
  auto first = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(first.exit_code() == 0, first.log());
  auto trips = trips_of(first);
  const std::string seen = all_trips(trips);
  BOOST_TEST_MESSAGE("first run:\n" << seen);

  // Only the test step verifies the token: not the new token's auth, nor
  // the composed pipelines'.
  for (const char* step : {"token/auth:created", "infrastructure/auth:token", "tenant/auth:token"})
    BOOST_TEST(!trips.contains(step), seen);
  // The new token's first request goes alone (the host learns the budget
  // left from its answer, docs/http.md): the verification, then the probes.
  BOOST_TEST(trips["token/test"].rounds.size() == 2u, seen);
  BOOST_TEST(trips["token/test"].rounds.front().size() == 1u, seen);
  BOOST_TEST(trips["token/test"].in_round(0, "GET", "/user/tokens/verify"), seen);
  // The bucket: read and create together.
  const auto& bucket = trips["infrastructure/bucket"];
  BOOST_TEST(bucket.rounds.size() == 1u, seen);
  BOOST_TEST(bucket.in_round(0, "POST", "/r2/buckets"), seen);
  BOOST_TEST(first.flag("bucket_created"));
  // The fallback origin: the zone, the fallback origin and the DNS records
  // (CLOUDFLARE_ZONE_NAME names the origin) read at once.
  const auto& fallback = trips["infrastructure/fallback"];
  BOOST_TEST(fallback.rounds.front().size() == 3u, seen);
  BOOST_TEST(fallback.in_round(0, "GET", "/dns_records"), seen);
  // The route: the list and the create at once (the pattern is given).
  BOOST_TEST(trips["infrastructure/route"].rounds.size() == 1u, seen);
  BOOST_TEST(trips["infrastructure/route"].in_round(0, "POST", "/workers/routes"), seen);
  BOOST_TEST(first.flag("route_changed"));
  // The hostname: lookup and mapping read at once, then the create, then
  // the mapping (only once the hostname is proven the tenant's).
  const auto& hostname = trips["tenant/hostname"];
  BOOST_TEST(hostname.rounds.size() == 3u, seen);
  BOOST_TEST(hostname.in_round(0, "GET", "/custom_hostnames?hostname="), seen);
  BOOST_TEST(hostname.in_round(0, "GET", "/objects/_hostnames/"), seen);
  BOOST_TEST(hostname.in_round(1, "POST", "/custom_hostnames"), seen);
  BOOST_TEST(hostname.in_round(2, "PUT", "/objects/_hostnames/"), seen);
  // The upload: the listing, then the files; no HEAD or verify pass.
  const auto& upload = trips["tenant/upload"];
  BOOST_TEST(upload.requests() == 1 + site_files(), seen);
  for (const auto& round : upload.rounds)
    for (const auto& s : round) BOOST_TEST((s.method == "GET" || s.method == "PUT"), s.text());

  auto again = run(conf_pipeline("create-test-deploy.json"), flow_inputs);
  BOOST_REQUIRE_MESSAGE(again.exit_code() == 0, again.log());
  trips = trips_of(again);
  const std::string seen_again = all_trips(trips);
  BOOST_TEST_MESSAGE("re-run:\n" << seen_again);
  BOOST_TEST(!again.flag("bucket_created"));
  BOOST_TEST(!again.flag("route_changed"));
  BOOST_TEST(again.integer("uploaded") == 0);
  BOOST_TEST(buckets_named("pipewright-sites") == 1u);
  // Each deploy step of an unchanged re-run: one round trip, these requests
  // (the token was used before the test step: token.create checked it).
  const std::map<std::string, std::size_t> expected{{"token/test", 9},
                                                    {"infrastructure/bucket", 2},
                                                    {"infrastructure/worker", 2},
                                                    {"infrastructure/fallback", 3},
                                                    {"infrastructure/route", 2},
                                                    {"tenant/upload", 1},
                                                    {"tenant/hostname", 2}};
  for (const auto& [step, requests] : expected) {
    BOOST_TEST(trips[step].rounds.size() == 1u, step << "\n" << seen_again);
    BOOST_TEST(trips[step].requests() == requests, step << "\n" << seen_again);
  }
  // The existing bucket is adopted from its 409 (10004), not created again.
  BOOST_TEST(trips["infrastructure/bucket"].in_round(0, "POST", "/r2/buckets"), seen_again);
  for (const auto& s : trips["infrastructure/bucket"].rounds.front())
    if (s.method == "POST") BOOST_TEST(s.status == 409, s.text());
}

BOOST_AUTO_TEST_CASE(test_token_verifies_the_token_once_then_sends_every_probe_at_once) {
  auto token = run(conf_pipeline("create-token.json"));
  BOOST_REQUIRE_MESSAGE(token.exit_code() == 0, token.log());
  extra_env["CLOUDFLARE_API_TOKEN"] = token_in(work.path() / ".env");
  auto r = run(conf_pipeline("test-token.json"));
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.integer("passed") == 8);
  BOOST_TEST(!r.text("token_id").empty());
  auto trips = trips_of(r);
  const std::string seen = all_trips(trips);
  BOOST_TEST(trips.size() == 1u, seen);  // nothing from the auth
  // The token's first request goes alone (docs/http.md): the verification,
  // then the eight probes together.
  BOOST_TEST(trips["test"].rounds.size() == 2u, seen);
  BOOST_TEST(trips["test"].requests() == 9u, seen);
  BOOST_TEST(trips["test"].rounds.front().size() == 1u, seen);
  BOOST_TEST(trips["test"].in_round(0, "GET", "/user/tokens/verify"), seen);
}

BOOST_AUTO_TEST_CASE(the_test_step_asks_again_while_a_token_just_made_is_not_known_yet) {
  // Valid two seconds from now: refused (401) until then, as a new token is
  // until it reaches every Cloudflare edge.
  const auto soon = pw::util::format_rfc3339(pw::util::now() + std::chrono::seconds(2));
  const auto token = sandbox.make_token({sbt::policy({"Zone Read"}, sbt::zone_key(id().zone_id))},
                                        json::object{{"not_before", soon}});
  extra_env["CLOUDFLARE_API_TOKEN"] = token.value;
  auto r = run(test_pipeline("test-permissions-waiting.json"));
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(r.integer("passed") == 1);
  BOOST_TEST(r.text("token_id") == token.id);
  auto trips = trips_of(r);
  const auto& test = trips["test"];
  BOOST_TEST(test.rounds.size() >= 2u, all_trips(trips));
  // Every round but the last was refused whole, the verification with 401.
  for (std::size_t i = 0; i + 1 < test.rounds.size(); ++i)
    for (const auto& s : test.rounds[i]) {
      BOOST_TEST((s.status == 401 || s.status == 403), s.text());
      if (s.path == "/user/tokens/verify") BOOST_TEST(s.status == 401, s.text());
    }
  BOOST_TEST(test.in_round(test.rounds.size() - 1, "GET", "/user/tokens/verify"), all_trips(trips));
}

BOOST_AUTO_TEST_CASE(test_token_names_every_cause_of_a_refused_token_and_how_to_make_a_new_one) {
  const std::string bad = "cfut_" + std::string(40, 'Q') + "deadbeef";
  extra_env["CLOUDFLARE_API_TOKEN"] = bad;
  auto r = run(conf_pipeline("test-token.json"));
  BOOST_TEST(r.exit_code() == 1);
  const auto said = r.errors();
  for (const char* part : {"Cloudflare refused the API token", "unknown, deleted or rolled, disabled, expired",
                           "account-owned token", "401", "pipewright run create-token", "no permission can be tested"})
    BOOST_TEST(pw::util::lower(said).find(pw::util::lower(part)) != std::string::npos, part << "\n" << said);
  BOOST_TEST(r.process.out.find("tests passed") == std::string::npos);
  BOOST_TEST(said.find(bad) == std::string::npos);
  BOOST_TEST(r.process.out.find(bad) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bucket_the_token_may_read_but_not_create_is_used_as_it_is) {
  auto made = sandbox.client.post("/accounts/" + id().account_id + "/r2/buckets",
                                  json::value(json::object{{"name", "pipewright-sites"}}), global());
  BOOST_REQUIRE_MESSAGE(made.status == 200, made.body);
  const auto reader = sandbox.make_token(
      {sbt::policy({"Workers R2 Storage Read"}, sbt::account_key(id().account_id))});
  extra_env["CLOUDFLARE_API_TOKEN"] = reader.value;
  auto r = run(test_pipeline("bucket.json"));
  BOOST_REQUIRE_MESSAGE(r.exit_code() == 0, r.log());
  BOOST_TEST(!r.flag("created"));
  auto trips = trips_of(r);
  BOOST_TEST(trips["bucket"].rounds.size() == 1u, all_trips(trips));
  BOOST_TEST(buckets_named("pipewright-sites") == 1u);

  // A bucket it may not create and that is not there: the create's refusal is the error.
  auto missing = run(test_pipeline("bucket.json"), {{"bucket", "another-bucket"}});
  BOOST_TEST(missing.exit_code() == 1);
  BOOST_TEST(missing.errors().find("creating the R2 bucket 'another-bucket' failed") != std::string::npos,
             missing.log());
  BOOST_TEST(buckets_named("another-bucket") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
