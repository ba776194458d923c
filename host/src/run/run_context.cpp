#include <pipewright/host/run/events.hpp>
#include <pipewright/host/run/run_context.hpp>

namespace pw {

std::int64_t CancelScope::deadline() const {
  std::int64_t own = deadline_ms_.load();
  std::int64_t up = parent_ ? parent_->deadline() : 0;
  if (own == 0) return up;
  if (up == 0) return own;
  return own < up ? own : up;
}

bool CancelScope::timed_out() const {
  std::int64_t d = deadline_ms_.load();
  return d != 0 && now_ms() >= d;
}

bool CancelScope::cancelled() const {
  return flag_.load() || timed_out() || (parent_ && parent_->cancelled());
}

bool ParallelismBudget::acquire(const CancelScope& scope) {
  std::unique_lock lock(mutex_);
  // Polls so that a cancellation (which does not notify) is seen promptly.
  while (free_ == 0) {
    if (scope.cancelled()) return false;
    freed_.wait_for(lock, std::chrono::milliseconds(50));
  }
  if (scope.cancelled()) return false;
  --free_;
  return true;
}

void ParallelismBudget::reclaim() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [this] { return free_ > 0; });
  --free_;
}

void ParallelismBudget::release() {
  {
    std::lock_guard lock(mutex_);
    ++free_;
  }
  // Every waiter: one woken acquire() may give up (its scope cancelled)
  // without passing the wakeup on, and reclaim() does not poll.
  freed_.notify_all();
}

}  // namespace pw
