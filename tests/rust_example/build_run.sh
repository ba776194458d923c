#!/usr/bin/env bash
# Builds examples/rust-auth with cargo (offline, into BINARY_DIR), loads it
# into pipewright, and runs test-token on a sandbox with its auth; then proves
# that a missing or unset configuration fails the step with a diagnostic.
#   build_run.sh CARGO BINARY_DIR PIPEWRIGHT SOURCE_DIR
set -euo pipefail
CARGO=$1
BIN=$2
PW=$3
CRATE=$4/examples/rust-auth
if [[ ! -x $CARGO ]]; then
  echo "skipped: cargo was not found when CMake configured; install Debian's cargo (./dev test does) and reconfigure"
  exit 77
fi
TMP=$(mktemp -d /tmp/pw-rust-example.XXXXXX)
SANDBOX_PID=
cleanup() {
  [[ -n $SANDBOX_PID ]] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$TMP/sandbox.json" | head -1; }
# expect_failure NAME TEXT PIPEWRIGHT-ARGS...: the run exits 1 (a step failed) and says TEXT.
expect_failure() {
  local name=$1 text=$2 status=0
  shift 2
  "$PW" run "$@" --plugin-path "$PLUGIN_DIR" >"$TMP/$name.out" 2>&1 || status=$?
  cat "$TMP/$name.out"
  [[ $status -eq 1 ]] || { echo "$name: expected exit code 1, got $status"; exit 1; }
  grep -qF "$text" "$TMP/$name.out" || { echo "$name: no diagnostic \"$text\""; exit 1; }
}

echo "-- cargo build --offline --locked --release (target dir $BIN/cargo-target)"
CARGO_TARGET_DIR=$BIN/cargo-target "$CARGO" build --offline --locked --release \
  --manifest-path "$CRATE/Cargo.toml"
PLUGIN_DIR=$BIN/plugins
mkdir -p "$PLUGIN_DIR"
cp "$BIN/cargo-target/release/libexample_auth_env_token.so" "$PLUGIN_DIR/example.auth.env_token.so"

echo "-- the host loads it"
"$PW" plugins show example.auth.env_token --plugin-path "$PLUGIN_DIR" | tee "$TMP/show.out"
grep -q "^example.auth.env_token 1.0.0 (auth)" "$TMP/show.out"
grep -q "headers .*secret" "$TMP/show.out"

echo "-- start a sandbox and create a token"
"$PW" sandbox --listen 127.0.0.1:0 --output json >"$TMP/sandbox.json" 2>"$TMP/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do [[ -s $TMP/sandbox.json ]] && break; sleep 0.1; done
export CLOUDFLARE_API_BASE_URL=$(field base_url)
export CLOUDFLARE_EMAIL=$(field email)
export CLOUDFLARE_GLOBAL_KEY=$(field global_key)
export CLOUDFLARE_ACCOUNT_ID=$(field account_id)
export CLOUDFLARE_ZONE_ID=$(field zone_id)
[[ -n $CLOUDFLARE_API_BASE_URL && -n $CLOUDFLARE_GLOBAL_KEY ]] || { echo "sandbox did not start"; cat "$TMP/sandbox.err"; exit 1; }
mkdir "$TMP/work" && cd "$TMP/work"
"$PW" run create-token >"$TMP/create.out" 2>&1 || { cat "$TMP/create.out"; exit 1; }
TOKEN=$(sed -n 's/^CLOUDFLARE_API_TOKEN=//p' .env)
[[ -n $TOKEN ]]

echo "-- test-token with the Rust auth reading the token from the environment (in-process, isolated)"
CLOUDFLARE_API_TOKEN=$TOKEN "$PW" run "$CRATE/test-token-env.json" --plugin-path "$PLUGIN_DIR" \
  >"$TMP/env.out" 2>&1 || { cat "$TMP/env.out"; exit 1; }
cat "$TMP/env.out"
grep -q "auth:env (example.auth.env_token)" "$TMP/env.out"
grep -q "8/8 tests passed" "$TMP/env.out"
CLOUDFLARE_API_TOKEN=$TOKEN "$PW" run "$CRATE/test-token-env.json" --plugin-path "$PLUGIN_DIR" \
  --isolation process >"$TMP/isolated.out" 2>&1 || { cat "$TMP/isolated.out"; exit 1; }
grep -q "8/8 tests passed" "$TMP/isolated.out"

echo "-- the same with the token given as a parameter, from .env"
sed 's/"variable": "${{ inputs.variable }}"/"token": "${{ secrets.CLOUDFLARE_API_TOKEN }}"/' \
  "$CRATE/test-token-env.json" >"$TMP/param.json"
"$PW" run "$TMP/param.json" --plugin-path "$PLUGIN_DIR" >"$TMP/param.out" 2>&1 \
  || { cat "$TMP/param.out"; exit 1; }
grep -q "8/8 tests passed" "$TMP/param.out"

echo "-- bad input fails the step with a diagnostic, and no crash"
expect_failure unset "environment variable PW_RUST_EXAMPLE_UNSET is not set" \
  "$CRATE/test-token-env.json" --input variable=PW_RUST_EXAMPLE_UNSET
sed 's/"with": {"variable": "${{ inputs.variable }}"}/"with": {}/' \
  "$CRATE/test-token-env.json" >"$TMP/empty.json"
expect_failure empty "give exactly one of \`variable\` or \`token\`" "$TMP/empty.json"
CLOUDFLARE_API_TOKEN='not a token' expect_failure bad_token "the token is empty or not a Bearer token" \
  "$CRATE/test-token-env.json"

# The token never shows in what the runs printed.
if grep -qF "$TOKEN" "$TMP"/*.out; then
  echo "the token leaked into the output"; exit 1
fi
echo "rust auth plugin: ok"
