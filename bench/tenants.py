"""bench/run.sh tenants: conf/deploy-tenants.json at sandbox latency=50ms.

    python3 bench/tenants.py PIPEWRIGHT WORK

1. TENANTS x FILES (default 100 x 30, ~1 KB files), rate limits off on both
   sides: a first run, then an unchanged re-run (hash cache kept).
2. The budget scaled down: a running sandbox with --rate-limit 600/30, the
   client's own limit on (it learns the server's policy from the answers'
   Ratelimit headers), uploads through the REST API (metered), BUDGET_TENANTS
   x FILES (default 30 x 30, ~1,050 requests: one window's wait). Zero 429s,
   and the total against the time the budget itself imposes.
3. The same on the embedded sandbox (`run --sandbox --sandbox-rate-limit`).

The time the budget imposes: the sandbox counts a fixed window per
credential from its first request, so request k (from 0) cannot be
answered before floor(k / quota) windows have passed since the first: N
requests need at least floor((N - 1) / quota) * window seconds.
The served-site check is off (check_site=false): no edge serves these
hostnames here, and it is not API work.
"""
import json
import os
import shutil
import sys
import time

from harness import BenchFailed, Sandbox, events, main, request, timed

TENANTS = int(os.environ.get("BENCH_TENANTS", "100"))
BUDGET_TENANTS = int(os.environ.get("BENCH_BUDGET_TENANTS", "30"))
FILES = int(os.environ.get("BENCH_TENANT_FILES", "30"))
QUOTA, WINDOW = 600, 30


def make_tenants(root, tenants, files):
    entries = []
    for t in range(tenants):
        site = os.path.join(root, "sites", f"t{t:03d}")
        os.makedirs(site, exist_ok=True)
        for f in range(files):
            with open(os.path.join(site, f"page{f:02d}.html"), "w") as out:
                out.write(f"<p>tenant {t} page {f}</p>\n" + "x" * 1000 + "\n")
        entries.append({"tenant": f"t{t:03d}", "domain": f"www.t{t:03d}-bench.net", "site": f"sites/t{t:03d}"})
    path = os.path.join(root, "tenants.json")
    with open(path, "w") as f:
        json.dump(entries, f)
    return path


def deploy(pw, tenants_file, out, extra):
    return ["/usr/bin/time", "-f", "%M", "-o", out + ".rss", pw, "run", "deploy-tenants",
            "--input", f"tenants={tenants_file}", "--input", "check_site=false", "--output", "json"] + extra


def outcome(out, tenants, uploaded):
    """(http events, 429s, peak RSS KB) of a run that must have deployed every tenant and uploaded `uploaded`."""
    ev = events(out)
    done = next((e for e in ev if e["type"] == "run_finished"), None)
    if done is None:
        raise BenchFailed(f"no run_finished event in {out}")
    rows = done.get("outputs", {}).get("tenants") or []
    sent = sum(r.get("uploaded") or 0 for r in rows)
    if done.get("status") != "ok" or done["outputs"].get("ok") != tenants or sent != uploaded:
        raise BenchFailed(f"{out}: status {done.get('status')}, {done['outputs'].get('ok')} of {tenants} tenants ok, "
                          f"{sent} files uploaded (expected {uploaded})")
    http = [e for e in ev if e["type"] == "http"]
    rss = open(out + ".rss").read().split()[-1]
    return http, sum(e.get("status") == 429 for e in http), int(rss)


def make_bucket(sandbox):
    # With the global key: the token's budget window opens with the timed run's first request.
    status, body = request(f"{sandbox.base}/accounts/{sandbox.info['account_id']}/r2/buckets", "POST",
                           json.dumps({"name": "pipewright-sites"}),
                           dict(sandbox.global_key_headers(), **{"Content-Type": "application/json"}))
    if status != 200:
        raise BenchFailed(f"creating the bucket: HTTP {status}: {body[:200]!r}")


def budget_line(label, seconds, requests, refused, waits):
    floor = (requests - 1) // QUOTA * WINDOW
    ratio = seconds / floor if floor else float("inf")
    met = refused == 0 and ratio <= 1.10
    print(f"{label}: {seconds:.2f} s wall, {requests} requests, {refused} answered 429; the budget alone imposes "
          f"{floor} s ((N - 1) // {QUOTA} x {WINDOW} s); ratio {ratio:.3f}; longest announced wait {waits:.1f} s "
          f"-> target (0 x 429, <= 1.10): {'met' if met else 'NOT met'}", flush=True)


def longest_wait(out):
    return max((e.get("wait_ms", 0) / 1000 for e in events(out) if e["type"] == "waiting"), default=0.0)


def first_and_rerun(pw, work):
    root = os.path.join(work, "many")
    tenants_file = make_tenants(root, TENANTS, FILES)
    print(f"== deploy-tenants, {TENANTS} tenants x {FILES} files (~1 KB), latency=50ms, rate limits off, "
          f"the pipeline's default max_parallel and concurrency", flush=True)
    with Sandbox(pw, ["--rate-limit", "off", "--faults", "latency=50ms"], os.path.join(root, "sandbox.err")) as sandbox:
        env = sandbox.env(sandbox.token())
        env["PIPEWRIGHT_CACHE_DIR"] = os.path.join(root, "cache")
        make_bucket(sandbox)
        for label, uploaded in (("first run", TENANTS * FILES), ("unchanged re-run", 0)):
            sandbox.clear_requests()
            out = os.path.join(root, label.replace(" ", "-") + ".json")
            took = timed(deploy(pw, tenants_file, out, ["--rate-limit", "off"]), env, out, cwd=root, timeout=300)
            http, refused, rss = outcome(out, TENANTS, uploaded)
            counted = len(sandbox.requests())
            target = 3.0 if uploaded else 1.0
            print(f"{label}: {took:.2f} s wall, {len(http)} HTTP requests ({counted} counted by the sandbox), "
                  f"{refused} answered 429, peak RSS {rss / 1024:.1f} MB -> target <= {target:.0f} s: "
                  f"{'met' if took <= target else 'NOT met'}", flush=True)
            time.sleep(0.2)  # past the hash cache's racy-timestamp margin


def scaled_budget(pw, work):
    root = os.path.join(work, "budget")
    tenants_file = make_tenants(root, BUDGET_TENANTS, FILES)
    print(f"== the budget scaled down: sandbox --rate-limit {QUOTA}/{WINDOW}, client limit on, transport api, "
          f"{BUDGET_TENANTS} tenants x {FILES} files, latency=50ms", flush=True)
    with Sandbox(pw, ["--rate-limit", f"{QUOTA}/{WINDOW}", "--faults", "latency=50ms"],
                 os.path.join(root, "sandbox.err")) as sandbox:
        env = sandbox.env(sandbox.token())
        env["PIPEWRIGHT_CACHE_DIR"] = os.path.join(root, "cache")
        make_bucket(sandbox)
        sandbox.clear_requests()
        out = os.path.join(root, "run.json")
        took = timed(deploy(pw, tenants_file, out, ["--input", "transport=api"]), env, out, cwd=root, timeout=240)
        http, refused, _ = outcome(out, BUDGET_TENANTS, BUDGET_TENANTS * FILES)
        log = sandbox.requests()
        if any(not e["path"].startswith("/client/v4/") for e in log):
            raise BenchFailed("uploads went through the S3 door, not the metered REST API")
        server_refused = sum(e["status"] == 429 for e in log)
        budget_line("running sandbox", took, len(log), max(refused, server_refused), longest_wait(out))


def embedded_budget(pw, work):
    root = os.path.join(work, "embedded")
    tenants_file = make_tenants(root, BUDGET_TENANTS, FILES)
    state = os.path.join(root, "state")
    print(f"== the same on the embedded sandbox: run --sandbox --sandbox-rate-limit {QUOTA}/{WINDOW} "
          f"--sandbox-faults latency=50ms", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "R2_"))}
    env["PIPEWRIGHT_CACHE_DIR"] = os.path.join(root, "cache")
    target = ["--sandbox", "--sandbox-state", state]
    # The token and the bucket, each in a process of its own (a budget window lives as long as its sandbox).
    timed([pw, "run", "create-token"] + target, env, os.path.join(root, "token.txt"), cwd=root, timeout=60)
    timed([pw, "run", "deploy-infrastructure"] + target, env, os.path.join(root, "infra.txt"), cwd=root, timeout=60)
    out = os.path.join(root, "run.json")
    took = timed(deploy(pw, tenants_file, out, target + ["--sandbox-rate-limit", f"{QUOTA}/{WINDOW}",
                                                    "--sandbox-faults", "latency=50ms", "--input", "transport=api"]),
                 env, out, cwd=root, timeout=240)
    http, refused, _ = outcome(out, BUDGET_TENANTS, BUDGET_TENANTS * FILES)
    if any(not e.get("path", "").startswith("/client/v4/") for e in http):
        raise BenchFailed("uploads went through the S3 door, not the metered REST API")
    budget_line("embedded sandbox", took, len(http), refused, longest_wait(out))


def run():
    pw, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not shutil.which("/usr/bin/time"):
        raise BenchFailed("GNU time (/usr/bin/time) is needed: apt-get install time")
    parts = sys.argv[3].split(",") if len(sys.argv) > 3 else ["runs", "budget", "embedded"]
    if "runs" in parts:
        first_and_rerun(pw, work)
    if "budget" in parts:
        scaled_budget(pw, work)
    if "embedded" in parts:
        embedded_budget(pw, work)


if __name__ == "__main__":
    main(run)
