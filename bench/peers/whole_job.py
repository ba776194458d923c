#!/usr/bin/env python3
"""The whole job of deploying one tenant, as a python3 + requests script.

A benchmark peer (bench/run.sh job), not part of pipewright: what a
competent user writes with requests, one Session, one request after the
other. It does the work of pipewright's bench/whole-job.json: verify the
token, test its eight permission groups with the same safe probes, create
the R2 bucket, upload the site-router Worker with its R2 binding, set the
zone's fallback origin, bind the route */*, upload every file of the site
under the tenant's prefix through the REST API, create the custom hostname
and write its mapping object.

Settings come from CLOUDFLARE_API_BASE_URL, CLOUDFLARE_ACCOUNT_ID,
CLOUDFLARE_ZONE_ID, CLOUDFLARE_ZONE_NAME and CLOUDFLARE_API_TOKEN. Exits
non-zero on the first failure; never prints the token.
"""
import argparse
import json
import mimetypes
import os
import secrets
import sys
from urllib.parse import quote

import requests

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8", ".json": "application/json"}


SETTINGS = ["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_ZONE_ID", "CLOUDFLARE_ZONE_NAME",
            "CLOUDFLARE_API_TOKEN"]


class JobFailed(Exception):
    pass


def envelope(response, what, accept=(200,)):
    if response.status_code not in accept:
        raise JobFailed(f"{what}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--bucket", default="pipewright-sites")
    parser.add_argument("--worker", default="pipewright-site-router")
    parser.add_argument("--worker-module", required=True, help="worker/site-router.js")
    args = parser.parse_args()

    missing = [n for n in SETTINGS if not os.environ.get(n)]
    if missing:
        raise JobFailed("set " + ", ".join(missing))
    base = os.environ["CLOUDFLARE_API_BASE_URL"].rstrip("/")
    account = os.environ["CLOUDFLARE_ACCOUNT_ID"]
    zone = os.environ["CLOUDFLARE_ZONE_ID"]
    zone_name = os.environ["CLOUDFLARE_ZONE_NAME"]
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + os.environ["CLOUDFLARE_API_TOKEN"]
    timeout = 30

    def call(method, path, what, accept=(200,), **kwargs):
        return envelope(session.request(method, base + path, timeout=timeout, **kwargs), what, accept)

    token = call("GET", "/user/tokens/verify", "verifying the token")["result"]
    if token.get("status") != "active":
        raise JobFailed(f"the token is {token.get('status')}")

    # The eight permission groups, each by a request that changes nothing:
    # a read, or a write whose invalid body is refused after the permission check.
    probe = "pw-probe-" + secrets.token_hex(4)
    invalid = (200, 400, 409, 422)
    call("GET", f"/accounts/{account}", "Account Settings Read")
    call("GET", f"/accounts/{account}/workers/scripts", "Workers Scripts Read")
    call("GET", f"/zones/{zone}", "Zone Read")
    call("GET", f"/zones/{zone}/custom_hostnames", "SSL and Certificates Read", params={"per_page": 5})
    call("POST", f"/accounts/{account}/r2/buckets", "Workers R2 Storage Write", invalid, json={"name": "-"})
    call("POST", f"/zones/{zone}/workers/routes", "Workers Routes Write", invalid, json={})
    call("POST", f"/zones/{zone}/custom_hostnames", "SSL and Certificates Write", invalid, json={"hostname": "-"})
    call("PUT", f"/accounts/{account}/workers/scripts/{probe}", "Workers Scripts Write", invalid,
         files={"metadata": ("metadata", "{not json", "application/json")})

    call("POST", f"/accounts/{account}/r2/buckets", "creating the R2 bucket", json={"name": args.bucket})

    with open(args.worker_module, "rb") as f:
        module = f.read()
    name = os.path.basename(args.worker_module)
    metadata = {"main_module": name, "compatibility_date": "2026-01-15", "compatibility_flags": [],
                "bindings": [{"type": "r2_bucket", "name": "ASSETS", "bucket_name": args.bucket}]}
    call("PUT", f"/accounts/{account}/workers/scripts/{args.worker}", "uploading the Worker",
         files={"metadata": ("metadata", json.dumps(metadata), "application/json"),
                name: (name, module, "application/javascript+module")})

    call("PUT", f"/zones/{zone}/custom_hostnames/fallback_origin", "setting the fallback origin",
         json={"origin": "service." + zone_name})
    call("POST", f"/zones/{zone}/workers/routes", "creating the Worker route",
         json={"pattern": "*/*", "script": args.worker})

    objects = f"/accounts/{account}/r2/buckets/{args.bucket}/objects/"
    uploaded = 0
    for root, dirs, files in os.walk(args.site):
        dirs.sort()
        for file in sorted(files):
            path = os.path.join(root, file)
            key = args.tenant + "/" + os.path.relpath(path, args.site).replace(os.sep, "/")
            kind = CONTENT_TYPES.get(os.path.splitext(file)[1]) or mimetypes.guess_type(file)[0]
            with open(path, "rb") as f:
                call("PUT", objects + quote(key), f"uploading {key}", data=f,
                     headers={"Content-Type": kind or "application/octet-stream"})
            uploaded += 1

    call("POST", f"/zones/{zone}/custom_hostnames", "creating the custom hostname",
         (200, 201), json={"hostname": args.domain, "ssl": {"method": "http", "type": "dv"},
                           "custom_metadata": {"tenant": args.tenant}})
    call("PUT", objects + quote("_hostnames/" + args.domain), "writing the hostname mapping",
         data=json.dumps({"tenant": args.tenant}), headers={"Content-Type": "application/json"})
    print(f"python: deployed {args.tenant}: {uploaded} files, bucket {args.bucket}, Worker {args.worker}, "
          f"route */*, hostname {args.domain}")


if __name__ == "__main__":
    try:
        main()
    except (JobFailed, requests.RequestException, OSError, ValueError) as e:
        print(f"python: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
