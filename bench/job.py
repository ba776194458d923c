"""bench/run.sh job: the whole job side by side, in one run.

    python3 bench/job.py PIPEWRIGHT SDK_DIR WORK [ROUNDS]

For each contender (pipewright's bench/whole-job.json, bench/peers/whole_job.py,
bench/peers/whole_job.mjs) and round: a fresh `pipewright sandbox` answering
every request 50 ms late with its default REST budget (1,200 / 300 s), a
token with the eight groups made by its test hook, the same 200-file site;
the wall time of the contender's process; the requests the sandbox
counted; then what the job made is checked (not timed): bucket, Worker
with its R2 binding, route, fallback origin, custom hostname, every object
and the mapping. Rounds alternate the contenders' order; medians at the end.
"""
import json
import os
import sys
import urllib.parse

from harness import BenchFailed, Sandbox, events, main, median, request, timed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENANT, DOMAIN, BUCKET, WORKER = "acme", "shop.acme-bakery.net", "pipewright-sites", "pipewright-site-router"
FILES = 200


def make_site(site):
    # 200 pages of ~5 KB in 10 directories.
    for i in range(FILES):
        d = os.path.join(site, f"d{i % 10}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"p{i}.html"), "w") as f:
            f.write(f"<p>{i}</p>" + "x" * 5000)


def commands(pw, sdk, site):
    names = ["--site", site, "--tenant", TENANT, "--domain", DOMAIN, "--bucket", BUCKET, "--worker", WORKER,
             "--worker-module", os.path.join(ROOT, "worker", "site-router.js")]
    return {
        "pipewright": [pw, "run", os.path.join(ROOT, "bench", "whole-job.json"), "--input", f"site={site}",
                       "--input", f"tenant={TENANT}", "--input", f"domain={DOMAIN}", "--input", f"bucket={BUCKET}",
                       "--input", f"worker={WORKER}", "--output", "json"],
        "python": [sys.executable, os.path.join(ROOT, "bench", "peers", "whole_job.py")] + names,
        "typescript": ["node", os.path.join(ROOT, "bench", "peers", "whole_job.mjs"), "--sdk", sdk] + names,
    }


def check_done(sandbox, token, site):
    """What every contender must have made; a BenchFailed names what is missing."""
    sandbox.hook("faults", "POST", "")
    a, z = sandbox.info["account_id"], sandbox.info["zone_id"]
    auth = {"Authorization": "Bearer " + token}

    def get(path):
        status, body = request(sandbox.base + path, headers=auth)
        if status != 200:
            raise BenchFailed(f"GET {path}: HTTP {status}")
        return body

    def result(path):
        return json.loads(get(path))["result"]

    result(f"/accounts/{a}/r2/buckets/{BUCKET}")
    bindings = result(f"/accounts/{a}/workers/scripts/{WORKER}/settings")["bindings"]
    if {"type": "r2_bucket", "name": "ASSETS", "bucket_name": BUCKET} not in bindings:
        raise BenchFailed(f"the Worker has no ASSETS binding to {BUCKET}: {bindings}")
    if not any(r["pattern"] == "*/*" and r.get("script") == WORKER for r in result(f"/zones/{z}/workers/routes")):
        raise BenchFailed("no route */* to the Worker")
    if result(f"/zones/{z}/custom_hostnames/fallback_origin")["origin"] != "service." + sandbox.info["zone_name"]:
        raise BenchFailed("the fallback origin is not set")
    hosts = result(f"/zones/{z}/custom_hostnames?hostname={DOMAIN}")
    if [h.get("custom_metadata") for h in hosts] != [{"tenant": TENANT}]:
        raise BenchFailed(f"custom hostname {DOMAIN}: {hosts}")
    keys = {o["key"]: o["size"] for o in result(f"/accounts/{a}/r2/buckets/{BUCKET}/objects?prefix={TENANT}/&per_page=1000")}
    want = {}
    for root, _, files in os.walk(site):
        for f in files:
            path = os.path.join(root, f)
            want[f"{TENANT}/{os.path.relpath(path, site)}"] = os.path.getsize(path)
    if keys != want:
        raise BenchFailed(f"{len(keys)} objects under {TENANT}/, not the site's {len(want)} files")
    mapping = json.loads(get(f"/accounts/{a}/r2/buckets/{BUCKET}/objects/" + urllib.parse.quote(f"_hostnames/{DOMAIN}")))
    if mapping != {"tenant": TENANT}:
        raise BenchFailed(f"the mapping object holds {mapping}")


def critical_path(out):
    """Each step's start and end, in ms from the run's first event: where pipewright's time goes."""
    ev = events(out)
    t0 = min(e["ts"] for e in ev)
    spans = {}
    for e in ev:
        if e["type"] in ("step_started", "step_finished"):
            first, last = spans.get(e["step"], (e["ts"], e["ts"]))
            spans[e["step"]] = (min(first, e["ts"]), max(last, e["ts"]))
    return ", ".join(f"{step} {a - t0}-{b - t0}" for step, (a, b) in sorted(spans.items(), key=lambda s: s[1]))


def run():
    pw, sdk, work = (os.path.abspath(a) for a in sys.argv[1:4])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    site = os.path.join(work, "site")
    make_site(site)
    names = ["pipewright", "python", "typescript"]
    seconds = {n: [] for n in names}
    counted = {n: [] for n in names}
    print(f"== the whole job: verify, 8 permission tests, bucket, Worker, fallback origin, route, {FILES} files "
          f"(~5 KB) through the REST API, custom hostname + mapping; sandbox latency=50ms, REST budget on; "
          f"{rounds} rounds")
    for r in range(rounds):
        order = names[r % 3:] + names[:r % 3]
        line = []
        for name in order:
            run_dir = os.path.join(work, f"r{r}-{name}")
            os.makedirs(run_dir)
            with Sandbox(pw, ["--faults", "latency=50ms"], os.path.join(run_dir, "sandbox.err")) as sandbox:
                token = sandbox.token()
                env = sandbox.env(token)
                env["PIPEWRIGHT_CACHE_DIR"] = os.path.join(run_dir, "cache")  # a first deploy: no hash cache
                sandbox.clear_requests()
                cmd = commands(pw, sdk, site)[name]
                out = os.path.join(run_dir, "out")
                took = timed(cmd, env, out, cwd=run_dir, timeout=120)
                log = sandbox.requests()
                # 4xx are expected (the probes' invalid bodies, pipewright's reads of what is not there yet
                # and of DNS records its token may not read); a refused token, 429 or 5xx spoils the figure.
                refused = [e for e in log if e["status"] in (401, 429) or e["status"] >= 500]
                if refused:
                    raise BenchFailed(f"{name}: {len(refused)} requests answered {refused[0]['status']} "
                                      f"({refused[0]['method']} {refused[0]['path']})")
                if name == "pipewright":
                    done = next(e for e in events(out) if e["type"] == "run_finished")
                    outputs = done.get("outputs", {})
                    if done.get("status") != "ok" or outputs.get("passed") != 8 or outputs.get("uploaded") != FILES \
                            or outputs.get("transport") != "api":
                        raise BenchFailed(f"pipewright: {done.get('status')}, outputs {outputs}")
                check_done(sandbox, token, site)
            seconds[name].append(took)
            counted[name].append(len(log))
            line.append(f"{name} {took:.2f} s ({len(log)} requests)")
        print(f"round {r + 1}: " + ", ".join(line), flush=True)
    med = {n: median(seconds[n]) for n in names}
    for n in names:
        print(f"{n:>10}: median {med[n]:.3f} s (of {', '.join(f'{s:.3f}' for s in sorted(seconds[n]))}), "
              f"{median(counted[n]):.0f} requests counted by the sandbox")
    print(f"pipewright's steps in its last run (ms from its first event): "
          f"{critical_path(os.path.join(work, f'r{rounds - 1}-pipewright', 'out'))}")
    print(f"ratios: python/pipewright {med['python'] / med['pipewright']:.1f}x, "
          f"typescript/pipewright {med['typescript'] / med['pipewright']:.1f}x; "
          f"pipewright target <= 0.5 s: {'met' if med['pipewright'] <= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main(run)
