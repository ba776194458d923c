#!/usr/bin/env bash
# Proves that the installed package works with exactly the CMake the plugin
# guide shows, in C and in C++: install pipewright into a temp prefix, check
# that the guide quotes examples/c-step and examples/cpp-step unchanged,
# build each against the prefix alone, load each with the installed
# pipewright, and run the C++ one in a pipeline with a built-in plugin.
#   guide_examples.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
TMP=$(mktemp -d /tmp/pw-guide-examples.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
unset PIPEWRIGHT_PLUGIN_PATH

# The first fenced block after the line of docs/plugin-guide.md naming $1.
guide_block() {
  awk -v file="$1" '
    inside && /^```/ { exit }
    inside { print; next }
    found && /^```/ { inside = 1; next }
    index($0, file) { found = 1 }' "$SRC/docs/plugin-guide.md"
}

echo "-- the guide quotes the examples unchanged"
for file in c-step/CMakeLists.txt c-step/hello.c cpp-step/CMakeLists.txt cpp-step/greet.cpp; do
  if ! diff -u <(guide_block "examples/$file") "$SRC/examples/$file"; then
    echo "docs/plugin-guide.md does not quote examples/$file as it is"; exit 1
  fi
done

echo "-- install pipewright into a temp prefix"
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log"
PW=$TMP/prefix/bin/pipewright

# folder:plugin:the ABI it answers (the C example asks for 1.0 only)
for example in c-step:example.step.hello:1.0 cpp-step:example.step.greet:1.4; do
  IFS=: read -r dir name abi <<<"$example"
  echo "-- build examples/$dir against the installed package only"
  # Copied, so that nothing of the project is on the include path.
  cp -r "$SRC/examples/$dir" "$TMP/$dir"
  if ! { cmake -S "$TMP/$dir" -B "$TMP/$dir-build" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/prefix" &&
    cmake --build "$TMP/$dir-build"; } >"$TMP/$dir.log" 2>&1; then
    cat "$TMP/$dir.log"; exit 1
  fi
  test -f "$TMP/$dir-build/$name.so"

  echo "-- the installed pipewright loads $name"
  "$PW" plugins show "$name" --plugin-path "$TMP/$dir-build" >"$TMP/show.out" 2>&1 \
    || { cat "$TMP/show.out"; exit 1; }
  grep -qF "ABI $abi" "$TMP/show.out" || { cat "$TMP/show.out"; exit 1; }
done

echo "-- run the C++ plugin in a pipeline"
mkdir "$TMP/work" && cd "$TMP/work"
"$PW" run "$TMP/cpp-step/greet.json" --plugin-path "$TMP/cpp-step-build" >"$TMP/run.out" 2>&1 \
  || { cat "$TMP/run.out"; exit 1; }
grep -q "hello, installed pipewright" greeting.env || { cat "$TMP/run.out" greeting.env; exit 1; }
echo "guide examples in C and C++: ok"
