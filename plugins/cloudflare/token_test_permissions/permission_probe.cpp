#include "permission_probe.hpp"

namespace pipewright::cloudflare {

ProbeReading read_probe(const ApiResult& r, ProbeKind kind, std::string_view request_line) {
  const std::string answer = std::string(request_line) + " answered " + describe(r);
  if (r.status == 0 || r.status >= 500 || r.status == 429)
    return {Verdict::inconclusive, "could not test: " + answer};
  if (r.status == 401)
    return {Verdict::inconclusive, "the token itself was refused: " + answer};
  if (r.forbidden())
    return {Verdict::missing, answer};
  if (r.status >= 200 && r.status < 300)
    return {Verdict::passed, answer};
  switch (kind) {
    case ProbeKind::read:
      // 404 after the permission check: the resource itself is missing.
      return {Verdict::inconclusive, "could not test: " + answer};
    case ProbeKind::invalid_write:
      if (r.status == 400 || r.status == 409 || r.status == 422)
        return {Verdict::passed, answer + " (the invalid probe body was checked, so the write is permitted)"};
      return {Verdict::inconclusive, "could not test: " + answer};
    case ProbeKind::create:
      // Past the permission check but refused for another reason (a name
      // conflict, no quota): the permission is there.
      if (r.status == 400 || r.status == 409 || r.status == 422 || r.status == 403)
        return {Verdict::passed, answer + " (refused after the permission check, so the write is permitted)"};
      return {Verdict::inconclusive, "could not test: " + answer};
  }
  return {Verdict::inconclusive, answer};
}

}  // namespace pipewright::cloudflare
