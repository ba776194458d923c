// Turns SIGINT/SIGTERM into a callback on a thread of our own instead of an
// async signal handler. Construct it before any other thread exists: it
// blocks both signals in the calling thread, and threads created later
// inherit that mask, so only the watcher ever receives them. A second
// signal while the first is being handled ends the process at once (130).
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace pw {

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void()> on_signal);
  ~SignalWatcher();  // stops the watcher thread, restores the signal mask
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  bool signalled() const { return signalled_.load(); }

 private:
  void watch();

  std::function<void()> on_signal_;
  sigset_t previous_mask_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

}  // namespace pw
