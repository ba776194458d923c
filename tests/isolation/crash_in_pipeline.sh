#!/usr/bin/env bash
# A crashing isolated plugin fails only its own step: the host survives, an
# independent step still succeeds, and the run reports which plugin crashed.
#   crash_in_pipeline.sh PIPEWRIGHT_BIN FIXTURE_DIR
set -euo pipefail
PW=$1
FIXTURES=$2
TMP=$(mktemp -d /tmp/pw-isolation.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/p.json" <<'JSON'
{
  "pipewright": 1,
  "steps": [
    {"id": "crashes", "uses": "isolation.crash", "isolation": "process"},
    {"id": "hangs", "uses": "isolation.hang", "isolation": "process", "timeout": "1s"},
    {"id": "independent", "uses": "core.echo", "with": {"values": {"x": "still here"}}},
    {"id": "after", "uses": "core.echo", "needs": ["independent"], "with": {"values": {"y": "${{ steps.independent.outputs.x }}"}}}
  ]
}
JSON
status=0
"$PW" run "$TMP/p.json" --plugin-path "$FIXTURES" --output json >"$TMP/out.jsonl" 2>"$TMP/err.txt" || status=$?
cat "$TMP/out.jsonl" "$TMP/err.txt"
[[ $status -eq 1 ]] || { echo "expected exit 1 (a step failed), got $status"; exit 1; }
grep -q 'plugin isolation.crash crashed in its isolated process' "$TMP/out.jsonl"
grep -q 'signal 11' "$TMP/out.jsonl"
grep -q 'plugin isolation.hang did not return after its deadline' "$TMP/out.jsonl"
grep '"type":"step_finished"' "$TMP/out.jsonl" | grep '"step":"after"' | grep -q '"status":"ok"'
echo "isolated crash and hang failed only their steps: ok"
