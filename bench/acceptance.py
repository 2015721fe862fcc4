#!/usr/bin/env python3
"""Acceptance checks: what a new user would check on each issue, measured over real processes.

    python3 bench/acceptance.py core        # the supervision core
    python3 bench/acceptance.py all         # every group

Runs target/procpool.jar (make build first) with the samples in build/, on loopback ports from
21000 up, in a scratch directory that it removes. Prints one line per check: the figure measured,
the target, and PASS or FAIL; exits 1 if any check fails. Only processes it started are signalled,
by pid; everything is stopped at the end, also when a check fails.

One file of about 800 lines: one function per issue's checks, each read top to bottom against
the issue it checks; the process tools shared with the other scripts are in scripts/proctools.py.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from proctools import ROOT, JAR, accepts, alive, java_opts, stat_fields, status_field  # noqa: E402
SEARCH = os.path.join(ROOT, "build", "search.cgi")
FAKE = os.path.join(ROOT, "procpool-cli", "src", "test", "programs", "fake_service.py")
JAVA_OPTS = java_opts()

results = []


def check(name, value, target, ok):
    results.append((name, value, target, ok))
    print("%-4s %-62s %-18s target %s" % ("PASS" if ok else "FAIL", name, value, target), flush=True)


def http_get(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, None


def wait_for(what, deadline_s, probe, interval=0.005):
    """Polls probe() until it returns a truthy value; returns (value, seconds) or raises."""
    t0 = time.monotonic()
    while True:
        v = probe()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 > deadline_s:
            raise TimeoutError("not within %.1fs: %s" % (deadline_s, what))
        time.sleep(interval)


class Manager:
    """One procpool run in its own scratch directory."""

    def __init__(self, workdir, admin_port):
        self.dir = workdir
        self.admin = admin_port
        self.proc = None
        self.started = None

    def write(self, body, name="pool.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("pool {\n  admin.port = %d\n  state-dir = state\n%s\n}\n" % (self.admin, body))
        return path

    def start(self, config="pool.conf", extra=(), cwd=None):
        log = open(os.path.join(self.dir, "manager.log"), "a")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(["java"] + JAVA_OPTS + list(extra) + ["-jar", JAR, "run", "--config", config],
                                     cwd=cwd or self.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self.proc

    def status(self):
        code, body = http_get("http://127.0.0.1:%d/status" % self.admin)
        return json.loads(body) if code == 200 else None

    def instance(self, service, port):
        s = self.status()
        if not s:
            return None
        for i in s["services"].get(service, {}).get("instances", []):
            if i["port"] == port:
                return i
        return None

    def pids(self):
        """Every pid the state file records, and their process groups' members."""
        out = set()
        try:
            with open(os.path.join(self.dir, "state", "procpool.state.json")) as f:
                for c in json.load(f)["children"]:
                    out.add(c["pid"])
        except (OSError, ValueError, KeyError):
            pass
        return out

    def group_members(self, pgids):
        members = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                fields = stat_fields(int(entry))
                if fields is not None and int(fields[2]) in pgids and fields[0] != "Z":
                    members.add(int(entry))
        return members

    def kill_everything(self, extra_pids=()):
        groups = self.pids() | set(extra_pids)
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pgid in groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(pgid, signal.SIGKILL)
            except OSError:
                pass


def serving_pid(port):
    """The pid serving the search sample on port (from /proc, via the listening socket's owner)."""
    code, _ = http_get("http://127.0.0.1:%d/?q=health" % port, timeout=0.5)
    return code == 200


def core(workdir):
    ports = iter(range(21000, 21100))
    m = Manager(workdir, 21999)
    a, b, steady = next(ports), next(ports), next(ports)
    grandchild_file = os.path.join(workdir, "gc.pid")
    m.write("""
  services {
    web { command = "%s", ports = [%d, %d] }
    stubborn { command = [sh, -c, "sleep 600 & echo $! > %s; exec python3 %s --port $PORT --ignore-term"],
               ports = [%d], stop.timeout = 2s }
  }""" % (SEARCH, a, b, grandchild_file, FAKE, steady))
    try:
        m.start()
        _, took = wait_for("both ports serve", 30, lambda: serving_pid(a) and serving_pid(b))
        check("2-instance service: both ports serve after start", "%.2f s" % took, "<= 5 s", took <= 5)

        victim = wait_for("pid in status", 10, lambda: (m.instance("web", a) or {}).get("pid"))[0]
        os.kill(victim, signal.SIGKILL)
        t0 = time.monotonic()
        wait_for("old pid gone", 5, lambda: not alive(victim), interval=0.001)
        new_pid, _ = wait_for("new pid serving", 10, lambda: serving_pid(a) and
                              (m.instance("web", a) or {}).get("pid") not in (None, victim)
                              and (m.instance("web", a) or {}).get("pid"), interval=0.002)
        took = time.monotonic() - t0
        check("SIGKILL an instance: a new pid serves on its port", "%.0f ms" % (took * 1000), "<= 1000 ms",
              took <= 1.0)

        gc = wait_for("grandchild pid", 10, lambda: open(grandchild_file).read().strip()
                      if os.path.exists(grandchild_file) else None)[0]
        gc = int(gc)
        stubborn_pid = wait_for("stubborn runs", 10, lambda: (m.instance("stubborn", steady) or {}).get("pid"))[0]
        pids = {victim, new_pid, stubborn_pid, gc} | m.pids()
        t0 = time.monotonic()
        m.proc.send_signal(signal.SIGTERM)
        code = m.proc.wait(timeout=20)
        took = time.monotonic() - t0
        left = [p for p in pids if alive(p)]
        check("SIGTERM: manager exit code", str(code), "0", code == 0)
        check("SIGTERM: children and grandchildren left", str(len(left)), "0", not left)
        check("SIGTERM with a child ignoring it (stop.timeout 2s): exit", "%.2f s" % took, "<= 4 s", took <= 4.0)
    finally:
        m.kill_everything()

    # A crash loop, with the defaults and with max-restarts = 3, beside a steady service.
    m = Manager(workdir, 21998)
    s1, s2, s3 = next(ports), next(ports), next(ports)
    m.write("""
  services {
    loop { command = [sh, -c, "exit 3"], ports = [%d] }
    loop3 { command = [sh, -c, "exit 3"], ports = [%d], restart.max-restarts = 3 }
    steady { command = "%s", ports = [%d] }
  }""" % (s1, s2, SEARCH, s3))
    try:
        m.start()
        wait_for("loop seen", 30, lambda: m.instance("loop", s1))
        steady_pid = wait_for("steady serves", 10, lambda: serving_pid(s3) and (m.instance("steady", s3) or {}).get("pid"))[0]
        t_seen = time.monotonic()
        _, took = wait_for("loop3 FAILED", 20, lambda: ((m.status() or {}).get("services", {})
                                                         .get("loop3", {}).get("state") == "FAILED"), interval=0.05)
        failed_at = time.monotonic() - m.started
        check("max-restarts = 3: FAILED in /status after start", "%.2f s" % failed_at, "<= 15 s", failed_at <= 15)
        remaining = 5.0 - (time.monotonic() - t_seen)
        if remaining > 0:
            time.sleep(remaining)
        restarts = m.instance("loop", s1)["restarts"]
        check("crash loop with defaults: restarts in its first 5 s", str(restarts), "<= 10", restarts <= 10)
        same = (m.instance("steady", s3) or {}).get("pid") == steady_pid and serving_pid(s3)
        check("the other service keeps serving with an unchanged pid", "yes" if same else "no", "yes", same)
    finally:
        if m.proc:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=20)
        m.kill_everything()

    # An invalid configuration.
    workdir = os.path.join(workdir, "invalid")
    os.makedirs(workdir)
    m = Manager(workdir, 21997)
    path = m.write("""
  services.web { command = "%s", ports = [%d], min_processes = 1, stop.timeout = soon }""" % (SEARCH, next(ports)))
    t0 = time.monotonic()
    p = m.start()
    code = p.wait(timeout=30)
    took = time.monotonic() - t0
    out = open(os.path.join(workdir, "manager.log")).read()
    check("invalid config: exit code", str(code), "2", code == 2)
    check("invalid config: time to exit", "%.2f s" % took, "<= 5 s", took <= 5)
    named = "service 'web', key 'min_processes'" in out and "key 'stop.timeout'" in out and "pool.conf:" in out
    check("invalid config: message names file, service and key", "yes" if named else "no", "yes", named)
    check("invalid config: nothing started", "yes" if not os.path.exists(os.path.join(workdir, "state")) else "no",
          "yes", not os.path.exists(os.path.join(workdir, "state")))
    os.remove(path)

    # A manager killed with SIGKILL and started again on the same state dir.
    m = Manager(workdir, 21996)
    port = next(ports)
    m.write("""
  services.web { command = [sh, -c, "sleep 600 & exec %s"], ports = [%d], stop.timeout = 2s }""" % (SEARCH, port))
    try:
        m.start()
        wait_for("serves", 30, lambda: serving_pid(port))
        first = m.pids()
        first_members = m.group_members(first)
        m.proc.kill()
        m.proc.wait()
        m.start()
        _, took = wait_for("serves again", 30, lambda: serving_pid(port) and
                           (m.instance("web", port) or {}).get("pid") not in (None, *first), interval=0.01)
        left = [p for p in first_members if alive(p)]
        check("manager SIGKILLed and restarted: processes of the first run left", str(len(left)), "0", not left)
        check("manager SIGKILLed and restarted: serving again after the start", "%.2f s" % took, "<= 5 s", took <= 5)
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=20)
        m.kill_everything()

    # The seed manifest, as it is.
    m = Manager(workdir, 21995)
    port = next(ports)
    with open(os.path.join(workdir, "manifest.json"), "w") as f:
        json.dump({"pools": {"search": {"command": SEARCH, "ports": [port], "min_processes": 1,
                                        "max_processes": 1, "health_check": "/?q=health"}}}, f)
    try:
        m.start("manifest.json", extra=["-Dpool.admin.port=21995"])
        _, took = wait_for("manifest serves", 30, lambda: serving_pid(port))
        check("the seed-format JSON manifest runs as it is", "serving", "serving", True)
    except TimeoutError:
        check("the seed-format JSON manifest runs as it is", "not serving", "serving", False)
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=20)
        m.kill_everything()


def health(workdir):
    probe = ('health-check { path = "/health", interval = 500ms, timeout = 300ms, failure-threshold = 3, '
             'start-period = %s }')
    bad, frozen, late = 21201, 21202, 21203
    m = Manager(workdir, 21994)
    m.write("""
  services {
    bad { command = [python3, "%s", "--port", "{port}", "--status", "500"], ports = [%d], %s }
    web { command = [python3, "%s", "--port", "{port}"], ports = [%d], %s }
    late { command = [python3, "%s", "--port", "{port}", "--bind-delay", "3"], ports = [%d], %s }
  }""" % (FAKE, bad, probe % "1s", FAKE, frozen, probe % "10s", FAKE, late, probe % "10s"))
    backends_seen = []

    def backends():
        code, body = http_get("http://127.0.0.1:%d/backends" % m.admin)
        b = json.loads(body) if code == 200 else {}
        backends_seen.append(b)
        return b

    try:
        m.start()
        # The late binder: not a backend while it does not accept, HEALTHY soon after it does.
        _, _ = wait_for("late starting", 30, lambda: (m.instance("late", late) or {}).get("pid"))
        listed_early = False
        while not accepts(late):
            listed_early |= "127.0.0.1:%d" % late in backends().get("late", [])
            time.sleep(0.01)
        t_accept = time.monotonic()
        _, _ = wait_for("late HEALTHY", 5, lambda: (m.instance("late", late) or {}).get("state") == "HEALTHY",
                        interval=0.005)
        took = time.monotonic() - t_accept
        inst = m.instance("late", late)
        check("late binder (3 s, start-period 10s): restarts", str(inst["restarts"]), "0", inst["restarts"] == 0)
        check("late binder: HEALTHY in /status after it accepts connections", "%.0f ms" % (took * 1000), "<= 300 ms",
              took <= 0.3)
        check("late binder: listed in /backends before it was ready", "yes" if listed_early else "no", "no",
              not listed_early)
        listed = "127.0.0.1:%d" % late in backends().get("late", [])
        check("late binder: listed in /backends once HEALTHY", "yes" if listed else "no", "yes", listed)

        # The instance answering 500: replaced by a new pid, never listed.
        first = wait_for("bad serves", 10, lambda: (m.instance("bad", bad) or {}).get("pid")
                         if http_get("http://127.0.0.1:%d/health" % bad)[0] == 500 else None, interval=0.005)[0]
        t_serving = time.monotonic()
        never_listed = True

        def replaced():
            nonlocal never_listed
            never_listed &= "127.0.0.1:%d" % bad not in backends().get("bad", [])
            pid = (m.instance("bad", bad) or {}).get("pid")
            return pid if pid not in (None, first) else None
        wait_for("bad replaced", 10, replaced, interval=0.01)
        took = time.monotonic() - t_serving
        check("answers 500 (start-period 1s): a new pid after it starts serving", "%.2f s" % took, "<= 3 s", took <= 3)
        check("answers 500: never listed in /backends", "yes" if never_listed else "no", "yes", never_listed)

        # The frozen one: replaced, and gone.
        pid = wait_for("web HEALTHY", 10, lambda: (m.instance("web", frozen) or {}).get("state") == "HEALTHY"
                       and m.instance("web", frozen)["pid"])[0]
        os.kill(pid, signal.SIGSTOP)
        t0 = time.monotonic()
        wait_for("web replaced", 10, lambda: (m.instance("web", frozen) or {}).get("pid") not in (None, pid),
                 interval=0.01)
        took = time.monotonic() - t0
        check("SIGSTOPped instance: replaced by a new pid", "%.2f s" % took, "<= 3 s", took <= 3)
        gone, _ = wait_for("frozen gone", 5, lambda: not alive(pid))
        check("SIGSTOPped instance: the frozen process is gone", "yes" if gone else "no", "yes", gone)

        # Probe figures are measurements.
        h = (m.instance("late", late) or {}).get("health") or {}
        lat = h.get("last_latency_ms")
        real = isinstance(lat, (int, float)) and 0 < lat < 300
        check("health.last_latency_ms is a measured figure", "%s ms" % lat, "0 < x < timeout", real)
        lats = set()
        for _ in range(6):
            lats.add(((m.instance("late", late) or {}).get("health") or {}).get("last_latency_ms"))
            time.sleep(0.6)
        check("health.last_latency_ms changes from probe to probe", "%d values in 6 reads" % len(lats), ">= 2",
              len(lats) >= 2)
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=30)
        m.kill_everything()


def http_post(url, token=None, timeout=60):
    req = urllib.request.Request(url, method="POST", data=b"")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def admin(workdir):
    import re
    import threading
    m = Manager(workdir, 21993)
    a, b, c = 21301, 21302, 21303
    m.write("""
  admin.token = "tok"
  services {
    web { command = "%s", ports = [%d, %d], min-processes = 1, max-processes = 2, health-check { path = "/?q=health", interval = 500ms } }
    one { command = "%s", ports = [%d], health-check { path = "/?q=health", interval = 500ms } }
  }""" % (SEARCH, a, b, SEARCH, c))
    base = "http://127.0.0.1:%d" % m.admin

    def pids(service):
        return sorted(i["pid"] for i in ((m.status() or {}).get("services", {}).get(service, {}).get("instances", []))
                      if i["pid"])

    def healthy(service):
        return sum(1 for i in ((m.status() or {}).get("services", {}).get(service, {}).get("instances", []))
                   if i["state"] == "HEALTHY")
    try:
        m.start()
        wait_for("web HEALTHY", 30, lambda: healthy("web") == 1 and healthy("one") == 1)
        http_post(base + "/services/web/scale?instances=2", "tok")
        _, took2 = wait_for("scaled to 2", 10, lambda: healthy("web") == 2)
        # Token: a POST without it is refused and changes nothing.
        before = pids("web")
        code, _ = http_post(base + "/services/web/restart")
        same = pids("web") == before
        check("with a token set, a POST without it", "HTTP %s" % code, "401, nothing changed", code == 401 and same)

        # Rolling restart: both pids change, /backends never below one instance.
        fewest, samples, stop = [99], [0], [False]

        def watch():
            while not stop[0]:
                code, body = http_get(base + "/backends")
                if code == 200:
                    fewest[0] = min(fewest[0], len(json.loads(body).get("web", [])))
                    samples[0] += 1
        t = threading.Thread(target=watch)
        t.start()
        code, body = http_post(base + "/services/web/restart", "tok")
        stop[0] = True
        t.join()
        after = pids("web")
        changed = code == 200 and not set(after) & set(before) and len(after) == 2
        check("POST restart on a 2-instance service: both pids change", "%s -> %s" % (before, after), "all new", changed)
        check("during the restart, fewest web backends listed (%d samples)" % samples[0], str(fewest[0]), ">= 1",
              fewest[0] >= 1 and samples[0] > 0)

        # Scale: 2 (above) then 1 within 5 s each, 9 refused.
        http_post(base + "/services/web/scale?instances=1", "tok")
        _, took1 = wait_for("scaled to 1", 10, lambda: len(pids("web")) == 1)
        check("scale to 2, then to 1: instance count follows", "%.2f s, %.2f s" % (took2, took1), "<= 5 s each",
              took1 <= 5 and took2 <= 5)
        before = pids("web")
        code, body = http_post(base + "/services/web/scale?instances=9", "tok")
        check("scale to 9 on a max of 2", "HTTP %s" % code, "400, nothing changed", code == 400 and pids("web") == before)

        # A SIGKILL: events within a second, restarts_total grows, /metrics parses.
        def restarts():
            code, body = http_get(base + "/metrics")
            text = body.decode()
            found = re.search(r'procpool_restarts_total\{reason="exit",service="one"\} ([0-9.]+)', text)
            return text, float(found.group(1)) if found else 0.0
        _, restarts_before = restarts()
        victim = pids("one")[0]
        events = []
        resp = urllib.request.urlopen(base + "/events", timeout=10)
        t0 = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        first_at = None
        while True:
            line = resp.readline().decode()
            if line.startswith("data:"):
                e = json.loads(line[5:])
                events.append(e)
                if first_at is None:
                    first_at = time.monotonic() - t0
                if e["to"] == "HEALTHY":
                    break
        healthy_at = time.monotonic() - t0
        resp.close()
        chain = " -> ".join([events[0]["from"]] + [e["to"] for e in events])
        check("/events: first transition of a SIGKILL", "%.0f ms" % (first_at * 1000), "<= 1000 ms", first_at <= 1.0)
        check("/events: %s" % chain[:50], "%.2f s to HEALTHY" % healthy_at, "HEALTHY -> ... -> HEALTHY",
              events[0]["from"] == "HEALTHY" and events[-1]["to"] == "HEALTHY")
        text, restarts_after = restarts()
        check("procpool_restarts_total{reason=exit} after the SIGKILL", "%g -> %g" % (restarts_before, restarts_after),
              "grows", restarts_after > restarts_before)
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? ([-+0-9.eE]+|NaN|[+-]Inf)$')
        bad = [l for l in text.splitlines() if l and not l.startswith("#") and not sample.match(l)]
        check("/metrics parses as Prometheus text", "%d bad lines" % len(bad), "0", not bad)

        # poolctl: a table, and a clear exit 1 when no manager runs.
        ctl = subprocess.run(["java"] + JAVA_OPTS + ["-jar", JAR, "ctl", "status", "--admin", base],
                             capture_output=True, text=True, timeout=60)
        table = ctl.returncode == 0 and ctl.stdout.startswith("SERVICE") and "HEALTHY" in ctl.stdout
        check("ctl status prints a table", "exit %d, %d lines" % (ctl.returncode, len(ctl.stdout.splitlines())),
              "exit 0, a table", table)
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=30)
        m.kill_everything()
    ctl = subprocess.run(["java"] + JAVA_OPTS + ["-jar", JAR, "ctl", "status", "--admin", base],
                         capture_output=True, text=True, timeout=60)
    clear = ctl.returncode == 1 and "no procpool manager answers" in ctl.stderr
    check("ctl status against a stopped manager", "exit %d: %s" % (ctl.returncode, ctl.stderr.strip()[:40]),
          "exit 1, clear message", clear)


def ensure_wrk():
    """wrk from Debian's packages (installed if missing and apt-get is at hand); None if unavailable."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True)
    return shutil.which("wrk")


def samples(workdir):
    import pty
    import select
    # The default pool, started the way `make run` starts it, in a pseudo-terminal so that Ctrl-C
    # is a real terminal interrupt (SIGINT to the whole foreground process group).
    for port in range(8000, 8005):
        if accepts(port):
            check("ports 8000-8004 free before `make run`", "port %d busy" % port, "free", False)
            return
    state = os.path.join(workdir, "state")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvp("make", ["make", "--no-print-directory", "run",
                           "JAVA_OPTS=-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dpool.state-dir=" + state])
    out = []

    def drain(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    out.append(os.read(fd, 65536))
                except OSError:
                    return

    def status():
        code, body = http_get("http://127.0.0.1:9900/status")
        return json.loads(body) if code == 200 else None
    try:
        t0 = time.monotonic()
        wanted = ("search", "auth", "python_cgi")
        while time.monotonic() - t0 < 60:
            drain(0.05)
            s = status()
            if s and all(s["services"][n]["state"] == "RUNNING" and all(i["state"] == "HEALTHY"
                         for i in s["services"][n]["instances"]) for n in wanted):
                break
        took = time.monotonic() - t0
        check("make run: search, auth, python_cgi HEALTHY", "%.1f s" % took, "<= 15 s", took <= 15)
        for url in ("http://localhost:8000/?q=health", "http://localhost:8003/?service=health"):
            code, _ = http_get(url)
            check("curl %s" % url, "HTTP %s" % code, "200", code == 200)
        code, body = http_get("http://localhost:8000/?q=pool")
        try:
            results = json.loads(body)["results"]
        except (ValueError, KeyError, TypeError):
            results = None
        check("curl http://localhost:8000/?q=pool", "%s results" % (len(results) if results else "no"), "JSON results",
              code == 200 and bool(results))
        os.write(fd, b"\x03")
        t1 = time.monotonic()
        while True:
            drain(0.05)
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done or time.monotonic() - t1 > 30:
                break
        busy = [p for p in range(8000, 8005) if accepts(p)]
        check("Ctrl-C on make run: ports 8000-8004 closed", "%.2f s, busy %s" % (time.monotonic() - t1, busy), "none busy",
              not busy and done)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        text = b"".join(out).decode(errors="replace")
        for line in text.splitlines():
            if " pid=" in line:
                for word in line.split():
                    if word.startswith("pid="):
                        p = int(word[4:])
                        if alive(p):
                            os.kill(p, signal.SIGKILL)

    # The original manifest runs the same pool.
    m = Manager(workdir, 9900)
    try:
        m.start("discovery/manifest.json", extra=["-Dpool.state-dir=" + state + "2"], cwd=ROOT)
        ok, _ = wait_for("manifest pool healthy", 30, lambda: all(
            (m.status() or {}).get("services", {}).get(n, {}).get("state") == "RUNNING" for n in ("search", "auth", "python_cgi")))
        check("--config discovery/manifest.json runs the same pool", "RUNNING", "RUNNING", bool(ok))
    except TimeoutError:
        check("--config discovery/manifest.json runs the same pool", "not all RUNNING", "RUNNING", False)
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=30)
        m.kill_everything()

    # csharp_script enabled where dotnet-script is missing: FAILED with a clear reason, the rest runs.
    if not shutil.which("dotnet-script"):
        m = Manager(workdir, 21992)
        m.write("""
  services {
    csharp_script { command = "dotnet-script %s/samples/csharp/sample_csharp_cgi.csx", ports = [21410] }
    search { command = "%s", ports = [21411] }
  }""" % (ROOT, SEARCH))
        try:
            m.start()
            inst, _ = wait_for("csharp FAILED", 30, lambda: (m.instance("csharp_script", 21410) or {}).get("state") == "FAILED"
                               and m.instance("csharp_script", 21410))
            running = wait_for("search serves", 10, lambda: serving_pid(21411))[0]
            check("csharp_script without dotnet-script: FAILED, reason", inst["reason"][:40], "command not found: dotnet-script",
                  inst["reason"].startswith("command not found: dotnet-script") and running)
        finally:
            if m.proc and m.proc.poll() is None:
                m.proc.send_signal(signal.SIGTERM)
                m.proc.wait(timeout=30)
            m.kill_everything()

    # The search sample's throughput on one core, keep-alive (it is also the benchmark workload).
    wrk = ensure_wrk()
    if not wrk or not shutil.which("taskset"):
        check("search sample throughput (needs wrk and taskset)", "not measured", ">= 5000 req/s", False)
        return
    server = subprocess.Popen(["taskset", "-c", "0", SEARCH, "21420"], stdout=subprocess.DEVNULL)
    try:
        wait_for("search sample up", 5, lambda: accepts(21420))
        run = subprocess.run(["taskset", "-c", "1", wrk, "-t1", "-c32", "-d5s", "http://127.0.0.1:21420/?q=process+pool"],
                             capture_output=True, text=True)
        rate = float([l for l in run.stdout.splitlines() if l.startswith("Requests/sec:")][0].split()[1])
        check("search sample on one core, keep-alive, ?q=process+pool (wrk -c32)", "%.0f req/s" % rate, ">= 5000 req/s",
              rate >= 5000)
    finally:
        server.terminate()
        server.wait()


def scaling(workdir):
    import threading
    probe = 'health-check { path = "/h", interval = 500ms }'
    keep, gone, change, fresh, roll1, roll2, roll3, mem1, mem2 = range(21501, 21510)
    m = Manager(workdir, 21991)
    cfg = """
  services {
    keep { command = [python3, "%(fake)s", "--port", "{port}"], ports = [%(keep)d], %(probe)s }
    gone { command = [python3, "%(fake)s", "--port", "{port}"], ports = [%(gone)d], %(probe)s }
    change { command = [python3, "%(fake)s", "--port", "{port}", "--status", "%(status)s"], ports = [%(change)d], %(probe)s }
    %(fresh_service)s
    roll { command = [python3, "%(fake)s", "--port", "{port}"], ports = [%(roll1)d, %(roll2)d, %(roll3)d],
           min-processes = 2, %(probe)s }
    mem { command = [python3, "%(fake)s", "--port", "{port}", "--grow-mb", "80"], ports = [%(mem1)d, %(mem2)d],
          min-processes = 1, limits { max-rss = 50MiB, for = 2s }, %(probe)s }
  }"""
    values = dict(fake=FAKE, keep=keep, gone=gone, change=change, roll1=roll1, roll2=roll2, roll3=roll3, mem1=mem1,
                  mem2=mem2, probe=probe, status="200", fresh_service="")
    m.write(cfg % values)
    base = "http://127.0.0.1:%d" % m.admin

    def pid(service, port):
        return (m.instance(service, port) or {}).get("pid")

    def ready(service):
        s = (m.status() or {}).get("services", {}).get(service, {})
        return [i for i in s.get("instances", []) if i["state"] == "HEALTHY"]
    try:
        m.start()
        wait_for("all HEALTHY", 40, lambda: all(ready(n) for n in ("keep", "gone", "change", "roll")) and len(ready("roll")) == 2)
        # The memory hog: replaced within for + 3 s of crossing the limit.
        hog = wait_for("mem runs", 10, lambda: pid("mem", mem1))[0]
        wait_for("mem over 50MiB", 30, lambda: float((status_field(hog, "VmRSS") or "0").split()[0]) / 1024 > 50, interval=0.02)
        t_over = time.monotonic()
        wait_for("mem replaced", 15, lambda: any(i["pid"] not in (None, hog) and i["state"] == "HEALTHY"
                                                   for i in ready("mem")), interval=0.05)
        took = time.monotonic() - t_over
        check("limits.max-rss = 50MiB, for = 2s: replaced after crossing it", "%.2f s" % took, "<= 5 s", took <= 5)
        code, body = http_get(base + "/metrics")
        shown = 'procpool_restarts_total{reason="resource",service="mem"}' in body.decode()
        check("the replacement's reason in /metrics", "reason=\"resource\"" if shown else "missing", "shown", shown)

        # A rolling restart of 2 instances on 3 ports: never fewer than 2 backends (polled every 50 ms).
        before = sorted(i["pid"] for i in ready("roll"))
        fewest, polls, stop = [99], [0], [False]

        def watch():
            while not stop[0]:
                code, body = http_get(base + "/backends")
                if code == 200:
                    fewest[0] = min(fewest[0], len(json.loads(body).get("roll", [])))
                    polls[0] += 1
                time.sleep(0.05)
        t = threading.Thread(target=watch)
        t.start()
        code, _ = http_post(base + "/services/roll/restart")
        time.sleep(0.2)
        stop[0] = True
        t.join()
        after = sorted(i["pid"] for i in ready("roll"))
        check("rolling restart, 2 instances on 3 ports: fewest backends (%d polls)" % polls[0], str(fewest[0]), ">= 2",
              code == 200 and fewest[0] >= 2)
        check("rolling restart: all pids new", "%s -> %s" % (before, after), "all new", not set(before) & set(after))

        # Reload: add one, remove one, change one's command; the fourth keeps its pid.
        keep_pid, gone_pid = pid("keep", keep), pid("gone", gone)
        everything = {i["pid"] for s in m.status()["services"].values() for i in s["instances"] if i["pid"]}
        m.write((cfg % dict(values, status="204", fresh_service="fresh { command = [python3, \"%s\", \"--port\", \"{port}\"], "
                            "ports = [%d], %s }" % (FAKE, fresh, probe))).replace(
            'gone { command = [python3, "%s", "--port", "{port}"], ports = [%d], %s }' % (FAKE, gone, probe), ""))
        t0 = time.monotonic()
        code, body = http_post(base + "/reload")
        served, _ = wait_for("fresh serves", 10, lambda: http_get("http://127.0.0.1:%d/h" % fresh)[0] == 200)
        took = time.monotonic() - t0
        check("reload: the added service serves", "%.2f s" % took, "<= 5 s", code == 200 and took <= 5)
        check("reload: the unchanged service keeps its pid", str(pid("keep", keep)), str(keep_pid), pid("keep", keep) == keep_pid)
        wait_for("gone is gone", 15, lambda: not alive(gone_pid))
        check("reload: the removed service's process is gone", "gone", "gone", not alive(gone_pid))
        wait_for("change rolled", 15, lambda: http_get("http://127.0.0.1:%d/h" % change)[0] == 204)
        check("reload: the changed command runs", "HTTP 204", "the new command", True)

        # Reload with an invalid file: nothing changes, the errors are listed.
        snapshot = {(n, i["port"]): i["pid"] for n, s in m.status()["services"].items() for i in s["instances"]}
        with open(os.path.join(workdir, "pool.conf"), "a") as f:
            f.write("pool.services.keep.prots = 1\npool.services.keep.restart.max-restarts = lots\n")
        code, body = http_post(base + "/reload")
        errors = json.loads(body).get("detail", [])
        same = snapshot == {(n, i["port"]): i["pid"] for n, s in m.status()["services"].items() for i in s["instances"]}
        check("reload of an invalid file: HTTP status, errors listed", "%s, %d errors" % (code, len(errors)),
              "400, every error", code == 400 and len(errors) == 2)
        check("reload of an invalid file: every pid unchanged", "unchanged" if same else "changed", "unchanged", same)
        del everything
    finally:
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=30)
        m.kill_everything()

    # Autoscaling on CPU: min to max under sustained load, back to min after it stops.
    burn = os.path.join(workdir, "burn")
    m = Manager(workdir, 21990)
    up_after, down_after = 5, 10
    m.write("""
  services.cpu { command = [python3, "%s", "--port", "{port}", "--burn-file", "%s", "--burn-cores", "2"],
                 ports = [21520, 21521, 21522], min-processes = 1, max-processes = 3, health-check.path = "/h",
                 scaling { enabled = true, metric = cpu, target = 0.6, up-after = %ds, down-after = %ds, interval = 1s } }"""
            % (FAKE, burn, up_after, down_after))
    try:
        m.start()
        wait_for("cpu HEALTHY", 30, lambda: ((m.status() or {}).get("services", {}).get("cpu", {}).get("state") == "RUNNING"))
        open(burn, "w").close()
        t0 = time.monotonic()
        wait_for("scaled to 3", up_after + 20, lambda: (m.status() or {})["services"]["cpu"]["desired"] == 3, interval=0.1)
        took = time.monotonic() - t0
        check("cpu load: from min (1) to max (3), up-after %ds" % up_after, "%.1f s" % took, "<= %d s" % (up_after + 5),
              took <= up_after + 5)
        os.remove(burn)
        t1 = time.monotonic()
        wait_for("scaled to 1", down_after + 30, lambda: (m.status() or {})["services"]["cpu"]["desired"] == 1, interval=0.1)
        took = time.monotonic() - t1
        check("load stops: back to min (1), down-after %ds" % down_after, "%.1f s" % took, "<= %d s" % (down_after + 5),
              took <= down_after + 5)
        log = open(os.path.join(workdir, "manager.log")).read()
        check("every scaling decision is logged with its inputs", "%d lines" % log.count("autoscaling"), ">= 2",
              log.count("autoscaling") >= 2 and "vs target 0.600" in log)
    finally:
        if os.path.exists(burn):
            os.remove(burn)
        if m.proc and m.proc.poll() is None:
            m.proc.send_signal(signal.SIGTERM)
            m.proc.wait(timeout=30)
        m.kill_everything()


def library(workdir):
    import re
    del workdir
    mvn = ["mvn", "-B", "--no-transfer-progress"]
    installed = subprocess.run(mvn + ["-q", "install", "-DskipTests"], cwd=ROOT, capture_output=True, text=True)
    check("mvn install: library, cli and testkit jars", "exit %d" % installed.returncode, "exit 0", installed.returncode == 0)
    emb = subprocess.run(mvn + ["-f", "examples/embedding/pom.xml", "verify"], cwd=ROOT, capture_output=True, text=True)
    check("examples/embedding (two real processes: status, backends, scale, close)",
          "BUILD SUCCESS" if emb.returncode == 0 else "failed", "green", emb.returncode == 0)
    sim = subprocess.run(mvn + ["-f", "examples/simulation/pom.xml", "verify"], cwd=ROOT, capture_output=True, text=True)
    check("examples/simulation", "BUILD SUCCESS" if sim.returncode == 0 else "failed", "green", sim.returncode == 0)
    storm = re.search(r"crash storm: simulated (\S+) of virtual time in (\d+) ms", sim.stdout)
    ten = re.search(r"ten minutes: simulated (\S+) of virtual time in (\d+) ms", sim.stdout)
    if storm:
        check("crash storm of 100 instances (%s virtual)" % storm.group(1), "%s ms wall" % storm.group(2), "< 1000 ms",
              int(storm.group(2)) < 1000)
    if ten:
        check("ten minutes of virtual time (%s)" % ten.group(1), "%s ms wall" % ten.group(2), "< 2000 ms",
              int(ten.group(2)) < 2000)


GROUPS = {"core": core, "health": health, "admin": admin, "samples": samples, "scaling": scaling, "library": library}


def main():
    wanted = sys.argv[1:] or ["all"]
    names = list(GROUPS) if "all" in wanted else wanted
    for tool in (JAR, SEARCH):
        if not os.path.exists(tool):
            sys.exit("missing %s: run `make build` first" % tool)
    for name in names:
        workdir = tempfile.mkdtemp(prefix="procpool-acceptance-")
        print("== %s" % name, flush=True)
        try:
            GROUPS[name](workdir)
        except Exception as e:  # a check that could not even be measured is a failure
            check("%s: %s" % (name, type(e).__name__), str(e)[:60], "-", False)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [r for r in results if not r[3]]
    print("%d checks, %d failed" % (len(results), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
