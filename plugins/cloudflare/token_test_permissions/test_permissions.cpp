// cloudflare.token.test_permissions: proves, one live request per group,
// that the step's API token holds the eight permission groups pipewright
// needs, and for each one it lacks says where and how to add it.
//
// Safe mode never changes anything: a write permission is proven by a
// request with a deliberately invalid body (permission is checked first).
// Thorough mode creates and deletes a real probe resource per write; every
// probe is registered for deletion before anything else can fail, and the
// deletions run on every exit path.
#include "permission_probe.hpp"

#include <pipewright/cloudflare/api.hpp>
#include <pipewright/cloudflare/guide.hpp>
#include <pipewright/cloudflare/permissions.hpp>
#include <pipewright/cloudflare/policies.hpp>
#include <pipewright/cloudflare/token_verification.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

namespace cf = pipewright::cloudflare;
namespace json = boost::json;
using pipewright::Failure;

namespace {

std::string random_suffix() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (int i = 0; i < 10; ++i) out.push_back("0123456789abcdef"[digit(device)]);
  return out;
}

// Deletes the probe resources it was given, newest first, when it goes out
// of scope. Never throws: a deletion that fails is reported as left behind.
class ProbeCleanup {
 public:
  explicit ProbeCleanup(const cf::Client& api) : api_(api) {}
  ProbeCleanup(const ProbeCleanup&) = delete;
  ProbeCleanup& operator=(const ProbeCleanup&) = delete;
  ~ProbeCleanup() { run(); }

  void add(std::string what, std::string path) { pending_.push_back({std::move(what), std::move(path)}); }

  void run() noexcept {
    while (!pending_.empty()) {
      auto [what, path] = std::move(pending_.back());
      pending_.pop_back();
      try {
        cf::Request request;
        request.method = "DELETE";
        request.path = path;
        const auto r = api_.request(request);
        if (!r.ok() && r.status != 404)
          api_.call().warn("could not delete the probe " + what + " (" + cf::describe(r) + "); delete it by hand");
      } catch (...) {
        try {
          api_.call().warn("the probe " + what + " was left behind (the run was stopped); delete it by hand");
        } catch (...) {
        }
      }
    }
  }

 private:
  struct Pending {
    std::string what;
    std::string path;
  };
  const cf::Client& api_;
  std::vector<Pending> pending_;
};

struct TestResult {
  const cf::PermissionGroup* group = nullptr;
  std::string scope;
  cf::Verdict verdict = cf::Verdict::inconclusive;
  std::string detail;
};

std::string multipart(const std::string& boundary, const std::vector<std::array<std::string, 4>>& parts) {
  // parts: name, filename, content type, content
  std::string body;
  for (const auto& [name, filename, type, content] : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (!filename.empty()) body += "; filename=\"" + filename + "\"";
    body += "\r\nContent-Type: " + type + "\r\n\r\n" + content + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

class PermissionTests {
 public:
  explicit PermissionTests(pipewright::Call& call)
      : call_(call), api_(call), with_(pipewright::with_object(call)), cleanup_(api_) {}

  void run() {
    account_id_ = cf::string_at(with_, "account_id");
    zone_id_ = cf::string_at(with_, "zone_id");
    thorough_ = cf::string_at(with_, "mode") == "thorough";
    bucket_prefix_ = cf::string_at(with_, "bucket_prefix");
    if (bucket_prefix_.empty()) bucket_prefix_ = "pw-probe-";
    probe_domain_ = cf::string_at(with_, "probe_domain");
    if (const auto* wait = with_.if_contains("wait_seconds"); wait && wait->is_int64()) wait_seconds_ = wait->as_int64();
    if (probe_domain_.empty()) probe_domain_ = "pipewright-probe.net";

    const auto groups = required();
    std::string token_id;
    std::vector<TestResult> results;
    if (thorough_) {
      auto verification = api_.get("/user/tokens/verify");
      for (cf::NewTokenWait wait(wait_seconds_); verification.status == 401 && wait.again(call_);)
        verification = api_.get("/user/tokens/verify");
      token_id = verified(verification);
      pipewright::set_output(call_, "token_id", json::value(token_id));
      results = test_one_by_one(groups);
    } else {
      results = test_at_once(groups, token_id);
    }
    cleanup_.run();

    if (cf::bool_at(with_, "parent_check", false)) compare_declared(token_id, results);
    report(results);
  }

 private:
  std::vector<const cf::PermissionGroup*> required() {
    const auto testable = cf::required_groups();
    const auto* list = cf::array_at(with_, "required");
    if (!list) return testable;
    std::vector<const cf::PermissionGroup*> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& v = (*list)[i];
      const auto* group = v.is_string() ? cf::find_group(v.as_string()) : nullptr;
      const std::string pointer = "/required/" + std::to_string(i);
      if (!group) {
        std::string hint;
        if (v.is_string())
          for (const auto& n : cf::closest_group_names(v.as_string())) hint += (hint.empty() ? "" : ", ") + n;
        throw Failure("unknown permission group" + (v.is_string() ? " '" + std::string(v.as_string()) + "'" : ""),
                      hint.empty() ? std::string() : "did you mean: " + hint + "?", pointer);
      }
      if (std::find(testable.begin(), testable.end(), group) == testable.end()) {
        std::string names;
        for (const auto* g : testable) names += (names.empty() ? "" : ", ") + std::string(g->name);
        throw Failure("there is no live test for '" + std::string(group->name) + "'",
                      "the groups this check can test are: " + names, pointer);
      }
      out.push_back(group);
    }
    return out;
  }

  // `r` is the answer of GET /user/tokens/verify: the token's id, or a
  // Failure saying why no permission can be tested.
  std::string verified(const cf::ApiResult& r) {
    cf::VerificationContext context;
    context.base_url = api_.base_url();
    context.step_auth = true;
    context.advice =
        "No permission can be tested. Check the value in CLOUDFLARE_API_TOKEN (My Profile → API Tokens lists your "
        "tokens and their status), or create a new one: " +
        cf::create_token_command(account_id_, zone_id_);
    const auto token = cf::judge_token_verification(r, context);
    call_.info("PASS token verify: token " + token.id + " is valid and active");
    return token.id;
  }

  // The result shell of one test; `testable` false when its account or
  // zone id is missing (the detail says which).
  TestResult start(const cf::PermissionGroup& group, bool& testable) const {
    TestResult t;
    t.group = &group;
    t.scope = cf::scope_description(group.scope, account_id_, zone_id_);
    const bool account = group.scope == cf::Scope::account;
    testable = !((account && account_id_.empty()) || (!account && zone_id_.empty()));
    if (!testable) t.detail = std::string("not tested: ") + (account ? "account_id" : "zone_id") + " is not set";
    return t;
  }

  void finish(std::vector<TestResult>& results, TestResult t, std::size_t total) {
    results.push_back(std::move(t));
    log_result(results.back());
    json::object progress;
    progress["done"] = results.size();
    progress["total"] = total;
    call_.progress(json::serialize(progress));
  }

  // Thorough mode: each write creates (and registers for deletion) a real
  // resource before the next test starts.
  std::vector<TestResult> test_one_by_one(const std::vector<const cf::PermissionGroup*>& groups) {
    std::vector<TestResult> results;
    for (const auto* group : groups) {
      call_.throw_if_cancelled();
      bool testable = false;
      auto t = start(*group, testable);
      if (testable) {
        auto reading = thorough_probe(*group);
        t.verdict = reading.verdict;
        t.detail = reading.detail;
      }
      finish(results, std::move(t), groups.size());
    }
    return results;
  }

  cf::ProbeReading thorough_probe(const cf::PermissionGroup& group) {
    const std::string name(group.name);
    if (name == "Workers R2 Storage Write") return r2_create(account_id_);
    if (name == "Workers Scripts Write") return script_create(account_id_);
    if (name == "Workers Routes Write") return route_create(zone_id_);
    if (name == "SSL and Certificates Write") return hostname_create(zone_id_);
    auto probe = safe_probe(group);
    return answer(probe, api_.request(probe.request));
  }

  // Safe mode: the probes change nothing, so they go out at once, with the
  // token's verification (read first: a refused token fails the step before
  // any probe is judged, though its probes were sent and refused too).
  std::vector<TestResult> test_at_once(const std::vector<const cf::PermissionGroup*>& groups,
                                       std::string& token_id) {
    std::vector<TestResult> shells;
    std::vector<SafeProbe> probes;
    std::vector<std::optional<std::size_t>> probe_of;
    for (const auto* group : groups) {
      bool testable = false;
      shells.push_back(start(*group, testable));
      probe_of.push_back(testable ? std::optional(probes.size()) : std::nullopt);
      if (testable) probes.push_back(safe_probe(*group));
    }
    std::vector<cf::Request> requests;
    requests.emplace_back().path = "/user/tokens/verify";
    for (const auto& p : probes) requests.push_back(p.request);
    auto answers = api_.batch(requests, static_cast<int>(requests.size()));
    // A token made a moment ago may not have reached every Cloudflare edge
    // yet: while any answer is 401 (an unknown token, never a missing
    // permission, which is 403) the batch is asked again; a write accepted
    // meanwhile is registered for deletion first.
    const auto refused = [](const std::vector<cf::ApiResult>& got) {
      return std::any_of(got.begin(), got.end(), [](const cf::ApiResult& a) { return a.status == 401; });
    };
    for (cf::NewTokenWait wait(wait_seconds_); refused(answers) && wait.again(call_);) {
      for (std::size_t p = 0; p < probes.size(); ++p) answer(probes[p], answers[p + 1]);
      answers = api_.batch(requests, static_cast<int>(requests.size()));
    }
    const cf::ApiResult verification = std::move(answers.front());
    answers.erase(answers.begin());
    // A write the server accepted after all is registered for deletion
    // before anything can throw.
    std::vector<cf::ProbeReading> readings;
    for (std::size_t p = 0; p < probes.size(); ++p) readings.push_back(answer(probes[p], answers[p]));
    token_id = verified(verification);
    pipewright::set_output(call_, "token_id", json::value(token_id));
    call_.throw_if_cancelled();
    std::vector<TestResult> results;
    for (std::size_t i = 0; i < shells.size(); ++i) {
      auto t = std::move(shells[i]);
      if (auto p = probe_of[i]) {
        t.verdict = readings[*p].verdict;
        t.detail = readings[*p].detail;
      }
      finish(results, std::move(t), groups.size());
    }
    return results;
  }

  // A request that proves one group without changing anything: a read, or
  // a write with an invalid body (permission is checked before the body).
  struct SafeProbe {
    cf::Request request;
    cf::ProbeKind kind = cf::ProbeKind::read;
    std::string line;  // "POST /zones/<z>/workers/routes (invalid body)"
    // Should the server accept the invalid write after all, what it made
    // is deleted: `made`, or "<path>/<id>" from the answer when empty.
    std::string made;
  };

  SafeProbe safe_probe(const cf::PermissionGroup& group) const {
    const std::string& a = account_id_;
    const std::string& z = zone_id_;
    const std::string name(group.name);
    auto read = [](std::string path) {
      SafeProbe p;
      p.request.path = path;
      p.line = "GET " + path;
      return p;
    };
    auto invalid_json = [](std::string method, std::string path, json::value body) {
      SafeProbe p;
      p.request.method = method;
      p.request.path = path;
      p.request.json = std::move(body);
      // A body the API refuses changes nothing, so a 5xx or a lost answer
      // is asked again like a read.
      p.request.safe_to_retry = true;
      p.kind = cf::ProbeKind::invalid_write;
      p.line = method + " " + path + " (invalid body)";
      return p;
    };
    if (name == "Account Settings Read") return read(cf::api_path({"accounts", a}));
    if (name == "Workers Scripts Read") return read(cf::api_path({"accounts", a, "workers", "scripts"}));
    if (name == "Zone Read") return read(cf::api_path({"zones", z}));
    if (name == "SSL and Certificates Read")
      return read(cf::with_query(cf::api_path({"zones", z, "custom_hostnames"}), {{"per_page", "5"}}));
    if (name == "Workers R2 Storage Write")
      return invalid_json("POST", cf::api_path({"accounts", a, "r2", "buckets"}), json::parse(R"({"name":"-"})"));
    if (name == "Workers Routes Write")
      return invalid_json("POST", cf::api_path({"zones", z, "workers", "routes"}), json::object());
    if (name == "SSL and Certificates Write")
      return invalid_json("POST", cf::api_path({"zones", z, "custom_hostnames"}), json::parse(R"({"hostname":"-"})"));
    if (name == "Workers Scripts Write") return script_invalid(a);
    throw std::logic_error("no probe for permission group " + name);
  }

  cf::ProbeReading answer(const SafeProbe& probe, const cf::ApiResult& r) {
    if (r.ok() && probe.kind == cf::ProbeKind::invalid_write) {
      const std::string& path = probe.request.path;
      const std::string what = "created by " + probe.request.method + " " + path;
      if (!probe.made.empty()) {
        cleanup_.add(what, probe.made);
      } else if (r.result.is_object()) {
        const auto id = cf::string_at(r.result.as_object(), "id");
        if (!id.empty()) cleanup_.add(what, path + "/" + cf::encode_segment(id));
      }
    }
    return cf::read_probe(r, probe.kind, probe.line);
  }

  cf::ProbeReading r2_create(const std::string& a) {
    const std::string bucket = bucket_prefix_ + random_suffix();
    const std::string path = cf::api_path({"accounts", a, "r2", "buckets"});
    json::object body;
    body["name"] = bucket;
    cleanup_.add("R2 bucket " + bucket, cf::api_path({"accounts", a, "r2", "buckets", bucket}));
    return cf::read_probe(api_.send("POST", path, body, false), cf::ProbeKind::create, "POST " + path);
  }

  static SafeProbe script_invalid(const std::string& a) {
    const std::string script = "pw-probe-" + random_suffix();
    const std::string path = cf::api_path({"accounts", a, "workers", "scripts", script});
    const std::string boundary = "pipewright-probe-" + random_suffix();
    SafeProbe p;
    p.request.method = "PUT";
    p.request.path = path;
    p.request.content_type = "multipart/form-data; boundary=" + boundary;
    p.request.body = multipart(boundary, {{"metadata", "metadata", "application/json", "{not json"}});
    p.request.safe_to_retry = true;
    p.kind = cf::ProbeKind::invalid_write;
    p.line = "PUT " + path + " (invalid metadata)";
    p.made = path + "?force=true";
    return p;
  }

  cf::ProbeReading script_create(const std::string& a) {
    const std::string script = "pw-probe-" + random_suffix();
    const std::string path = cf::api_path({"accounts", a, "workers", "scripts", script});
    const std::string boundary = "pipewright-probe-" + random_suffix();
    cf::Request request;
    request.method = "PUT";
    request.path = path;
    request.content_type = "multipart/form-data; boundary=" + boundary;
    request.body = multipart(
        boundary, {{"metadata", "metadata", "application/json",
                    R"({"main_module":"probe.js","compatibility_date":"2024-01-01","bindings":[]})"},
                   {"probe.js", "probe.js", "application/javascript+module",
                    "export default { fetch() { return new Response(\"pipewright permission probe\"); } };"}});
    cleanup_.add("Worker script " + script, path + "?force=true");
    return cf::read_probe(api_.request(request), cf::ProbeKind::create, "PUT " + path);
  }

  cf::ProbeReading route_create(const std::string& z) {
    const std::string zone_name = this->zone_name(z);
    if (zone_name.empty()) {  // cannot build a pattern inside the zone: fall back to the safe probe
      auto probe = safe_probe(*cf::find_group("Workers Routes Write"));
      return answer(probe, api_.request(probe.request));
    }
    const std::string path = cf::api_path({"zones", z, "workers", "routes"});
    json::object body;
    body["pattern"] = "pw-probe-" + random_suffix() + "." + zone_name + "/*";
    const auto r = api_.send("POST", path, body, false);
    if (r.ok() && r.result.is_object())
      cleanup_.add("Workers route " + std::string(body["pattern"].as_string()),
                   cf::api_path({"zones", z, "workers", "routes", cf::string_at(r.result.as_object(), "id")}));
    return cf::read_probe(r, cf::ProbeKind::create, "POST " + path);
  }

  cf::ProbeReading hostname_create(const std::string& z) {
    const std::string path = cf::api_path({"zones", z, "custom_hostnames"});
    json::object ssl;
    ssl["method"] = "http";
    ssl["type"] = "dv";
    json::object body;
    body["hostname"] = "pw-probe-" + random_suffix() + "." + probe_domain_;
    body["ssl"] = std::move(ssl);
    const auto r = api_.send("POST", path, body, false);
    if (r.ok() && r.result.is_object())
      cleanup_.add("custom hostname " + std::string(body["hostname"].as_string()),
                   cf::api_path({"zones", z, "custom_hostnames", cf::string_at(r.result.as_object(), "id")}));
    return cf::read_probe(r, cf::ProbeKind::create, "POST " + path);
  }

  std::string zone_name(const std::string& z) {
    if (!zone_name_) {
      const auto r = api_.get(cf::api_path({"zones", z}));
      zone_name_ = r.ok() && r.result.is_object() ? cf::string_at(r.result.as_object(), "name") : std::string();
    }
    return *zone_name_;
  }

  void log_result(const TestResult& t) {
    switch (t.verdict) {
      case cf::Verdict::passed:
        call_.info("PASS " + std::string(t.group->name) + " (" + t.scope + ")");
        break;
      case cf::Verdict::missing:
        call_.warn("FAIL " + std::string(t.group->name) + " (" + t.scope + "): missing — " + t.detail);
        break;
      case cf::Verdict::inconclusive:
        call_.warn("FAIL " + std::string(t.group->name) + " (" + t.scope + "): " + t.detail);
        break;
    }
  }

  // Reads the token's own policies (needs API Tokens Read on it) and checks
  // the declared groups against the live results. A read that passed only
  // because Cloudflare lets any group of the scope read the account or zone
  // becomes a failure here when the group is not declared.
  void compare_declared(const std::string& token_id, std::vector<TestResult>& results) {
    if (token_id.empty()) return;
    const auto r = api_.get(cf::api_path({"user", "tokens", token_id}));
    if (!r.ok() || !r.result.is_object()) {
      call_.info("parent check skipped: the token's policies cannot be read with this auth (" + cf::describe(r) +
                 "); it needs API Tokens Read");
      return;
    }
    const auto* policies = cf::array_at(r.result.as_object(), "policies");
    const auto granted = cf::granted_group_ids(policies ? *policies : json::array(),
                                               {account_id_, zone_id_, std::string()});
    for (auto& t : results) {
      const bool declared = granted.contains(std::string(t.group->id));
      if (t.verdict == cf::Verdict::passed && !declared) {
        t.verdict = cf::Verdict::missing;
        t.detail = "the live check passed, but the token's policies do not grant this group on " + t.scope +
                   " (Cloudflare lets any group of that scope read it)";
        call_.warn("FAIL " + std::string(t.group->name) + " (" + t.scope + "): not declared in the token's policies");
      } else if (t.verdict != cf::Verdict::passed && declared) {
        t.detail += "; the token's policies do grant it: check the account/zone ids and the token's IP filter";
      }
    }
    call_.info("parent check: compared the live results with the token's declared policies");
  }

  void report(const std::vector<TestResult>& results) {
    std::size_t passed = 0;
    json::array missing_names;
    json::array items;
    std::vector<const cf::PermissionGroup*> missing;
    std::vector<std::string> inconclusive;
    std::size_t account_tests = 0, account_missing = 0, zone_tests = 0, zone_missing = 0;
    for (const auto& t : results) {
      const bool ok = t.verdict == cf::Verdict::passed;
      passed += ok ? 1 : 0;
      const bool is_zone = t.group->scope == cf::Scope::zone;
      (is_zone ? zone_tests : account_tests)++;
      if (t.verdict == cf::Verdict::missing) {
        missing.push_back(t.group);
        missing_names.emplace_back(t.group->name);
        (is_zone ? zone_missing : account_missing)++;
      } else if (!ok) {
        inconclusive.emplace_back(t.group->name);
      }
      json::object item;
      item["name"] = t.group->name;
      item["scope"] = t.scope;
      item["passed"] = ok;
      item["detail"] = t.detail;
      items.push_back(std::move(item));
    }
    const std::string tally = std::to_string(passed) + "/" + std::to_string(results.size()) + " tests passed";
    pipewright::set_output(call_, "passed", json::value(passed));
    pipewright::set_output(call_, "total", json::value(results.size()));
    pipewright::set_output(call_, "missing", missing_names);
    pipewright::set_output(call_, "results", items);
    call_.info(tally);
    if (passed == results.size()) return;

    std::string summary = tally;
    if (!missing.empty()) {
      summary += ": the token lacks ";
      for (std::size_t i = 0; i < missing.size(); ++i)
        summary += (i ? ", " : "") + std::string(missing[i]->name) + " (" +
                   cf::scope_description(missing[i]->scope, account_id_, zone_id_) + ")";
    }
    std::string detail;
    if (!missing.empty()) detail += "Add the missing permission groups:\n" + cf::missing_permissions_guide(missing, account_id_, zone_id_);
    if (account_tests > 1 && account_missing == account_tests)
      detail += "\nEvery account test was refused: if the token does hold these groups, check that account " +
                account_id_ + " is the right account.";
    if (zone_tests > 1 && zone_missing == zone_tests)
      detail += "\nEvery zone test was refused: if the token does hold these groups, check that zone " + zone_id_ +
                " is the right zone.";
    if (!inconclusive.empty()) {
      detail += std::string(detail.empty() ? "" : "\n") + "Could not complete: ";
      for (std::size_t i = 0; i < inconclusive.size(); ++i) detail += (i ? ", " : "") + inconclusive[i];
      detail += " (see the log lines above); run the check again.";
    }
    throw Failure(summary, detail);
  }

  pipewright::Call& call_;
  cf::Client api_;
  json::object with_;
  ProbeCleanup cleanup_;
  std::string account_id_;
  std::string zone_id_;
  bool thorough_ = false;
  std::string bucket_prefix_;
  std::string probe_domain_;
  std::int64_t wait_seconds_ = 0;
  std::optional<std::string> zone_name_;
};

}  // namespace

struct TestPermissions {
  static constexpr pipewright::Kind kind = pipewright::Kind::check;
  static constexpr const char* name = "cloudflare.token.test_permissions";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Tests the eight permission groups of the step's API token and explains how to add any that are missing";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "account_id": {"type": "string"},
      "zone_id": {"type": "string"},
      "mode": {"enum": ["safe", "thorough"], "default": "safe",
               "description": "safe: no side effects; thorough: create and delete a probe resource per write"},
      "bucket_prefix": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,40}$",
                        "description": "name prefix of thorough mode's probe bucket (default pw-probe-)"},
      "probe_domain": {"type": "string", "description": "domain under which thorough mode's probe custom hostname is made"},
      "required": {"type": "array", "items": {"type": "string"},
                   "description": "the groups to test (default: all eight)"},
      "parent_check": {"type": "boolean", "default": false,
                       "description": "also compare the token's declared policies (needs API Tokens Read)"},
      "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 120, "default": 0,
                       "description": "keep asking this long while Cloudflare does not know the token yet (a token just created)"}
    }
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "token_id": {"type": "string"},
      "passed": {"type": "integer"},
      "total": {"type": "integer"},
      "missing": {"type": "array", "items": {"type": "string"}},
      "results": {"type": "array"}
    }
  })json";

  void run(pipewright::Call& call) { PermissionTests(call).run(); }
};

PIPEWRIGHT_PLUGIN(TestPermissions)
