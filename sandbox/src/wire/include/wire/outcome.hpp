// The value a step produced, or the error Response to send instead. Errors a
// client can cause travel as data, not exceptions.
#pragma once

#include <utility>
#include <variant>

#include "wire/http_types.hpp"

namespace pw::sandbox {

template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}         // NOLINT: implicit on purpose
  Outcome(Response error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  Response& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Response> v_;
};

}  // namespace pw::sandbox
