// The scheduler in-process with the real core plugins: DAG and conditions,
// auth resolved once and injected into requests (never shown), matrices,
// nested pipelines and cancellation.
#define BOOST_TEST_MODULE scheduler
#include "test_support.hpp"

#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/engine/scheduler.hpp>
#include <pipewright/util/sigv4.hpp>
#include <pipewright/util/text.hpp>

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace json = boost::json;

namespace {

// The run's shared objects, with every event captured as a JSON line.
struct Harness {
  pw::Redactor redactor;
  std::mutex lines_mutex;
  std::vector<std::string> lines;
  pw::EventStream events{redactor, pw::OutputFormat::json, 1, [this](std::string_view l) {
                           std::lock_guard lock(lines_mutex);
                           lines.emplace_back(l);
                         }};
  pw::HttpClient http{};
  pw::Environment environment = pw::Environment::from_process();
  pw::PluginRegistry registry{pw::host_services()};
  pw::CancelScope root;
  pw::ParallelismBudget budget{8};
  pw::RunContext run{redactor, events, http, environment, registry, root, budget,
                     std::filesystem::temp_directory_path(), "http://127.0.0.1:9/client/v4", ""};

  Harness() { registry.scan({PIPEWRIGHT_BUILD_PLUGIN_DIR}); }

  pw::PipelineResult run_text(const std::string& text, std::shared_ptr<pw::Pipeline>* keep = nullptr,
                              pw::ChildPipelineLoader loader = {}) {
    auto loaded = pw::parse_pipeline(text, "test.json");
    for (const auto& e : loaded.errors) BOOST_TEST_MESSAGE(pw::render_text(e));
    BOOST_REQUIRE(loaded.pipeline);
    auto pipeline = std::make_shared<pw::Pipeline>(std::move(*loaded.pipeline));
    if (keep) *keep = pipeline;
    pw::PipelineInvocation inv{*pipeline, {}, root, "", std::move(loader)};
    return pw::run_pipeline(run, inv);
  }
  std::string all_output() {
    std::lock_guard lock(lines_mutex);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

// A one-request-at-a-time HTTP server on loopback that records the raw
// request heads it received.
struct RecordingServer {
  int fd = -1;
  std::uint16_t port = 0;
  std::mutex mutex;
  std::vector<std::string> heads;
  std::atomic<bool> stop{false};
  std::thread thread;

  RecordingServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::listen(fd, 8);
    thread = std::thread([this] { serve(); });
  }
  ~RecordingServer() {
    stop = true;
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
  void serve() {
    while (!stop) {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char buf[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex);
        heads.push_back(head);
      }
      const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      [[maybe_unused]] auto w = ::write(c, reply, sizeof reply - 1);
      ::close(c);
    }
  }
};

int count_events(const std::string& out, const std::string& needle) {
  int n = 0;
  for (auto pos = out.find(needle); pos != std::string::npos; pos = out.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(outputs_flow_along_the_dag) {
  Harness h;
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "b", "uses": "core.echo", "with": {"values": {"sum": "${{ steps.a.outputs.n }}"}}},
    {"id": "a", "uses": "core.echo", "with": {"values": {"n": 41}}}]})");
  BOOST_TEST(r.ok());
  BOOST_TEST(r.steps.at("b").outputs.at("sum").as_int64() == 41);
}

BOOST_AUTO_TEST_CASE(auth_is_resolved_once_and_its_headers_are_injected_but_never_shown) {
  RecordingServer server;
  Harness h;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port) + "/probe";
  // core.echo stands in for an auth plugin: it sets "headers" as a secret.
  auto r = h.run_text(R"({"pipewright": 1,
    "auth": {"demo": {"uses": "core.echo",
      "with": {"secret": true, "values": {"headers": {"Authorization": "Bearer tok-Very-Secret-123"}}}}},
    "steps": [
      {"id": "one", "uses": "core.http.probe", "auth": "demo", "with": {"url": ")" + url + R"("}},
      {"id": "two", "uses": "core.http.probe", "auth": "demo", "with": {"url": ")" + url + R"("}}]})");
  std::string out = h.all_output();
  BOOST_TEST_INFO(out);
  BOOST_TEST(r.ok());
  BOOST_TEST(count_events(out, R"("step":"auth:demo","status":"ok")") == 1);
  BOOST_TEST(out.find("tok-Very-Secret-123") == std::string::npos);
  BOOST_TEST(count_events(out, R"("type":"http")") >= 2);
  std::lock_guard lock(server.mutex);
  BOOST_REQUIRE(server.heads.size() == 2u);
  for (const auto& head : server.heads)
    BOOST_TEST(head.find("Bearer tok-Very-Secret-123") != std::string::npos);
}

// ABI 1.2: a request sent with "step_auth": false carries the plugin's own
// header, and the step's auth headers are not added to it; any other value
// than a boolean is refused as a malformed request.
BOOST_AUTO_TEST_CASE(a_request_without_step_auth_carries_only_the_plugins_own_credential) {
  RecordingServer server;
  Harness h;
  h.registry.scan({std::string(PW_TEST_BINARY_DIR) + "/test-plugins/http_raw"});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port) + "/verify";
  auto request = [&](const std::string& step_auth) {
    return R"({"url": ")" + url + R"(", "headers": {"Authorization": "Bearer held-Value-4567"}, "step_auth": )" +
           step_auth + "}";
  };
  auto r = h.run_text(R"({"pipewright": 1,
    "auth": {"demo": {"uses": "core.echo",
      "with": {"secret": true, "values": {"headers": {"Authorization": "Bearer tok-Very-Secret-123", "X-Auth-Key": "key-Very-Secret-456"}}}}},
    "steps": [
      {"id": "own", "uses": "fixture.http.raw", "auth": "demo", "with": {"request": )" + request("false") + R"(}},
      {"id": "injected", "uses": "fixture.http.raw", "auth": "demo", "with": {"request": )" + request("true") + R"(}, "needs": ["own"]},
      {"id": "malformed", "uses": "fixture.http.raw", "auth": "demo", "with": {"request": )" + request("\"no\"") + R"(}, "needs": ["injected"]}]})");
  const std::string out = h.all_output();
  BOOST_TEST_INFO(out);
  BOOST_TEST(r.steps.at("own").outputs.at("status").as_int64() == 200);
  BOOST_TEST(r.steps.at("injected").outputs.at("status").as_int64() == 200);
  BOOST_TEST((r.steps.at("malformed").status == pw::StepStatus::failed));
  BOOST_TEST(out.find("step_auth\\\" must be true or false") != std::string::npos);
  std::lock_guard lock(server.mutex);
  BOOST_REQUIRE_EQUAL(server.heads.size(), 2u);
  BOOST_TEST(server.heads[0].find("Bearer held-Value-4567") != std::string::npos);
  BOOST_TEST(server.heads[0].find("tok-Very-Secret-123") == std::string::npos);
  BOOST_TEST(server.heads[0].find("key-Very-Secret-456") == std::string::npos);
  // By default the auth's headers replace the plugin's own of the same name.
  BOOST_TEST(server.heads[1].find("Bearer tok-Very-Secret-123") != std::string::npos);
  BOOST_TEST(server.heads[1].find("held-Value-4567") == std::string::npos);
  BOOST_TEST(server.heads[1].find("key-Very-Secret-456") != std::string::npos);
}

namespace {

// The header `name` of a raw request head; empty when absent.
std::string header_of(const std::string& head, const std::string& name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const auto end = head.find("\r\n", pos + 2);
    const auto line = head.substr(pos + 2, end - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos && pw::util::iequals(line.substr(0, colon), name)) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      return value;
    }
    pos = end;
  }
  return {};
}

}  // namespace

// ABI 1.4: an auth's "s3_credentials" let a step ask the host to sign a
// request ("sign": "aws-sigv4"); the signature is one a SigV4 server
// accepts, the auth's headers are not added, the secret never shows, and
// a step whose auth has no S3 credentials cannot ask.
BOOST_AUTO_TEST_CASE(the_host_signs_a_request_with_the_auths_s3_credentials) {
  RecordingServer server;
  Harness h;
  h.registry.scan({std::string(PW_TEST_BINARY_DIR) + "/test-plugins/http_raw"});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port) + "/site-bucket/a%20b/c.txt?uploads";
  const std::string secret = "0123456789abcdef0123456789abcdef-S3-Secret";
  auto r = h.run_text(R"({"pipewright": 1,
    "auth": {"s3": {"uses": "core.echo",
      "with": {"values": {"headers": {"Authorization": "Bearer tok-Very-Secret-123"},
                          "s3_credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": ")" + secret + R"("}}}},
             "plain": {"uses": "core.echo", "with": {"values": {"headers": {"Authorization": "Bearer tok-Very-Secret-123"}}}}},
    "steps": [
      {"id": "signed", "uses": "fixture.http.raw", "auth": "s3",
       "with": {"request": {"method": "POST", "url": ")" + url + R"(", "headers": {"Content-Type": "text/plain"}, "sign": "aws-sigv4"}}},
      {"id": "unsigned", "uses": "fixture.http.raw", "auth": "plain", "needs": ["signed"],
       "with": {"request": {"url": ")" + url + R"(", "sign": "aws-sigv4"}}}]})");
  const std::string out = h.all_output();
  BOOST_TEST_INFO(out);
  BOOST_TEST(r.steps.at("signed").outputs.at("status").as_int64() == 200);
  BOOST_TEST(r.steps.at("signed").outputs.at("context").at("signing").as_array().size() == 1u);
  BOOST_TEST((r.steps.at("unsigned").status == pw::StepStatus::failed));
  BOOST_TEST(out.find("the step's auth provides no S3 credentials") != std::string::npos);
  BOOST_TEST(out.find(secret) == std::string::npos, out.substr(out.find(secret) == std::string::npos ? 0 : out.find(secret) - 200, 400));

  std::lock_guard lock(server.mutex);
  BOOST_REQUIRE_EQUAL(server.heads.size(), 1u);
  const std::string& head = server.heads[0];
  BOOST_TEST(head.find("tok-Very-Secret-123") == std::string::npos);
  const auto authorization = pw::sigv4::parse_authorization(header_of(head, "Authorization"));
  BOOST_REQUIRE(authorization.has_value());
  BOOST_TEST(authorization->access_key_id == "AKIDEXAMPLE");
  BOOST_TEST(authorization->scope.region == "auto");
  BOOST_TEST(authorization->scope.service == "s3");
  // Recomputed as a server would: from the decoded path and query and the
  // signed headers as received.
  pw::sigv4::Request request;
  request.method = "POST";
  request.path = "/site-bucket/a b/c.txt";
  request.query = {{"uploads", ""}};
  for (const auto& name : authorization->signed_headers) request.headers.emplace_back(name, header_of(head, name));
  request.payload_hash = header_of(head, "x-amz-content-sha256");
  BOOST_TEST(request.payload_hash == pw::sigv4::sha256_hex(""));
  const auto& names = authorization->signed_headers;
  BOOST_TEST((std::find(names.begin(), names.end(), "content-type") != names.end()));
  const auto date = header_of(head, "x-amz-date");
  const auto expected = pw::sigv4::signature(secret, authorization->scope,
                                             pw::sigv4::string_to_sign(date, authorization->scope,
                                                                       pw::sigv4::canonical_request(request)));
  BOOST_TEST(pw::sigv4::same_signature(authorization->signature, expected));
}

BOOST_AUTO_TEST_CASE(matrix_runs_every_combination_and_collects_outputs) {
  Harness h;
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "m", "uses": "core.echo", "matrix": {"tenant": ["a", "b", "c"]},
     "with": {"values": {"who": "${{ matrix.tenant }}"}}}]})");
  BOOST_TEST(r.ok());
  const auto& who = r.steps.at("m").outputs.at("who").as_array();
  BOOST_REQUIRE(who.size() == 3u);
  BOOST_TEST(who[0].as_string() == "a");
  BOOST_TEST(who[2].as_string() == "c");
}

BOOST_AUTO_TEST_CASE(a_matrix_axis_from_an_input_runs_one_labelled_instance_per_item) {
  Harness h;
  auto loaded = pw::parse_pipeline(R"({"pipewright": 1,
    "inputs": {"tenants": {"type": "array"}},
    "steps": [{"id": "deploy", "uses": "core.echo",
      "matrix": {"t": "${{ inputs.tenants }}", "exclude": [{"t": {"tenant": "skip", "n": 3}}],
                 "include": [{"t": {"tenant": "acme", "n": 1}, "region": "eu"}]},
      "with": {"values": {"who": "${{ matrix.t.tenant }}", "region": "${{ matrix.region || 'none' }}"}}}]})",
                                   "test.json");
  BOOST_REQUIRE(loaded.pipeline);
  std::map<std::string, json::value> inputs{
      {"tenants", json::parse(R"([{"tenant": "acme", "n": 1}, {"tenant": "globex", "n": 2}, {"tenant": "skip", "n": 3}])")}};
  pw::PipelineInvocation inv{*loaded.pipeline, inputs, h.root, "", {}};
  auto r = pw::run_pipeline(h.run, inv);
  BOOST_TEST(r.ok(), h.all_output());
  const auto& outputs = r.steps.at("deploy").outputs;
  BOOST_TEST(json::serialize(outputs.at("who")) == R"(["acme","globex"])");
  BOOST_TEST(json::serialize(outputs.at("region")) == R"(["eu","none"])");
  BOOST_TEST(json::serialize(outputs.at("matrix")) ==
             R"([{"name":"acme","status":"ok"},{"name":"globex","status":"ok"}])");
  const std::string out = h.all_output();
  BOOST_TEST(out.find(R"("step":"deploy[acme]")") != std::string::npos, out);
  BOOST_TEST(out.find("\\\"tenant\\\"") == std::string::npos, out);  // no instance named by its whole object
}

BOOST_AUTO_TEST_CASE(a_matrix_of_more_than_ten_thousand_instances_fails_naming_the_step) {
  Harness h;
  auto loaded = pw::parse_pipeline(R"({"pipewright": 1,
    "inputs": {"n": {"type": "array"}},
    "steps": [{"id": "wide", "uses": "core.echo",
      "matrix": {"a": "${{ inputs.n }}", "b": "${{ inputs.n }}", "c": "${{ inputs.n }}"}}]})",
                                   "test.json");
  BOOST_REQUIRE(loaded.pipeline);
  json::array n;
  for (int i = 0; i < 30; ++i) n.push_back(i);  // 27,000 combinations
  pw::PipelineInvocation inv{*loaded.pipeline, {{"n", n}}, h.root, "", {}};
  auto r = pw::run_pipeline(h.run, inv);
  BOOST_TEST(!r.ok());
  const auto& step = r.steps.at("wide");
  BOOST_TEST(step.error.find("step wide: its matrix has more than 10000 instances") == 0u, step.error);
}

BOOST_AUTO_TEST_CASE(without_fail_fast_a_failed_instance_leaves_the_others_to_finish) {
  Harness h;
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "m", "uses": "core.echo",
     "matrix": {"t": [{"id": "a", "bad": 0}, {"id": "b", "bad": 9}, {"id": "c", "bad": 0}], "fail_fast": false},
     "with": {"delay_ms": "${{ matrix.t.bad == 0 && 300 || 0 }}", "fail_attempts": "${{ matrix.t.bad }}",
              "values": {"done": "${{ matrix.t.id }}"}}}]})");
  BOOST_TEST(!r.ok());
  const auto& step = r.steps.at("m");
  BOOST_TEST(pw::status_name(step.status) == "failed");
  BOOST_TEST(step.error.find("matrix b: ") == 0u, step.error);
  BOOST_TEST(json::serialize(step.outputs.at("done")) == R"(["a",null,"c"])");
  const auto& instances = step.outputs.at("matrix").as_array();
  BOOST_TEST(instances[0].at("status").as_string() == "ok");
  BOOST_TEST(instances[1].at("status").as_string() == "failed");
  BOOST_TEST(instances[2].at("status").as_string() == "ok");
}

BOOST_AUTO_TEST_CASE(with_fail_fast_a_failed_instance_cancels_the_others) {
  Harness h;
  auto started = std::chrono::steady_clock::now();
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "m", "uses": "core.echo", "matrix": {"t": [0, 9, 0]},
     "with": {"delay_ms": "${{ matrix.t == 0 && 5000 || 0 }}", "fail_attempts": "${{ matrix.t }}"}}]})");
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(4)));
  const auto& instances = r.steps.at("m").outputs.at("matrix").as_array();
  BOOST_TEST(instances[1].at("status").as_string() == "failed");
  BOOST_TEST(instances[0].at("status").as_string() == "cancelled");
  BOOST_TEST(instances[2].at("status").as_string() == "cancelled");
  BOOST_TEST(pw::status_name(r.steps.at("m").status) == "failed");
}

BOOST_AUTO_TEST_CASE(a_pipeline_step_runs_the_child_and_returns_its_outputs) {
  pw::test::TempDir dir;
  auto child_file = dir.write("child.json", R"({"pipewright": 1,
    "inputs": {"name": {"required": true}},
    "steps": [{"id": "greet", "uses": "core.echo", "with": {"values": {"msg": "hi ${{ inputs.name }}"}}}],
    "outputs": {"message": "${{ steps.greet.outputs.msg }}"}})");
  Harness h;
  std::vector<std::shared_ptr<const pw::Pipeline>> keep;
  pw::ChildPipelineLoader loader = [&](std::string_view, const std::filesystem::path&,
                                       std::string& error) -> std::shared_ptr<const pw::Pipeline> {
    auto loaded = pw::load_pipeline(child_file);
    if (!loaded.pipeline) {
      error = "child did not load";
      return nullptr;
    }
    keep.push_back(std::make_shared<const pw::Pipeline>(std::move(*loaded.pipeline)));
    return keep.back();
  };
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "sub", "uses": ")" + child_file.string() + R"(", "with": {"name": "ann"}}]})",
                      nullptr, loader);
  BOOST_TEST_INFO(h.all_output());
  BOOST_TEST(r.ok());
  BOOST_TEST(r.steps.at("sub").outputs.at("message").as_string() == "hi ann");
  BOOST_TEST(h.all_output().find(R"("step":"sub/greet")") != std::string::npos);
}

namespace {

// A composed pipeline whose output `a` is known at once and `b` only after
// the slow step (a `slow_with` of core.echo) ends; `wrapper.json` composes
// it again; `failing.json` has an output read from a step that fails. Steps
// `uses` them by file name, relative to the directory.
struct Composition {
  pw::test::TempDir dir;
  std::vector<std::shared_ptr<const pw::Pipeline>> keep;
  std::mutex mutex;

  explicit Composition(const std::string& slow_with = R"({"delay_ms": 1500, "values": {"w": "route-1"}})") {
    dir.write("child.json", R"({"pipewright": 1, "steps": [
      {"id": "fast", "uses": "core.echo", "with": {"values": {"v": "bucket-1"}}},
      {"id": "slow", "uses": "core.echo", "needs": "fast", "with": )" + slow_with + R"(}],
      "outputs": {"a": "${{ steps.fast.outputs.v }}", "b": "${{ steps.slow.outputs.w }}"}})");
    dir.write("failing.json", R"({"pipewright": 1, "steps": [
      {"id": "bad", "uses": "core.echo", "with": {"fail": "refused", "values": {"v": "never"}}},
      {"id": "slow", "uses": "core.echo", "with": )" + slow_with + R"(}],
      "outputs": {"c": "${{ steps.bad.outputs.v || 'fallback' }}"}})");
    dir.write("wrapper.json", R"({"pipewright": 1, "steps": [{"id": "inner", "uses": "child.json"}],
      "outputs": {"a": "${{ steps.inner.outputs.a }}", "b": "${{ steps.inner.outputs.b }}"}})");
  }
  Harness h;
  std::string out;  // every event line of the last run
  pw::test::Events events{""};

  // Runs the pipeline `text`, whose steps may use the files, keeping its events.
  pw::PipelineResult run(const std::string& text) {
    auto r = h.run_text(text, nullptr, loader());
    out = h.all_output();
    events = pw::test::Events(out);
    return r;
  }
  pw::ChildPipelineLoader loader() {
    return [this](std::string_view uses, const std::filesystem::path&,
                  std::string& error) -> std::shared_ptr<const pw::Pipeline> {
      auto loaded = pw::load_pipeline(dir.path / std::string(uses));
      if (!loaded.pipeline) {
        error = "cannot load " + std::string(uses);
        return nullptr;
      }
      std::lock_guard lock(mutex);
      keep.push_back(std::make_shared<const pw::Pipeline>(std::move(*loaded.pipeline)));
      return keep.back();
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_step_reading_a_composed_steps_output_starts_before_that_step_ends) {
  Composition composed;
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "child.json"},
    {"id": "s", "uses": "core.echo", "with": {"values": {"got": "${{ steps.x.outputs.a }}"}}},
    {"id": "t", "uses": "core.echo", "with": {"values": {"got": "${{ steps.x.outputs.b }}"}}}]})");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(r.ok());
  // s needs only output a, published when x/fast succeeded: it ran while x/slow still waited.
  BOOST_TEST(composed.events.position("step_finished", "s") < composed.events.position("step_finished", "x/slow"));
  BOOST_TEST(composed.events.position("step_finished", "s") < composed.events.position("step_finished", "x"));
  BOOST_TEST(r.steps.at("s").outputs.at("got").as_string() == "bucket-1");
  // t reads b, which only x/slow makes.
  BOOST_TEST(composed.events.position("step_started", "t") > composed.events.position("step_finished", "x/slow"));
  BOOST_TEST(r.steps.at("t").outputs.at("got").as_string() == "route-1");
  // At the end the step has every output, as before.
  BOOST_TEST(r.steps.at("x").outputs.at("a").as_string() == "bucket-1");
  BOOST_TEST(r.steps.at("x").outputs.at("b").as_string() == "route-1");
}

BOOST_AUTO_TEST_CASE(an_output_of_a_composed_step_composed_again_is_published_early_too) {
  Composition composed;
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "wrapper.json"},
    {"id": "s", "uses": "core.echo", "with": {"values": {"got": "${{ steps.x.outputs.a }}"}}}]})");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(r.ok());
  BOOST_TEST(composed.events.position("step_finished", "s") < composed.events.position("step_finished", "x/inner/slow"));
  BOOST_TEST(r.steps.at("s").outputs.at("got").as_string() == "bucket-1");
}

BOOST_AUTO_TEST_CASE(needs_waits_for_the_whole_composed_step) {
  Composition composed("{\"delay_ms\": 300, \"values\": {\"w\": \"route-1\"}}");
  auto r = composed.run(R"json({"pipewright": 1, "steps": [
    {"id": "x", "uses": "child.json"},
    {"id": "s", "uses": "core.echo", "needs": "x", "with": {"values": {"got": "${{ steps.x.outputs.a }}"}}},
    {"id": "u", "uses": "core.echo", "if": "always()", "with": {"values": {"got": "${{ steps.x.outputs.a }}"}}}]})json");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(r.ok());
  BOOST_TEST(composed.events.position("step_started", "s") > composed.events.position("step_finished", "x"));
  // always() asks how x ended, which only its end tells.
  BOOST_TEST(composed.events.position("step_started", "u") > composed.events.position("step_finished", "x"));
}

BOOST_AUTO_TEST_CASE(a_matrix_of_a_composed_pipeline_gives_its_outputs_at_its_end_and_may_start_early) {
  Composition composed("{\"delay_ms\": 300, \"values\": {\"w\": \"route-1\"}}");
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "child.json"},
    {"id": "m", "uses": "child.json", "matrix": {"n": ["${{ steps.x.outputs.a }}", "two"]}},
    {"id": "s", "uses": "core.echo", "with": {"values": {"got": "${{ steps.m.outputs.a }}"}}}]})");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(r.ok());
  // A matrix reading a composed step's output starts early like any step...
  BOOST_TEST(composed.events.position("step_started", "m") < composed.events.position("step_finished", "x/slow"));
  // ...but its own outputs are arrays, known when every instance has ended.
  BOOST_TEST(composed.events.position("step_started", "s") > composed.events.position("step_finished", "m"));
  BOOST_TEST(json::serialize(r.steps.at("s").outputs.at("got")) == R"(["bucket-1","bucket-1"])");
}

BOOST_AUTO_TEST_CASE(a_later_failure_of_the_composed_step_fails_the_run_and_the_early_step_still_ran) {
  Composition composed(R"({"delay_ms": 1500, "fail": "route refused"})");
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "child.json"},
    {"id": "s", "uses": "core.echo", "with": {"values": {"got": "${{ steps.x.outputs.a }}"}}},
    {"id": "after", "uses": "core.echo", "needs": "s"}]})");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(!r.ok());
  BOOST_TEST(pw::status_name(r.steps.at("x").status) == "failed");
  BOOST_TEST(r.steps.at("x").error.find("route refused") != std::string::npos);
  BOOST_TEST(pw::status_name(r.steps.at("s").status) == "ok");
  BOOST_TEST(pw::status_name(r.steps.at("after").status) == "ok");
  BOOST_TEST(composed.events.position("step_finished", "s") < composed.events.position("step_finished", "x/slow"));
}

BOOST_AUTO_TEST_CASE(an_output_reading_a_failed_step_is_never_published_and_its_reader_is_skipped) {
  // x/bad fails at once while x/slow goes on: c (even with its fallback) is never
  // published early, so s waits for the whole of x, which failed.
  Composition composed("{\"delay_ms\": 300}");
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "failing.json"},
    {"id": "s", "uses": "core.echo", "with": {"values": {"got": "${{ steps.x.outputs.c }}"}}}]})");
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST(pw::status_name(r.steps.at("s").status) == "skipped");
  BOOST_TEST(r.steps.at("s").error == "a step it needs did not succeed");
  BOOST_TEST(!composed.events.find("step_started", "s"));
  BOOST_TEST(composed.events.position("step_finished", "s") > composed.events.position("step_finished", "x"));
}

BOOST_AUTO_TEST_CASE(cancelling_the_root_stops_a_composed_step_and_the_step_started_early_from_it) {
  Composition composed(R"({"delay_ms": 30000})");
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    composed.h.root.cancel();
  });
  auto started = std::chrono::steady_clock::now();
  auto r = composed.run(R"({"pipewright": 1, "steps": [
    {"id": "x", "uses": "child.json"},
    {"id": "s", "uses": "core.echo", "with": {"delay_ms": 30000, "values": {"got": "${{ steps.x.outputs.a }}"}}}]})");
  canceller.join();
  BOOST_TEST_INFO(composed.out);
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(10)));
  BOOST_TEST(r.interrupted);
  BOOST_TEST(pw::status_name(r.steps.at("x").status) == "cancelled");
  BOOST_TEST(pw::status_name(r.steps.at("s").status) == "cancelled");
  BOOST_TEST(composed.events.find("step_started", "s"));
}

BOOST_AUTO_TEST_CASE(cancelling_the_root_stops_running_and_pending_steps) {
  Harness h;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    h.root.cancel();
  });
  auto started = std::chrono::steady_clock::now();
  auto r = h.run_text(R"({"pipewright": 1, "steps": [
    {"id": "long", "uses": "core.echo", "with": {"delay_ms": 30000}},
    {"id": "next", "uses": "core.echo", "needs": ["long"]}]})");
  canceller.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  BOOST_TEST(took.count() < 10000);
  BOOST_TEST(r.interrupted);
  BOOST_TEST(status_name(r.steps.at("long").status) == "cancelled");
  BOOST_TEST(status_name(r.steps.at("next").status) == "cancelled");
}
