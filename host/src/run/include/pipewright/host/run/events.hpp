// The run's one event stream: every step start/finish, retry, log line, HTTP
// attempt, progress report, diagnostic and output. Events are JSON objects
// with a "type"; a renderer turns each into terminal text or a JSON line.
// Every rendered byte passes through the run's Redactor.
#pragma once

#include <pipewright/host/run/redactor.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pw {

enum class OutputFormat { text, json };

// Event types, as they appear in "type".
namespace event {
inline constexpr std::string_view run_started = "run_started";
inline constexpr std::string_view run_finished = "run_finished";
inline constexpr std::string_view step_started = "step_started";
inline constexpr std::string_view step_finished = "step_finished";
inline constexpr std::string_view step_retried = "step_retried";
inline constexpr std::string_view log = "log";
inline constexpr std::string_view http = "http";
inline constexpr std::string_view waiting = "waiting";
inline constexpr std::string_view progress = "progress";
inline constexpr std::string_view diagnostic = "diagnostic";
inline constexpr std::string_view output_set = "output";
}  // namespace event

// Milliseconds since the Unix epoch; every event carries it as "ts".
std::int64_t now_ms();

// How text is drawn: colour (errors red, warnings yellow, ✓ green) and
// Unicode symbols (▶ ✓ ✗ → ↻ ⏳), or ASCII ones (> ok x -> retry wait).
struct TextStyle {
  bool colour = false;
  bool unicode = true;
};

// For a terminal on `fd` with this environment: colour only on a terminal,
// without NO_COLOR and with a TERM other than dumb; Unicode only in a UTF-8
// locale (LC_ALL, else LC_CTYPE, else LANG) and a TERM other than dumb.
TextStyle text_style_for(int fd);

// Turns one event into one line of text (no trailing newline); an empty
// result means "not shown at this verbosity".
std::string render_text(const boost::json::object& event, int verbosity, const TextStyle& style = {});
std::string render_json(const boost::json::object& event);

// Thread-safe: events from many worker threads are written one whole line at
// a time. The writer defaults to stdout.
//
// On a terminal every line is flushed as it is written. Into a pipe or a
// file, lines are flushed at once for the run's start and end, a failed or
// cancelled step, a warning, an error and a diagnostic, and otherwise at
// most `flush_interval` after they were written (a flush per line was a
// write(2) per event: about 5 % of an unchanged re-run).
class EventStream {
 public:
  using Writer = std::function<void(std::string_view line)>;
  static constexpr std::chrono::milliseconds flush_interval{50};

  EventStream(const Redactor& redactor, OutputFormat format, int verbosity,
              Writer writer = {});
  ~EventStream();  // flushes what is still buffered
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Adds "type" and "ts", renders, masks secrets, writes.
  void emit(std::string_view type, boost::json::object fields);

  // What a run that did not succeed got done: one entry per step that
  // failed, was cancelled, did not run or did not finish — innermost steps
  // only — as {step, status, done?, error?}, `done` from the last progress
  // the step reported ("95 of 300 files, 1.2 MB of 3.4 MB").
  boost::json::array unfinished_account() const;

  OutputFormat format() const { return format_; }
  const Redactor& redactor() const { return redactor_; }

 private:
  void flush_later();  // mutex_ held
  void remember(std::string_view type, const boost::json::object& event);  // mutex_ held
  void flusher();

  const Redactor& redactor_;
  OutputFormat format_;
  int verbosity_;
  TextStyle style_;  // the default writer's terminal; plain otherwise
  Writer writer_;
  bool to_stdout_ = false;     // the default writer: flushing is ours
  bool every_line_ = true;     // stdout is a terminal
  bool unflushed_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point flush_by_{};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // For unfinished_account(); guarded by mutex_.
  std::map<std::string, boost::json::object> last_progress_;
  std::map<std::string, boost::json::object> finished_;  // step -> {status, error}
  std::vector<std::string> started_;                      // in the order steps started
  std::thread flusher_;        // started on the first line left buffered
};

}  // namespace pw
