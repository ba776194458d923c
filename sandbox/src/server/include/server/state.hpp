// Everything a handler may read or change. Owned by the server; touched only
// on the state strand, so handlers need no locking.
#pragma once

#include <pipewright/sandbox.hpp>

#include "iam/token_store.hpp"
#include "store/db.hpp"
#include "store/object_store.hpp"

namespace pw::sandbox {

struct State {
  State(const Options& opts)
      : options(opts),
        db(opts.state_dir ? std::optional(*opts.state_dir / "sandbox.db") : std::nullopt),
        objects(opts.state_dir) {}

  const Options& options;
  Db db;
  ObjectStore objects;
  Identity identity;  // the seeded demo user/account/zone
  TokenLookup tokens;
};

}  // namespace pw::sandbox
