#!/usr/bin/env bash
# What a pipeline declares for an isolated step is all it gets: core.dotenv.write
# run with "isolation": "process" cannot write the working directory until the
# step says "allow_write"; with it, the run passes even --isolation-strict.
# `plugins doctor` says what this kernel enforces.
#   grants_in_pipeline.sh PIPEWRIGHT_BIN
set -euo pipefail
PW=$1
TMP=$(mktemp -d /tmp/pw-grants.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

"$PW" plugins doctor >doctor.txt || true
cat doctor.txt
grep -q 'process isolation on this kernel:' doctor.txt
abi=$(sed -n 's/.*Landlock ABI \([0-9]*\):.*/\1/p' doctor.txt)
if [[ -z $abi || $abi -lt 6 ]]; then
  # CTest shows it as skipped (SKIP_RETURN_CODE), not passed.
  echo "this kernel's Landlock ABI is ${abi:-none}; --isolation-strict needs 6"
  exit 77
fi

pipeline() {  # $1: extra members of the step
  cat >p.json <<JSON
{
  "pipewright": 1,
  "steps": [
    {"id": "save", "uses": "core.dotenv.write", "isolation": "process" $1,
     "with": {"path": ".env", "values": {"SAVED": "\${{ env.PW_GRANT_PROBE }}"}}}
  ]
}
JSON
}

export PW_GRANT_PROBE=from-the-host
pipeline ''
status=0
"$PW" run p.json --output json >denied.jsonl 2>&1 || status=$?
[[ $status -eq 1 ]] || { cat denied.jsonl; echo "expected the undeclared write to fail (exit 1), got $status"; exit 1; }
[[ ! -e .env ]] || { echo ".env was written without allow_write"; exit 1; }

pipeline ', "allow_write": ["."]'
"$PW" run p.json --isolation-strict >allowed.txt 2>&1 || { cat allowed.txt; echo "the declared write failed"; exit 1; }
grep -q '^SAVED=from-the-host$' .env || { cat .env; echo ".env does not hold the value"; exit 1; }
echo "an isolated step writes only where it declared: ok"
