#!/usr/bin/env python3
"""make smoke-test: the default pool, end to end, as a newcomer would try it.

Starts target/procpool.jar on conf/pool.conf (or --config FILE) in the background, waits until
every enabled service is HEALTHY through the admin API, calls each service's health URL directly
and one real request per sample service, stops the pool with SIGTERM and checks that it exited 0
and left nothing running. Prints one line per check; exits 0 when all pass, 1 otherwise (each
failure on one line with its reason). Standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from proctools import ROOT, accepts, alive  # a module beside this script

# One real request per sample service and what its answer must contain.
REAL_REQUESTS = {
    "search": ("/?q=pool", lambda body: isinstance(json.loads(body).get("results"), list) and json.loads(body)["count"] > 0),
    "auth": ("/?user=alice", lambda body: json.loads(body).get("user") == "alice" and len(json.loads(body).get("token", "")) > 0),
    "python_cgi": ("/?service=smoke", lambda body: json.loads(body).get("service") == "smoke"),
    "csharp_script": ("/?service=smoke", lambda body: json.loads(body).get("service") == "smoke"),
}

failures = []


def report(ok, what, why=""):
    print(("ok    " if ok else "FAIL  ") + what + ("" if ok else ": " + why), flush=True)
    if not ok:
        failures.append(what)


def get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="conf/pool.conf")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for HEALTHY")
    args = ap.parse_args()
    os.chdir(ROOT)
    jar = os.path.join("target", "procpool.jar")
    if not os.path.exists(jar):
        report(False, "procpool jar", jar + " is missing; run make build")
        return 1
    check = subprocess.run(["java", "-jar", jar, "check", "--config", args.config], capture_output=True, text=True)
    if check.returncode != 0:
        report(False, "configuration " + args.config, check.stderr.strip().replace("\n", " | "))
        return 1
    state = tempfile.mkdtemp(prefix="procpool-smoke-")
    log_path = os.path.join(state, "manager.log")
    log = open(log_path, "w")
    manager = subprocess.Popen(["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dpool.state-dir=" + state,
                                "-jar", jar, "run", "--config", args.config],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    status = None
    pids = set()
    ports = set()
    try:
        admin = admin_url(check.stdout)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and manager.poll() is None:
            code, body = get(admin + "/status")
            if code == 200:
                status = json.loads(body)
                services = status["services"]
                pending = [n for n, s in services.items() if s["state"] != "DISABLED"
                           and not (s["state"] == "RUNNING" and all(i["state"] in ("HEALTHY", "RUNNING") for i in s["instances"]))]
                if not pending:
                    break
            time.sleep(0.2)
        if manager.poll() is not None:
            report(False, "manager running", "exited with %d: %s" % (manager.returncode, tail(log_path)))
            return 1
        if status is None:
            report(False, "admin API", "no answer at %s within %.0f s" % (admin, args.timeout))
            return 1
        for name, s in status["services"].items():
            if s["state"] == "DISABLED":
                print("skip  %s (disabled)" % name)
                continue
            states = ", ".join("%d %s" % (i["port"], i["state"]) for i in s["instances"])
            healthy = s["state"] == "RUNNING"
            report(healthy, "%s HEALTHY" % name, "state %s (%s); last reason: %s" % (
                s["state"], states, s["instances"][0]["reason"] if s["instances"] else "-"))
            for inst in s["instances"]:
                ports.add(inst["port"])
                if inst["pid"]:
                    pids.add(inst["pid"])
            detail = json.loads(get(admin + "/status/" + name)[1])
            path = health_path(detail)
            for inst in s["instances"]:
                if path is not None:
                    code, body = get("http://127.0.0.1:%d%s" % (inst["port"], path))
                    report(code == 200, "%s:%d health %s -> 200" % (name, inst["port"], path), "got %s %s" % (code, body[:80].replace("\n", " ").strip()))
                if name in REAL_REQUESTS:
                    real_request(name, "http://127.0.0.1:%d" % inst["port"], "%s:%d" % (name, inst["port"]))
            gateway = gateway_url(check.stdout)
            if gateway and name in REAL_REQUESTS:
                real_request(name, "%s/%s" % (gateway, name), "gateway /" + name)
    finally:
        if manager.poll() is None:
            manager.send_signal(signal.SIGTERM)
            try:
                code = manager.wait(timeout=30)
                report(code == 0, "manager stops on SIGTERM with exit 0", "exit code %d" % code)
            except subprocess.TimeoutExpired:
                report(False, "manager stops on SIGTERM", "still running after 30 s; killing it")
                manager.kill()
                manager.wait()
        left = sorted(p for p in pids if alive(p))
        report(not left, "no instance left running", "still alive: %s" % left)
        busy = sorted(p for p in ports if accepts(p, 0.3))
        report(not busy, "every service port closed", "still listening: %s" % busy)
        log.close()
        if failures:
            print("manager log: " + tail(log_path, 8))
        shutil.rmtree(state, ignore_errors=True)
    return 1 if failures else 0


def real_request(name, base, label):
    """The service's real request (REAL_REQUESTS) at base: 200 and a body its check accepts."""
    req, valid = REAL_REQUESTS[name]
    code, body = get(base + req)
    try:
        ok = code == 200 and valid(body)
    except (ValueError, KeyError, TypeError):
        ok = False
    report(ok, "%s GET %s" % (label, req), "got %s %s" % (code, body[:80].replace("\n", " ").strip()))


def gateway_url(check_output):
    """The gateway's base URL when `check` says it is enabled ("gateway: http://HOST:PORT"), else None."""
    for line in check_output.splitlines():
        line = line.strip()
        if line.startswith("gateway: http://"):
            return line.split(": ", 1)[1].rstrip("/")
    return None


def admin_url(check_output):
    """The admin API's address, as `procpool check` prints it."""
    for line in check_output.splitlines():
        if line.startswith("admin API: "):
            return line[len("admin API: "):].strip().rstrip("/")
    return "http://127.0.0.1:9900"


def health_path(detail):
    hc = detail.get("health_check", "")
    kind, _, path = hc.partition(" ")
    return path if kind == "http" and path else None


def tail(path, lines=3):
    try:
        with open(path) as f:
            return " | ".join(l.rstrip() for l in f.readlines()[-lines:])
    except OSError:
        return "-"


if __name__ == "__main__":
    sys.exit(main())
