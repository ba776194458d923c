"""What bench/job.py and bench/tenants.py share: a `pipewright sandbox` of
their own (stopped when they exit, even when killed), its test hooks, and
figures. Benchmarks, not tests: every failure stops the run loudly."""
import ctypes
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

# The eight groups of a pipewright token (conf/create-token.json), on the
# sandbox's account and zone.
ACCOUNT_GROUPS = ["Account Settings Read", "Workers Scripts Read", "Workers Scripts Write",
                  "Workers R2 Storage Write"]
ZONE_GROUPS = ["Zone Read", "SSL and Certificates Read", "SSL and Certificates Write", "Workers Routes Write"]


class BenchFailed(Exception):
    pass


def _die_with_parent():
    # The sandbox gets SIGTERM when this harness dies, however it dies.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop_on_signals():
    def stop(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


_stop_on_signals()


def request(url, method="GET", body=None, headers=None, timeout=30):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Sandbox:
    """`pipewright sandbox --listen 127.0.0.1:0 ARGS`, started at once."""

    def __init__(self, pw, args, log):
        self.log = open(log, "wb")
        self.process = subprocess.Popen([pw, "sandbox", "--listen", "127.0.0.1:0", "--s3-port", "0", "--output", "json"]
                                        + args, stdout=subprocess.PIPE, stderr=self.log, preexec_fn=_die_with_parent)
        ready, _, _ = select.select([self.process.stdout], [], [], 15)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise BenchFailed(f"the sandbox did not start within 15 s (see {log})")
        self.info = json.loads(line)
        self.base = self.info["base_url"]
        self.origin = self.base.rsplit("/client/v4", 1)[0]

    def hook(self, path, method="GET", body=None):
        status, answer = request(self.origin + "/__sandbox/" + path, method, body)
        if status >= 300:
            raise BenchFailed(f"{method} /__sandbox/{path}: HTTP {status}: {answer[:200]!r}")
        return json.loads(answer) if answer else None

    def token(self):
        """A token with the eight groups, made by the test hook (no request counted)."""
        a, z = self.info["account_id"], self.info["zone_id"]
        made = self.hook("tokens", "POST", json.dumps({"name": "bench", "policies": [
            {"effect": "allow", "resources": {f"com.cloudflare.api.account.{a}": "*"},
             "permission_groups": [{"name": g} for g in ACCOUNT_GROUPS]},
            {"effect": "allow", "resources": {f"com.cloudflare.api.account.zone.{z}": "*"},
             "permission_groups": [{"name": g} for g in ZONE_GROUPS]}]}))
        result = made.get("result", made)
        return result["value"]

    def requests(self):
        """The request log since the last clear_requests(), hooks left out."""
        log = self.hook("requests")
        log = log.get("result", log) if isinstance(log, dict) else log
        return [e for e in log if not e["path"].startswith("/__sandbox")]

    def clear_requests(self):
        self.hook("requests", "DELETE")

    def global_key_headers(self):
        return {"X-Auth-Email": self.info["email"], "X-Auth-Key": self.info["global_key"]}

    def env(self, token):
        """The environment a client of this sandbox runs with; nothing else of the caller's Cloudflare settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "R2_"))}
        env.update(CLOUDFLARE_API_BASE_URL=self.base, CLOUDFLARE_ACCOUNT_ID=self.info["account_id"],
                   CLOUDFLARE_ZONE_ID=self.info["zone_id"], CLOUDFLARE_ZONE_NAME=self.info["zone_name"],
                   CLOUDFLARE_API_TOKEN=token)
        return env

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


def timed(cmd, env, out, cwd=None, timeout=300):
    """Runs cmd with stdout to `out`; its wall time in seconds. A failure or timeout stops the benchmark."""
    with open(out, "wb") as o, open(out + ".err", "wb") as e:
        start = time.perf_counter()
        try:
            rc = subprocess.run(cmd, stdout=o, stderr=e, env=env, cwd=cwd, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            raise BenchFailed(f"{' '.join(cmd[:4])} ... took more than {timeout} s; see {out}.err")
        seconds = time.perf_counter() - start
    if rc != 0:
        sys.stderr.write(open(out + ".err", errors="replace").read()[-2000:])
        raise BenchFailed(f"{' '.join(cmd[:4])} ... exited {rc}; see {out} and {out}.err")
    return seconds


def events(path):
    return [json.loads(line) for line in open(path) if line.startswith("{")]


def median(xs):
    return statistics.median(xs)


def main(run):
    try:
        run()
    except BenchFailed as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
