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
  const auto settings = client_settings(server);
  if (json_output) {
    boost::json::object o{{"port", server.port()}, {"s3_port", server.s3_port()}};
    for (const auto& s : settings)
      if (!o.contains(s.key)) o[s.key] = s.value;
    std::cout << boost::json::serialize(o) << std::endl;
  } else {
    const std::string state = options.state_dir ? options.state_dir->string() : std::string();
    std::cout << "# pipewright sandbox listening on " << server.base_url() << " ("
              << (state.empty() ? std::string("state in memory") : "state in " + state) << ")\n"
              << "# Paste these lines into a shell"
              << (state.empty() ? std::string()
                                : ", or run: eval \"$(pipewright sandbox env --state " + shell_quote(state) + ")\"")
              << "\n";
    for (const auto& s : settings)
      if (!s.env.empty()) std::cout << "export " << s.env << "=" << shell_quote(s.value) << "\n";
    std::cout << "# CLOUDFLARE_R2_ENDPOINT is R2's S3 API (path-style, region auto).\n";
    if (!server.edge_url().empty())
      std::cout << "# CLOUDFLARE_EDGE_URL serves the deployed Workers by Host header, e.g.\n"
                << "#   curl -H 'Host: <a routed hostname>' " << server.edge_url() << "/\n";
    std::cout << "# Press Ctrl-C to stop." << std::endl;
  }
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_context.run();
  server.stop();
  return 0;
}

}  // namespace pw::sandbox
