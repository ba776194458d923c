// The local edge (`pipewright sandbox --edge`): serves HTTP by Host header
// for every zone route and active custom hostname in the sandbox's state,
// running the Worker deployed on the matching route in a workerd child
// process (one per deployed script version, started on first use).
// Lifetime rule: stop() before the io_context and the state go away; the
// children are killed there.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "server/state.hpp"

namespace pw::sandbox {

// PIPEWRIGHT_WORKERD, then workerd on PATH, then the copy ./dev installs in
// the build tree; nullopt when none is executable.
std::optional<std::filesystem::path> find_workerd();
// The one line --edge prints when find_workerd() found nothing.
std::string workerd_missing_message();

class Edge {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  // `api_port`: where workerd reaches the sandbox's R2 hook (loopback).
  Edge(State& state, Strand state_strand, std::filesystem::path workerd, std::filesystem::path work_dir,
       std::uint16_t api_port);
  ~Edge();
  Edge(const Edge&) = delete;
  Edge& operator=(const Edge&) = delete;

  // Binds "ADDRESS:PORT" (port 0 picks one); throws std::runtime_error.
  void bind(boost::asio::io_context& ioc, const std::string& address_port);
  void start();  // accepts on the io_context
  void stop();   // closes the listener, kills the workerd children
  std::uint16_t port() const;
  std::string url() const;  // http://HOST:PORT

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pw::sandbox
