#include "signal_watcher.hpp"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

namespace pw {

namespace {
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // The destructor wakes the watcher with SIGUSR2, sent to its thread only.
  sigaddset(&set, SIGUSR2);
  return set;
}
}  // namespace

SignalWatcher::SignalWatcher(std::function<void()> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  thread_ = std::thread([this] { watch(); });
}

SignalWatcher::~SignalWatcher() {
  stop_.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void SignalWatcher::watch() {
  sigset_t set = watched_signals();
  // The timeout is only a safety net; the destructor wakes it at once.
  timespec tick{0, 100 * 1000 * 1000};
  while (!stop_.load()) {
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig != SIGINT && sig != SIGTERM) continue;
    if (signalled_.exchange(true)) {
      static const char msg[] = "\npipewright: interrupted again, exiting now\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      std::_Exit(130);
    }
    if (on_signal_) on_signal_();
  }
}

}  // namespace pw
