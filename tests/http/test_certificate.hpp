// A throwaway self-signed certificate for 127.0.0.1 and localhost, made with
// the OpenSSL C API so that tests need no openssl binary.
#pragma once

#include <string>

namespace pw::test {

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

TestCertificate make_self_signed_certificate();

}  // namespace pw::test
