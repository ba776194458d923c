// Unit tests of the runtime's building blocks: redaction, event rendering,
// cancellation scopes, the parallelism budget, the rate key.
#define BOOST_TEST_MODULE runtime_unit
#include <pipewright/host/bridge/host_services.hpp>
#include <pipewright/host/run/events.hpp>
#include <pipewright/host/run/redactor.hpp>
#include <pipewright/host/run/run_context.hpp>

#include <boost/test/unit_test.hpp>

#include <limits>
#include <atomic>
#include <thread>

BOOST_AUTO_TEST_CASE(redactor_masks_every_occurrence) {
  pw::Redactor r;
  r.add("hunter22");
  BOOST_TEST(r.redact("a hunter22 b hunter22") == "a *** b ***");
}

BOOST_AUTO_TEST_CASE(redactor_masks_the_json_escaped_form) {
  pw::Redactor r;
  r.add("pa\"ss\\word\n");
  std::string line = boost::json::serialize(boost::json::object{{"msg", "x pa\"ss\\word\n y"}});
  std::string masked = r.redact(line);
  BOOST_TEST(masked == R"({"msg":"x *** y"})");
  BOOST_TEST(r.redact("x pa\"ss\\word\n y") == "x *** y");
}

BOOST_AUTO_TEST_CASE(redactor_ignores_values_shorter_than_four_chars) {
  pw::Redactor r;
  r.add("abc");
  r.add("");
  BOOST_TEST(r.empty());
  BOOST_TEST(r.redact("abc abc") == "abc abc");
}

BOOST_AUTO_TEST_CASE(redactor_masks_a_longer_secret_whole) {
  pw::Redactor r;
  r.add("token");
  r.add("token-with-suffix");
  BOOST_TEST(r.redact("token-with-suffix") == "***");
}

BOOST_AUTO_TEST_CASE(redactor_masks_the_union_of_overlapping_secrets) {
  pw::Redactor r;
  r.add("abcd1234");
  r.add("1234wxyz");
  BOOST_TEST(r.redact("token=abcd1234wxyz end") == "token=*** end");
  BOOST_TEST(r.redact("1234wxyz abcd1234") == "*** ***");
  // Each secret's text is gone, in either order of registration.
  pw::Redactor other;
  other.add("1234wxyz");
  other.add("abcd1234");
  const auto masked = other.redact("xabcd1234wxyzx");
  BOOST_TEST(masked == "x***x");
  for (const char* part : {"abcd", "1234", "wxyz"}) BOOST_TEST(masked.find(part) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(waits_and_retries_are_shown_at_the_default_verbosity) {
  auto waiting = boost::json::object{{"type", "waiting"}, {"step", "deploy/upload"},
                                     {"reason", "waiting for the rate budget"}, {"wait_ms", 2500},
                                     {"host", "api.cloudflare.com"}};
  BOOST_TEST(pw::render_text(waiting, 0).find("deploy/upload: waiting for the rate budget") != std::string::npos);
  BOOST_TEST(pw::render_text(waiting, 0).find("2.5") != std::string::npos);
  auto retry = boost::json::object{{"type", "http"}, {"step", "token/create"}, {"method", "POST"},
                                   {"path", "/client/v4/user/tokens"}, {"status", 429},
                                   {"attempt", 1}, {"retry_in_ms", 1000}, {"duration_ms", 3}};
  const auto line = pw::render_text(retry, 0);
  BOOST_TEST(line.find("rate limited (429)") != std::string::npos, line);
  BOOST_TEST(line.find("retrying in 1.0") != std::string::npos, line);
  retry.erase("retry_in_ms");
  BOOST_TEST(pw::render_text(retry, 0).empty());  // an ordinary attempt is shown only with -v
}

BOOST_AUTO_TEST_CASE(absurd_progress_durations_are_clamped_not_cast_blindly) {
  auto progress = [](double eta, double waiting) {
    return pw::render_text(boost::json::object{{"type", "progress"}, {"step", "s/up"}, {"done", 1}, {"total", 2},
                                               {"bytes_done", 1}, {"bytes_total", 2}, {"eta_s", eta},
                                               {"waiting_s", waiting}},
                           0);
  };
  auto line = progress(1e300, std::numeric_limits<double>::infinity());
  BOOST_TEST(line.find("ETA 1000000000.0s") != std::string::npos, line);
  BOOST_TEST(line.find("waiting 1000000000.0s") != std::string::npos, line);
  line = progress(std::numeric_limits<double>::quiet_NaN(), -5.0);
  BOOST_TEST(line.find("ETA 0ms") != std::string::npos, line);
  BOOST_TEST(line.find("waiting 0ms") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(redactor_is_safe_across_threads) {
  pw::Redactor r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&r, t] {
      for (int i = 0; i < 200; ++i) {
        r.add("secret-" + std::to_string(t) + "-" + std::to_string(i));
        (void)r.redact("secret-0-1 and more");
      }
    });
  for (auto& th : threads) th.join();
  BOOST_TEST(r.redact("secret-3-199") == "***");
}

BOOST_AUTO_TEST_CASE(json_events_are_one_valid_masked_object_per_line) {
  pw::Redactor r;
  r.add("s3cr\"t!");
  std::vector<std::string> lines;
  pw::EventStream events(r, pw::OutputFormat::json, 0,
                         [&](std::string_view l) { lines.emplace_back(l); });
  events.emit(pw::event::log, {{"step", "a"}, {"level", "info"}, {"message", "key s3cr\"t! used"}});
  BOOST_REQUIRE(lines.size() == 1u);
  auto v = boost::json::parse(lines[0]).as_object();
  BOOST_TEST(v.at("type").as_string() == "log");
  BOOST_TEST(v.at("message").as_string() == "key *** used");
  BOOST_TEST(v.contains("ts"));
}

BOOST_AUTO_TEST_CASE(text_events_show_http_only_when_verbose) {
  boost::json::object http{{"type", "http"}, {"step", "a"}, {"method", "GET"},
                           {"host", "example.test"}, {"path", "/x"}, {"status", 200},
                           {"duration_ms", 5}, {"attempt", 1}};
  BOOST_TEST(pw::render_text(http, 0).empty());
  BOOST_TEST(pw::render_text(http, 1).find("GET example.test/x") != std::string::npos);
  boost::json::object done{{"type", "step_finished"}, {"step", "a"}, {"status", "failed"},
                           {"error", "boom"}, {"duration_ms", 1200}};
  BOOST_TEST(pw::render_text(done, 0) == "✗ a: boom (1.2s)");
}

BOOST_AUTO_TEST_CASE(cancel_scope_follows_its_parent_and_deadline) {
  pw::CancelScope root;
  pw::CancelScope child(&root);
  BOOST_TEST(!child.cancelled());
  child.set_deadline(pw::now_ms() - 1);
  BOOST_TEST(child.timed_out());
  BOOST_TEST(child.cancelled());
  pw::CancelScope other(&root);
  root.cancel();
  BOOST_TEST(other.cancelled());
  BOOST_TEST(!other.timed_out());
}

BOOST_AUTO_TEST_CASE(a_reclaim_is_not_lost_to_an_acquire_that_gives_up) {
  // One slot, held. A reclaim (a call back from waiting for answers) and an
  // acquire of a cancelled step both wait; the release must reach the
  // reclaim even though the acquire, if woken, gives up.
  pw::ParallelismBudget budget(1);
  pw::CancelScope holder, cancelled_step;
  BOOST_TEST(budget.acquire(holder));
  std::atomic<bool> reclaimed{false};
  std::thread reclaimer([&] {
    budget.reclaim();
    reclaimed = true;
  });
  std::thread acquirer([&] { BOOST_TEST(!budget.acquire(cancelled_step)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  cancelled_step.cancel();
  budget.release();
  reclaimer.join();
  acquirer.join();
  BOOST_TEST(reclaimed.load());
  budget.release();
}

BOOST_AUTO_TEST_CASE(parallelism_budget_gives_up_when_cancelled) {
  pw::ParallelismBudget budget(1);
  pw::CancelScope scope;
  BOOST_TEST(budget.acquire(scope));
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    scope.cancel();
  });
  BOOST_TEST(!budget.acquire(scope));
  canceller.join();
  budget.release();
}

