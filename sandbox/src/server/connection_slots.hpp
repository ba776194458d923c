// Counts open connections against a cap. The accept loop takes a Slot per
// connection; the connection's coroutine holds it and gives it back when it
// ends, on whichever I/O thread that is (hence the atomic).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace pw::sandbox {

class ConnectionSlots {
 public:
  class Slot {
   public:
    explicit Slot(std::atomic<std::size_t>* count) : count_(count) {}
    Slot(Slot&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    std::atomic<std::size_t>* count_;
  };

  explicit ConnectionSlots(std::size_t cap) : cap_(cap) {}
  ConnectionSlots(const ConnectionSlots&) = delete;
  ConnectionSlots& operator=(const ConnectionSlots&) = delete;

  // A place, or nothing when all `cap` are taken.
  std::optional<Slot> try_take() {
    std::size_t n = count_.load(std::memory_order_relaxed);
    do {
      if (n >= cap_) return std::nullopt;
    } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return Slot(&count_);
  }
  std::size_t taken() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::size_t cap_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace pw::sandbox
