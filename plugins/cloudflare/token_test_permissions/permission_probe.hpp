// How token.test_permissions reads one probe's answer. Cloudflare (and the
// sandbox) check permission before the body and before the resource, so an
// answer past the permission check proves the permission: a 400 to a
// deliberately invalid body means "allowed", a 403 10000/9109 "missing".
#pragma once

#include <pipewright/cloudflare/api.hpp>

#include <string>

namespace pipewright::cloudflare {

enum class ProbeKind {
  read,           // GET: 2xx proves it
  invalid_write,  // a write with an invalid body: 4xx validation proves it
  create,         // a real create: 2xx proves it (then the probe is deleted)
};

enum class Verdict { passed, missing, inconclusive };

struct ProbeReading {
  Verdict verdict = Verdict::inconclusive;
  std::string detail;  // "GET ... -> 200 OK" style explanation, no secrets
};

// `request_line` is "POST /zones/<z>/custom_hostnames", for the detail.
ProbeReading read_probe(const ApiResult& result, ProbeKind kind, std::string_view request_line);

}  // namespace pipewright::cloudflare
