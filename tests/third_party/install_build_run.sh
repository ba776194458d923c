#!/usr/bin/env bash
# Proves the third-party path end to end: install pipewright into a temp
# prefix, check that the installed host sees only what was installed (no
# plugin refused, `plugins doctor` clean), build the out-of-tree C example
# against that prefix alone, and run test-token on a sandbox with the
# example's auth plugin in place of the built-in one.
#   install_build_run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
TMP=$(mktemp -d /tmp/pw-third-party.XXXXXX)
SANDBOX_PID=
cleanup() {
  [[ -n $SANDBOX_PID ]] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# Only the install and the example's plugins may be on the search path.
unset PIPEWRIGHT_PLUGIN_PATH

field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$TMP/sandbox.json" | head -1; }

echo "-- install pipewright into a temp prefix"
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log"
PW=$TMP/prefix/bin/pipewright

echo "-- the installed pipewright sees only what was installed"
"$PW" plugins list >"$TMP/list.out" 2>&1 || { cat "$TMP/list.out"; exit 1; }
if grep -i "refused" "$TMP/list.out"; then
  echo "plugins list refuses plugins on a clean install"; exit 1
fi
grep -q "core.dotenv.write" "$TMP/list.out" || { echo "no installed plugins listed"; cat "$TMP/list.out"; exit 1; }
doctor=0
"$PW" plugins doctor >"$TMP/doctor.out" 2>&1 || doctor=$?
if [[ $doctor -ne 0 ]]; then
  echo "plugins doctor exited $doctor on a clean install"; cat "$TMP/doctor.out"; exit 1
fi

echo "-- build the C example against the installed package only"
# The source tree is copied so that nothing of the project is on the include path.
cp -r "$SRC/examples/third-party-auth" "$TMP/example"
cmake -S "$TMP/example" -B "$TMP/example-build" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" >"$TMP/example.log"
cmake --build "$TMP/example-build" >>"$TMP/example.log"
cmake --install "$TMP/example-build" --prefix "$TMP/plugins" >>"$TMP/example.log"
PLUGIN_DIR=$TMP/plugins/lib/pipewright/plugins
test -f "$PLUGIN_DIR/example.auth.command.so"

echo "-- start a sandbox"
"$PW" sandbox --listen 127.0.0.1:0 --output json >"$TMP/sandbox.json" 2>"$TMP/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do [[ -s $TMP/sandbox.json ]] && break; sleep 0.1; done
export CLOUDFLARE_API_BASE_URL=$(field base_url)
export CLOUDFLARE_EMAIL=$(field email)
export CLOUDFLARE_GLOBAL_KEY=$(field global_key)
export CLOUDFLARE_ACCOUNT_ID=$(field account_id)
export CLOUDFLARE_ZONE_ID=$(field zone_id)
[[ -n $CLOUDFLARE_API_BASE_URL && -n $CLOUDFLARE_GLOBAL_KEY ]] || { echo "sandbox did not start"; cat "$TMP/sandbox.err"; exit 1; }

mkdir -p "$TMP/work" && cd "$TMP/work"
echo "-- create a token with the installed host and plugins (no flags)"
"$PW" run create-token >"$TMP/create.out" 2>&1 || { cat "$TMP/create.out"; exit 1; }
grep -q '^CLOUDFLARE_API_TOKEN=' .env

echo "-- test it with the third-party auth plugin"
"$PW" run "$TMP/example/test-token-command.json" --plugin-path "$PLUGIN_DIR" >"$TMP/test.out" 2>&1 \
  || { cat "$TMP/test.out"; exit 1; }
cat "$TMP/test.out"
grep -q "8/8 tests passed" "$TMP/test.out"
grep -q "auth:vault (example.auth.command)" "$TMP/test.out"
# It ran isolated with what the pipeline granted; on a kernel that can
# enforce it all (Landlock ABI 6), nothing was weaker than asked.
DOCTOR=$("$PW" plugins doctor || true)
if grep -q 'Landlock ABI \([6-9]\|[1-9][0-9]\):' <<<"$DOCTOR" && grep -q "weaker than asked" "$TMP/test.out"; then
  echo "isolation was not fully enforced"; exit 1
fi
# The token never shows in what the run printed.
TOKEN=$(sed -n 's/^CLOUDFLARE_API_TOKEN=//p' .env)
if grep -qF "$TOKEN" "$TMP/test.out" "$TMP/create.out"; then
  echo "the token leaked into the output"; exit 1
fi
echo "third-party auth plugin: ok"
