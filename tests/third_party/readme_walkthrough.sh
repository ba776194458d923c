#!/usr/bin/env bash
# Runs README.md's sandbox walkthrough from a fresh install, as a user would
# paste it: the blocks marked `<!-- walkthrough: NAME -->` are read from the
# README here, so the test cannot drift from it. The only change: the
# sandbox listens on a free port (--listen 127.0.0.1:0), not on 8787.
# It also pastes the sandbox's banner as is and runs test-token with it.
#   readme_walkthrough.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
TMP=$(mktemp -d /tmp/pw-readme.XXXXXX)
SANDBOX_PID=
cleanup() {
  if [[ -n $SANDBOX_PID ]]; then kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# The fenced block after `<!-- walkthrough: $1 -->` in README.md.
block() {
  awk -v want="<!-- walkthrough: $1 -->" '
    $0 == want { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$SRC/README.md"
}
for name in serve shell pipelines; do
  [[ -n $(block "$name") ]] || { echo "README.md has no walkthrough block \"$name\""; exit 1; }
done

echo "-- install into a fresh prefix"
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log"
test -f "$TMP/prefix/share/pipewright/examples/site/index.html" || { echo "examples/site is not installed"; exit 1; }

# A user's shell: the installed pipewright on PATH, an empty home, nothing
# of Cloudflare's or of the build tree's.
export PATH="$TMP/prefix/bin:$PATH" HOME="$TMP/home"
mkdir -p "$HOME"
for v in $(compgen -e); do [[ $v == CLOUDFLARE_* || $v == PIPEWRIGHT_* ]] && unset "$v"; done
cd "$HOME"

echo "-- terminal 1: $(block serve)"
bash -c "$(block serve) --listen 127.0.0.1:0" >"$TMP/banner.txt" 2>"$TMP/serve.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do grep -q "^# Press Ctrl-C" "$TMP/banner.txt" 2>/dev/null && break; sleep 0.1; done
grep -q "^# Press Ctrl-C" "$TMP/banner.txt" || { echo "the sandbox did not start"; cat "$TMP/banner.txt" "$TMP/serve.err"; exit 1; }
cat "$TMP/banner.txt"

echo "-- terminal 2: the shell block, then the pipelines block unchanged"
# set -e in the user's shell: the first failing command fails the test.
if ! bash -euo pipefail -c "$(block shell)
$(block pipelines)" >"$TMP/walk.out" 2>&1; then
  cat "$TMP/walk.out"; echo "the README walkthrough failed"; exit 1
fi
cat "$TMP/walk.out"
grep -q "8/8 tests passed" "$TMP/walk.out" || { echo "no 8/8 in the walkthrough"; exit 1; }
[[ $(grep -c "run succeeded" "$TMP/walk.out") -eq 4 ]] || { echo "not every pipeline succeeded"; exit 1; }

echo "-- the banner pasted as is is enough for test-token"
(cd "$HOME/pw-try" && bash -euo pipefail -c "$(cat "$TMP/banner.txt")
pipewright run test-token") >"$TMP/banner-run.out" 2>&1 || { cat "$TMP/banner-run.out"; echo "the pasted banner does not work"; exit 1; }
grep -q "8/8 tests passed" "$TMP/banner-run.out"

echo "-- sandbox env prints the same settings after the sandbox stopped"
kill "$SANDBOX_PID"; wait "$SANDBOX_PID" || true; SANDBOX_PID=
pipewright sandbox env --state "$HOME/pw-sandbox" >"$TMP/env.out" 2>"$TMP/env.err"
diff <(grep '^export ' "$TMP/banner.txt") "$TMP/env.out" || { echo "sandbox env differs from the banner"; exit 1; }
grep -q "is not running" "$TMP/env.err" || { echo "sandbox env did not say the sandbox stopped"; cat "$TMP/env.err"; exit 1; }
echo "README walkthrough OK"
