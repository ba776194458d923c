#!/usr/bin/env bash
# The whole create -> test -> deploy flow against the embedded Cloudflare
# sandbox, in a fresh temporary working directory: the repository's files
# are never written. Called by `./dev demo` as
#   scripts/demo.sh BUILD_DIR [extra `pipewright run` arguments]
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: scripts/demo.sh BUILD_DIR [pipewright run arguments...]" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$1" && pwd)
shift
bin=$build/bin/pipewright
if [[ ! -x $bin ]]; then
  echo "demo: $bin is missing; build first (./dev build)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pipewright-demo.XXXXXX")
cp -R "$root/examples/site" "$work/site"
state=$work/sandbox-state
mkdir -p "$state"
# r2.upload's hash cache (file MD5s by stat), kept with the rest of the demo.
export PIPEWRIGHT_CACHE_DIR=$work/cache

echo "pipewright demo in $work"
echo
status=0
(cd "$work" && "$bin" run "$root/conf/create-test-deploy.json" --sandbox --sandbox-state "$state" \
  --plugin-path "$build/plugins" --input site=site --input wait_active=true "$@") || status=$?

rerun="cd $work && PIPEWRIGHT_CACHE_DIR=cache $bin run $root/conf/deploy-tenant.json --sandbox --sandbox-state sandbox-state \\
      --plugin-path $build/plugins --input site=site --input tenant=northwind --input domain=shop.northwind-bakery.net"
cat <<EOT

Where things are:
  working directory   $work
  saved token         $state/.env   (CLOUDFLARE_API_TOKEN, kept with the sandbox state; never printed)
  deployed site       $work/site   (the copy of examples/site that was uploaded, tenant "northwind")
  sandbox state       $state   (SQLite and R2 object bodies)
  hash cache          $work/cache   (MD5s of the site's files, so a re-run reads none of them)
  pipelines           $root/conf/create-test-deploy.json and the files it uses

Try next:
  deploy the tenant again (uploads nothing, creates nothing; edit a file in site/ to upload just it):
    $rerun
  browse the sandbox API:
    $bin sandbox --state $state
  clean up:
    rm -rf $work
EOT
exit "$status"
