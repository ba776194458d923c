// `pipewright sandbox`: serve until SIGINT/SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <iostream>
#include <pipewright/sandbox.hpp>

namespace pw::sandbox {

int serve_until_signalled(const Options& options, bool json_output) {
  // The signal set exists before the URL is printed, so a supervisor that
  // signals as soon as it reads the URL still gets a clean stop. It has its
  // own tiny io_context on this (the calling) thread: the server's threads
  // never see signals.
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  Server server(options);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "pipewright sandbox: " << e.what() << "\n";
    return 2;
  }
  const Identity& id = server.identity();
  if (json_output) {
    boost::json::object o{{"base_url", server.base_url()},   {"port", server.port()},
                          {"user_id", id.user_id},           {"email", id.email},
                          {"global_key", id.global_key},     {"account_id", id.account_id},
                          {"account_name", id.account_name}, {"zone_id", id.zone_id},
                          {"zone_name", id.zone_name}};
    if (!server.edge_url().empty()) o["edge_url"] = server.edge_url();
    std::cout << boost::json::serialize(o) << std::endl;
  } else {
    std::cout << "pipewright sandbox listening on " << server.base_url() << "\n"
              << "  CLOUDFLARE_BASE_URL=" << server.base_url() << "\n"
              << "  CLOUDFLARE_EMAIL=" << id.email << "\n"
              << "  CLOUDFLARE_API_KEY=" << id.global_key << "   (demo global key)\n"
              << "  CLOUDFLARE_ACCOUNT_ID=" << id.account_id << "   (" << id.account_name << ")\n"
              << "  zone " << id.zone_name << " = " << id.zone_id << "\n"
              << "  user id " << id.user_id << "\n";
    if (!server.edge_url().empty())
      std::cout << "  edge_url=" << server.edge_url() << "   (deployed Workers, by Host header)\n";
    std::cout
              << "Press Ctrl-C to stop." << std::endl;
  }
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_context.run();
  server.stop();
  return 0;
}

}  // namespace pw::sandbox
