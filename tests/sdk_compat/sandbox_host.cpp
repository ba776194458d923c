// Starts a sandbox for the SDK compatibility tests (the TypeScript SDK, the
// AWS SDK on the S3 door): prints one JSON line with the base URL, the R2 S3
// endpoint and the demo identity, then serves until stdin closes.
// Usage: pw_sdk_compat_host [seed.json]
#include <pipewright/sandbox.hpp>

#include <boost/json.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  try {
    pw::sandbox::Options options;
    options.hostname_activation_delay = std::chrono::milliseconds{0};
    if (argc > 1) options.seed_file = argv[1];
    pw::sandbox::Server server(options);
    server.start();
    const auto& id = server.identity();
    boost::json::object line{{"base_url", server.base_url()},
                             {"r2_s3_endpoint", server.r2_s3_endpoint()},
                             {"user_id", id.user_id},
                             {"email", id.email},
                             {"global_key", id.global_key},
                             {"account_id", id.account_id},
                             {"zone_id", id.zone_id},
                             {"zone_name", id.zone_name}};
    std::cout << boost::json::serialize(line) << std::endl;
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
    server.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sdk_compat sandbox host: " << e.what() << '\n';
    return 1;
  }
}
