#!/usr/bin/env python3
"""procpool side by side with supervisord, PM2 and a C floor, on the C search sample.

    python3 bench/bench.py [--rounds 3] [--idle 60] [--trials 30] [--only floor,procpool,...]

Every system runs the same workload (build/search.cgi, one instance per port on 127.0.0.1) and
is configured for immediate restart. The scenarios of docs/benchmarks.md run interleaved: each
round runs every system in turn (in a rotated order), so slow drift of the machine spreads over
all of them. Results go to bench/.work/results.json; bench/report.py turns them into
docs/benchmarks.md and the charts. Beside procpool's own start and weight with no children runs the
stack's floor, bench/StackFloor.java: the least a program on the JVM, Pekko and Pekko HTTP does
before an HTTP API answers, so the report can say which part of a figure is procpool's; and
beside its probe CPU, probing's floor, bench/probe_floor.c: the same probes from one C thread.

Only processes this script starts are signalled, by pid; every run is torn down in a finally
block, also when a measurement fails.

One file of about 1,000 lines: each scenario is one function to be read top to bottom beside the
table it fills, and the process tools it shares with the other scripts are in scripts/proctools.py.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from proctools import ROOT, JAR, accepts, alive, cds_opts, descendants, stat_fields, status_field  # noqa: E402
WORK = os.path.join(ROOT, "bench", ".work")
PEERS = os.path.join(ROOT, "bench", ".peers")
SAMPLE = os.path.join(ROOT, "build", "search.cgi")
FLOOR = os.path.join(WORK, "floor")
PROBE_FLOOR = os.path.join(WORK, "probe_floor")
FIRST_PORT = 21000
ADMIN_PORT = 20999  # below the instances' ports, which reach 25999 at N = 5,000
PROCPOOL = os.path.join(ROOT, "bin", "procpool")
POOLCTL = os.path.join(ROOT, "bin", "poolctl")
PM2_VERSION = "7.0.4"
# The flags bin/procpool gives the JVM (conf/jvm.options), for the report.
with open(os.path.join(ROOT, "conf", "jvm.options")) as _f:
    JAVA_OPTS = [flag for line in _f for flag in line.split("#", 1)[0].split()]
SETTLE_S = 5  # after a cold start, before crash, hang and idle measurements: start-up work is not what they measure
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- /proc readings

def proc_stat(pid):
    """(state, ppid, utime+stime seconds) of pid, or None when it is gone."""
    st = stat_fields(pid)
    return None if st is None else (st[0], int(st[1]), (int(st[11]) + int(st[12])) / CLK_TCK)


def rss_mb(pid):
    rss = status_field(pid, "VmRSS")
    return None if rss is None else int(rss.split()[0]) / 1024.0


def threads_of(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except FileNotFoundError:
        return None


def listeners(ports):
    """{port: pid} of the processes listening on the given 127.0.0.1 ports."""
    wanted = set(ports)
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] != "0A":  # LISTEN
                        continue
                    port = int(parts[1].rsplit(":", 1)[1], 16)
                    if port in wanted:
                        inodes["socket:[%s]" % parts[9]] = port
        except FileNotFoundError:
            pass
    found = {}
    if not inodes:
        return found
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except (FileNotFoundError, PermissionError):
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target in inodes:
                found[inodes[target]] = pid
    return found


# ---------------------------------------------------------------- the network side

def serves(port, timeout=0.5):
    """True when an HTTP GET on the port gets a status line back."""
    return http_status(port, "/?q=health", timeout) is not None


def http_status(port, path, timeout=0.2):
    """The status code of GET path on 127.0.0.1:port, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path).encode())
            line = s.recv(64).split(b"\r\n", 1)[0].split()
            return int(line[1]) if len(line) > 1 else None
    except (OSError, ValueError):
        return None


def wait_accepting(ports, deadline_s):
    """Seconds until every port accepts, polling each pending port in turn; None on timeout."""
    start = time.monotonic()
    pending = list(ports)
    while pending:
        pending = [p for p in pending if not accepts(p)]
        if not pending:
            break
        if time.monotonic() - start > deadline_s:
            return None
        time.sleep(0.002)
    return time.monotonic() - start


def wait_ports_free(ports, deadline_s=30):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not any(accepts(p, 0.05) for p in ports):
            return True
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------- the systems

class Run:
    """One running supervisor: the manager's pid, and how to stop and tear it down."""

    def __init__(self, system, n, manager_pid, popen=None):
        self.system, self.n, self.manager, self.popen = system, n, manager_pid, popen
        self.ports = list(range(FIRST_PORT, FIRST_PORT + n))

    def manager_alive(self):
        if self.popen is not None:
            return self.popen.poll() is None
        return alive(self.manager)

    def teardown(self):
        """SIGKILL what is left of this run: the manager and everything below it, by pid."""
        left = set(descendants(self.manager)) if self.manager else set()
        left |= set(self.system.extra_pids(self))
        for pid in [self.manager] + sorted(left):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.popen is not None:
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                pass
        # A child the manager was starting at the moment it was killed is no descendant any more
        # (it went to init): what still listens on this run's ports is this run's, and goes too.
        # At 5,000 instances one such straggler held a port and failed the next system's start.
        for pid in listeners(self.ports).values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.system.cleanup(self)


class System:
    name = "?"
    probes = False

    def available(self):
        return True

    def version(self):
        return ""

    def settings(self):
        return ""

    def fresh_dir(self, logs=False):
        """This system's working directory under bench/.work, emptied (with a logs folder if asked)."""
        d = os.path.join(WORK, self.name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "logs") if logs else d)
        return d

    def start(self, n, **variant):
        raise NotImplementedError

    def extra_pids(self, run):
        return []

    def cleanup(self, run):
        pass


class Floor(System):
    name = "floor"

    def version(self):
        return "bench/floor.c (fork/exec, sigwaitinfo, no backoff, output to /dev/null)"

    def settings(self):
        return "floor build/search.cgi FIRST_PORT N"

    def start(self, n, **variant):
        p = subprocess.Popen([FLOOR, SAMPLE, str(FIRST_PORT), str(n)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return Run(self, n, p.pid, p)


class Procpool(System):
    """procpool as `make run` runs it (bin/procpool: conf/jvm.options and the class-data archive), with
    immediate restarts (restart.min-backoff = 0). `jvm` adds JVM flags (through $JAVA_OPTS, which
    bin/procpool appends) for the runs that look inside: the startup timeline, the memory breakdown."""

    def __init__(self, name="procpool", probe="http", interval="1s", threshold=3, timeout="1s", die_with_manager=True,
                 jvm=()):
        self.name, self.probe, self.interval, self.threshold = name, probe, interval, threshold
        self.timeout, self.die_with_manager, self.jvm = timeout, die_with_manager, list(jvm)
        self.probes = probe != "none"

    def version(self):
        out = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        return "procpool %s (commit %s) on %s, started by bin/procpool: %s%s" % (
            "0.1.0-SNAPSHOT", commit or "?", out[0] if out else "java ?", " ".join(JAVA_OPTS),
            "; with the class-data archive" if cds_opts() else "; NO class-data archive (stale or missing)")

    def config(self, n, state_dir):
        ports = ", ".join(str(p) for p in range(FIRST_PORT, FIRST_PORT + n))
        if self.probe == "none":
            health = "health-check { type = none }"
        else:
            health = ('health-check { type = http, path = "/?q=health", interval = %s, failure-threshold = %d, '
                      'timeout = %s }' % (self.interval, self.threshold, self.timeout))
        return """pool {
  admin { host = "127.0.0.1", port = %d }
  state-dir = "%s"
  children-die-with-manager = %s
  services.search {
    command = "%s {port}"
    ports = [%s]
    %s
    restart { min-backoff = 0, max-restarts = 1000000 }
    stop { timeout = 10s }
  }
}
""" % (ADMIN_PORT, state_dir, "true" if self.die_with_manager else "false", SAMPLE, ports, health)

    def settings(self):
        return self.config(2, "STATE_DIR").replace("%d, %d" % (FIRST_PORT, FIRST_PORT + 1), "FIRST_PORT .. FIRST_PORT+N-1")

    def start(self, n, **variant):
        d = self.fresh_dir()
        conf = os.path.join(d, "pool.conf")
        with open(conf, "w") as f:
            f.write(self.config(n, os.path.join(d, "state")))
        out = open(os.path.join(d, "procpool.out"), "w")
        p = subprocess.Popen([PROCPOOL, "run", "--config", conf], cwd=ROOT, env=procpool_env(self.jvm),
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        return Run(self, n, p.pid, p)


def procpool_env(extra_jvm=()):
    """bin/procpool's environment: its own flags (conf/jvm.options) and nothing else, plus `extra_jvm`."""
    env = dict(os.environ)
    env.pop("JAVA_OPTS", None)
    env.pop("PROCPOOL_JVM_OPTIONS", None)
    if extra_jvm:
        env["JAVA_OPTS"] = " ".join(extra_jvm)
    return env


class Supervisord(System):
    name = "supervisord"

    def home(self):
        return os.path.join(PEERS, "supervisor")

    def pythonpath(self):
        return os.path.join(self.home(), "usr", "lib", "python3", "dist-packages")

    def available(self):
        return os.path.isdir(os.path.join(self.pythonpath(), "supervisor"))

    def install(self):
        """Unpacks Debian's supervisor package into bench/.peers, so the system's own service is
        never installed, started or touched."""
        if self.available():
            return
        os.makedirs(PEERS, exist_ok=True)
        subprocess.run(["apt-get", "download", "supervisor"], cwd=PEERS, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deb = sorted(f for f in os.listdir(PEERS) if f.startswith("supervisor_") and f.endswith(".deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", os.path.join(PEERS, deb), self.home()], check=True)
        if subprocess.run(["/usr/bin/python3", "-c", "import pkg_resources"], capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "install", "-y", "-q", "python3-pkg-resources"], check=True,
                           stdout=subprocess.DEVNULL)

    def env(self):
        e = dict(os.environ)
        e["PYTHONPATH"] = self.pythonpath()
        return e

    def version(self):
        out = subprocess.run(["/usr/bin/python3", "-m", "supervisor.supervisord", "--version"], env=self.env(),
                             capture_output=True, text=True)
        py = subprocess.run(["/usr/bin/python3", "--version"], capture_output=True, text=True).stdout.strip()
        return "supervisord %s (Debian package supervisor, unpacked into bench/.peers) on %s" % (out.stdout.strip(), py)

    def config(self, n, d):
        lines = ["[supervisord]", "nodaemon = true", "logfile = %s/supervisord.log" % d,
                 "pidfile = %s/supervisord.pid" % d, "childlogdir = %s/logs" % d, "minfds = 8192", "minprocs = 2048",
                 "", "[unix_http_server]", "file = %s/supervisor.sock" % d, "",
                 "[rpcinterface:supervisor]",
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
                 "[supervisorctl]", "serverurl = unix://%s/supervisor.sock" % d, ""]
        for port in range(FIRST_PORT, FIRST_PORT + n):
            lines += ["[program:search-%d]" % port, "command = %s %d" % (SAMPLE, port),
                      "autostart = true", "autorestart = true", "startsecs = 0", "startretries = 1000000",
                      "stopsignal = TERM", "stopwaitsecs = 10", "redirect_stderr = true",
                      "stdout_logfile = %s/logs/search-%d.log" % (d, port), ""]
        return "\n".join(lines)

    def settings(self):
        return "\n".join(self.config(1, "WORKDIR").splitlines()).replace(str(FIRST_PORT), "PORT")

    def start(self, n, **variant):
        d = self.fresh_dir(logs=True)
        conf = os.path.join(d, "supervisord.conf")
        with open(conf, "w") as f:
            f.write(self.config(n, d))
        p = subprocess.Popen(["/usr/bin/python3", "-m", "supervisor.supervisord", "-c", conf], cwd=d, env=self.env(),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        return Run(self, n, p.pid, p)


class Pm2(System):
    name = "pm2"

    def prefix(self):
        return os.path.join(PEERS, "pm2")

    def bin(self):
        return os.path.join(self.prefix(), "node_modules", ".bin", "pm2")

    def available(self):
        return os.path.exists(self.bin())

    def install(self):
        if self.available():
            return
        os.makedirs(self.prefix(), exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", self.prefix(), "pm2@" + PM2_VERSION],
                       check=True, stdout=subprocess.DEVNULL)

    def home(self):
        return os.path.join(WORK, "pm2", "home")

    def env(self):
        e = dict(os.environ)
        e["PM2_HOME"] = self.home()
        e["PM2_DISABLE_VERSION_CHECK"] = "1"
        return e

    def version(self):
        out = subprocess.run([self.bin(), "--version"], env=self.env(), capture_output=True, text=True)
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        self.kill_daemon()
        return "PM2 %s (npm, own PM2_HOME) on Node.js %s" % (out.stdout.strip().splitlines()[-1], node)

    def ecosystem(self, n, d):
        apps = [{"name": "search-%d" % port, "script": SAMPLE, "args": [str(port)], "interpreter": "none",
                 "exec_mode": "fork", "autorestart": True, "restart_delay": 0, "max_restarts": 1000000,
                 "min_uptime": 0, "kill_timeout": 10000,
                 "out_file": "%s/logs/search-%d.log" % (d, port), "error_file": "%s/logs/search-%d.log" % (d, port)}
                for port in range(FIRST_PORT, FIRST_PORT + n)]
        return {"apps": apps}

    def settings(self):
        return json.dumps(self.ecosystem(1, "WORKDIR")["apps"][0]).replace(str(FIRST_PORT), "PORT")

    def pid_file(self):
        return os.path.join(self.home(), "pm2.pid")

    def daemon_pid(self):
        try:
            with open(self.pid_file()) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def kill_daemon(self):
        pid = self.daemon_pid()
        if pid and alive(pid):
            for c in descendants(pid):
                os.kill(c, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)

    def start(self, n, **variant):
        d = self.fresh_dir(logs=True)
        eco = os.path.join(d, "ecosystem.json")
        with open(eco, "w") as f:
            json.dump(self.ecosystem(n, d), f)
        # `pm2 start` launches the daemon and hands it the apps; the daemon is the supervisor.
        cli = subprocess.Popen([self.bin(), "start", eco], cwd=d, env=self.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        end = time.monotonic() + 30
        pid = None
        while time.monotonic() < end and pid is None:
            pid = self.daemon_pid()
            if pid is None or not alive(pid):
                pid = None
                time.sleep(0.005)
        run = Run(self, n, pid)
        run.cli = cli
        return run

    def extra_pids(self, run):
        cli = getattr(run, "cli", None)
        if cli is not None and cli.poll() is None:
            return [cli.pid]
        return []

    def cleanup(self, run):
        cli = getattr(run, "cli", None)
        if cli is not None:
            try:
                cli.wait(10)
            except subprocess.TimeoutExpired:
                cli.kill()


# ---------------------------------------------------------------- the scenarios

class Failed(Exception):
    pass


def start_and_wait(system, n, deadline_s=120):
    """Cold start: from launching the supervisor to every port accepting."""
    if not wait_ports_free(range(FIRST_PORT, FIRST_PORT + n)):
        raise Failed("ports %d.. still in use before %s starts" % (FIRST_PORT, system.name))
    t0 = time.monotonic()
    run = system.start(n)
    try:
        if run.manager is None:
            raise Failed("%s did not start" % system.name)
        took = wait_accepting(run.ports, deadline_s)
        if took is None:
            raise Failed("%s: not every port accepts after %d s" % (system.name, deadline_s))
        return run, time.monotonic() - t0
    except BaseException:
        run.teardown()
        raise


def wait_dead(pid, deadline_s):
    end = time.monotonic() + deadline_s
    while alive(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.0001)
    return True


def probe_floor(run, seconds, warmup_s=5):
    """bench/probe_floor.c over run's instances for `seconds` after `warmup_s`: the CPU of probing them
    every second over kept HTTP connections, as procpool probes them, with nothing of the JVM's."""
    out = subprocess.run([PROBE_FLOOR, str(FIRST_PORT), str(run.n), "1000", str(warmup_s), str(int(seconds))],
                         capture_output=True, text=True, check=True, timeout=warmup_s + seconds + 30).stdout
    return json.loads(out)


def settled_run(system, n, measure):
    """Starts n instances under system, lets them settle, measures, stops them (cleaning up whatever happens)."""
    run, _ = start_and_wait(system, n)
    try:
        time.sleep(SETTLE_S)
        measure(run)
        stop_all(run, child_pids(run))
    finally:
        run.teardown()


def crash_trial(run, port):
    """SIGKILL the instance on port; seconds until the port accepts again, on a new pid."""
    old = listeners([port]).get(port)
    if old is None:
        raise Failed("%s: nothing listens on %d" % (run.system.name, port))
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    # A zombie has closed its sockets: from here on, an accepted connection is a new process's.
    if not wait_dead(old, 5):
        raise Failed("pid %d survived SIGKILL" % old)
    end = t0 + 30
    while not accepts(port, 0.2):
        if time.monotonic() > end:
            raise Failed("%s: port %d not back within 30 s" % (run.system.name, port))
        time.sleep(0.0001)
    took = time.monotonic() - t0
    new = listeners([port]).get(port)
    if new is None or new == old:
        raise Failed("%s: port %d answered without a new pid (%s)" % (run.system.name, port, new))
    return took


def hang_trial(run, port):
    """SIGSTOP the instance on port; seconds until a new pid serves HTTP on it."""
    old = listeners([port]).get(port)
    if old is None:
        raise Failed("nothing listens on %d" % port)
    t0 = time.monotonic()
    os.kill(old, signal.SIGSTOP)
    try:
        if not wait_dead(old, 60):
            raise Failed("%s: a stopped instance was not replaced within 60 s" % run.system.name)
        end = t0 + 60
        while not serves(port, 0.5):
            if time.monotonic() > end:
                raise Failed("port %d does not serve again" % port)
            time.sleep(0.0005)
        return time.monotonic() - t0
    finally:
        if alive(old):
            os.kill(old, signal.SIGCONT)


def idle_cost(run, seconds, slices=6):
    """CPU seconds of the manager over `seconds` idle (and per slice), its RSS and threads at the end."""
    pid = run.manager
    first = proc_stat(pid)[2]
    per = []
    last = first
    for _ in range(slices):
        time.sleep(seconds / slices)
        now = proc_stat(pid)[2]
        per.append(now - last)
        last = now
    return {"cpu_s": last - first, "cpu_slices": per, "rss_mb": rss_mb(pid), "threads": threads_of(pid),
            "seconds": seconds}


def stop_all(run, children):
    """From SIGTERM to the manager: every port closed and every child gone; and the manager gone."""
    t0 = time.monotonic()
    os.kill(run.manager, signal.SIGTERM)
    pending = set(children)
    ports = list(run.ports)
    t_children = None
    t_manager = None
    end = t0 + 300
    while time.monotonic() < end and (t_children is None or t_manager is None):
        if t_children is None:
            pending = {p for p in pending if alive(p)}
            if not pending:
                ports = [p for p in ports if accepts(p, 0.05)]
                if not ports:
                    t_children = time.monotonic() - t0
        if t_manager is None and not run.manager_alive():
            t_manager = time.monotonic() - t0
        time.sleep(0.001)
    if t_children is None:
        raise Failed("%s: %d children still alive 300 s after SIGTERM" % (run.system.name, len(pending)))
    if t_manager is None:
        raise Failed("%s: the manager still runs 300 s after SIGTERM" % run.system.name)
    return t_children, t_manager


def child_pids(run):
    found = listeners(run.ports)
    if len(found) != run.n:
        raise Failed("%s: %d of %d ports have a listener" % (run.system.name, len(found), run.n))
    return list(found.values())


# ---------------------------------------------------------------- procpool's own: the start, poolctl, where it goes



def until_ready(command, env, port, path, rss_after=None):
    """From launching `command` to GET path on 127.0.0.1:port answering 200, in seconds; with
    `rss_after`, also its RSS in MB that many seconds later. Then SIGTERM and a wait for its exit."""
    if not wait_ports_free([port]):
        raise Failed("port %d in use" % port)
    t0 = time.monotonic()
    p = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while http_status(port, path) != 200:
            if p.poll() is not None or time.monotonic() - t0 > 60:
                raise Failed("%s did not answer on %d within 60 s (exit %s)" % (command[0], port, p.poll()))
            time.sleep(0.002)
        took = time.monotonic() - t0
        rss = None
        if rss_after is not None:
            time.sleep(rss_after)
            rss = rss_mb(p.pid)
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        return took, rss
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def admin_ready(command, env, rss_after=None):
    """From launching `command` (a pool with no services) to its admin API answering GET /healthz
    with 200 (and, with `rss_after`, its RSS that many seconds later)."""
    d = os.path.join(WORK, "admin-ready")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    conf = os.path.join(d, "pool.conf")
    with open(conf, "w") as f:
        f.write('procpool {\n  admin { host = "127.0.0.1", port = %d }\n  state-dir = "%s"\n  services {}\n}\n'
                % (ADMIN_PORT, os.path.join(d, "state")))
    took, rss = until_ready(command + ["run", "--config", conf], env, ADMIN_PORT, "/healthz", rss_after)
    return took if rss_after is None else (took, rss)


class StackFloor:
    """bench/StackFloor.java: the least a program on procpool's stack (the JVM, Pekko Typed, Pekko
    HTTP) does before an HTTP API answers, run with conf/jvm.options and a class-data archive of
    its own, recorded as `bin/procpool cds` records procpool's (a run's class list, then
    -Xshare:dump). What procpool's own start and weight add is above it."""

    def __init__(self):
        self.dir = os.path.join(WORK, "stack-floor")
        self.jar = os.path.join(self.dir, "stack-floor.jar")
        self.archive = os.path.join(self.dir, "stack-floor.jsa")
        self.classpath = JAR + ":" + self.jar

    def build(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        classes = os.path.join(self.dir, "classes")
        os.makedirs(classes)
        subprocess.run(["javac", "-cp", JAR, "-d", classes, os.path.join(ROOT, "bench", "StackFloor.java")],
                       check=True, capture_output=True)
        # A jar, not the folder: JDK 17 archives no classes from a directory on the class path.
        subprocess.run(["jar", "cf", self.jar, "-C", classes, "."], check=True, capture_output=True)
        listed = os.path.join(self.dir, "classes.list")
        until_ready(["java"] + JAVA_OPTS + ["-Xshare:off", "-XX:DumpLoadedClassList=" + listed, "-cp", self.classpath,
                                            "StackFloor", str(ADMIN_PORT)], None, ADMIN_PORT, "/healthz")
        subprocess.run(["java", "-Xshare:dump", "-XX:SharedClassListFile=" + listed, "-XX:SharedArchiveFile=" + self.archive,
                        "-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-cp", self.classpath], check=True, capture_output=True)

    def command(self):
        # The archive flags bin/procpool gives procpool's archive.
        return (["java"] + JAVA_OPTS + ["-XX:SharedArchiveFile=" + self.archive, "-Xshare:on",
                                        "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
                                        "-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-cp", self.classpath,
                                        "StackFloor", str(ADMIN_PORT)])

    def ready(self, rss_after=None):
        took, rss = until_ready(self.command(), None, ADMIN_PORT, "/healthz", rss_after)
        return took if rss_after is None else (took, rss)


def poolctl_calls(trials):
    """Wall time of `bin/poolctl status` against the running pool, each call to its exit."""
    times = []
    for _ in range(trials):
        t0 = time.monotonic()
        r = subprocess.run([POOLCTL, "--admin", "127.0.0.1:%d" % ADMIN_PORT, "status"], cwd=ROOT, env=procpool_env(),
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        if r.returncode != 0 or "search" not in r.stdout:
            raise Failed("poolctl status failed (%d): %s" % (r.returncode, r.stderr.strip()[:200]))
        times.append(took)
    return times


def log_times(path, since_wall):
    """procpool's log lines (text format) as (seconds after since_wall, message)."""
    import datetime
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                t = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
            except ValueError:
                continue
            out.append((t - since_wall, line[24:].strip()))
    return out


def timeline(n):
    """One cold start of n instances with the JVM's class loading logged: when each phase began, from
    the class-load log (JVM uptime) and procpool's own log (wall clock, from the launch)."""
    cl = os.path.join(WORK, "classload.log")
    if os.path.exists(cl):
        os.remove(cl)
    system = Procpool("procpool-timeline", jvm=["-Xlog:class+load:file=%s:uptime" % cl])
    if not wait_ports_free(range(FIRST_PORT, FIRST_PORT + n)):
        raise Failed("ports %d.. still in use before the timeline run" % FIRST_PORT)
    wall = time.time()  # start_and_wait's own check of the ports is then one quick pass
    run, cold = start_and_wait(system, n)
    try:
        end = time.monotonic() + 10
        out = os.path.join(WORK, system.name, "procpool.out")
        while time.monotonic() < end and not any("-> HEALTHY" in m for _, m in log_times(out, wall)):
            time.sleep(0.05)
        stop_all(run, child_pids(run))
    finally:
        run.teardown()
    first, count, shared, last = {}, 0, 0, 0.0
    marks = [("jvm", " io.procpool.cli.Main "), ("logging", " ch.qos.logback."), ("config", " com.typesafe.config."),
             ("native", " com.sun.jna."), ("actors", " org.apache.pekko.actor.ActorSystemImpl "),
             ("http", " org.apache.pekko.http."), ("metrics", " io.prometheus.")]
    with open(cl, errors="replace") as f:
        for line in f:
            if not line.startswith("["):
                continue
            up = float(line[1:line.index("s]")])
            count += 1
            shared += "shared objects file" in line
            last = up
            for key, needle in marks:
                if key not in first and needle in line:
                    first[key] = up
    logs = log_times(os.path.join(WORK, system.name, "procpool.out"), wall)
    starts = [t for t, m in logs if "started; probing" in m or ("STARTING pid=" in m and "started" in m)]
    phases = {"class_first": first, "classes": count, "classes_shared": shared, "class_last": last,
              "pools_started": next((t for t, m in logs if "PoolSupervisor started" in m), None),
              "first_spawn": min(starts) if starts else None, "last_spawn": max(starts[:n]) if starts else None,
              "first_healthy": next((t for t, m in logs if "-> HEALTHY" in m), None),
              "admin_bound": next((t for t, m in logs if "admin API on" in m), None),
              "all_accepting": cold, "n": n}
    return phases


def smaps(pid):
    """RSS by mapping, in kB: the anonymous memory, the two class-data archives, libjvm and the rest."""
    groups = {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                path = parts[5] if len(parts) > 5 else ""
                name = ("procpool.jsa (procpool's class-data archive)" if path.endswith("procpool.jsa") else
                        "classes.jsa (the JDK's class-data archive)" if path.endswith("classes.jsa") else
                        "libjvm.so" if path.endswith("libjvm.so") else
                        "anonymous (heap, metaspace, code, stacks, malloc)" if not path or path.startswith("[") else
                        "other files (libraries, the jar)")
            elif parts[0] == "Rss:":
                groups[name] = groups.get(name, 0) + int(parts[1])
    return groups


def memory_breakdown(n):
    """A settled pool of n under Native Memory Tracking: what the JVM committed per area, RSS by
    mapping, and the heap live after a full collection."""
    system = Procpool("procpool-nmt", jvm=["-XX:NativeMemoryTracking=summary"])
    run, _ = start_and_wait(system, n)
    try:
        time.sleep(SETTLE_S * 2)
        pid = run.manager
        summary = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True).stdout
        areas = {}
        for line in summary.splitlines():
            line = line.strip()
            if line.startswith("-") and "committed=" in line:
                area = line[1:line.index("(")].strip()
                areas[area] = int(line.split("committed=")[1].split("KB")[0])
        rss_by = smaps(pid)
        rss = rss_mb(pid)
        threads = threads_of(pid)
        subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True)
        heap = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True).stdout
        # "def new generation total 7424K, used 1188K [...": the young and the old generation.
        used = [int(line.split("used ")[1].split("K")[0]) for line in heap.splitlines()
                if "total" in line and "used " in line]
        stop_all(run, child_pids(run))
    finally:
        run.teardown()
    return {"n": n, "nmt_committed_kb": areas, "rss_by_mapping_kb": rss_by, "rss_mb": rss, "threads": threads,
            "heap_used_after_gc_kb": sum(used)}


# ---------------------------------------------------------------- the run

def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except FileNotFoundError:
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "kernel": platform.release(),
            "os": platform.platform(terse=True)}


def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(xs):
    if not xs:
        return None
    return {"n": len(xs), "p50": statistics.median(xs), "p95": percentile(xs, 0.95), "min": min(xs),
            "max": max(xs), "all": xs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of cold start, crash and stop")
    ap.add_argument("--trials", type=int, default=30, help="crash trials per system in all (N = 50)")
    ap.add_argument("--hang-trials", type=int, default=6, help="hang trials of procpool in all")
    ap.add_argument("--idle", type=float, default=60, help="seconds of the idle measurement")
    ap.add_argument("--sizes", default="50,500")
    ap.add_argument("--curve", default="2000,5000", help="larger N for the cost curve, one run each ('' for none)")
    ap.add_argument("--curve-idle", type=float, default=20, help="seconds of the idle measurement at the curve's N")
    ap.add_argument("--ctl-trials", type=int, default=5, help="poolctl status calls per round")
    ap.add_argument("--only", default="", help="comma-separated systems to run")
    ap.add_argument("--out", default=os.path.join(WORK, "results.json"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    curve = [int(s) for s in args.curve.split(",") if s]
    # Thousands of children and their pipes and log files: the open-files limit as high as allowed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    os.makedirs(WORK, exist_ok=True)
    if not os.path.exists(SAMPLE) or not os.path.exists(JAR):
        sys.exit("build first: make build (needs %s and %s)" % (os.path.relpath(SAMPLE, ROOT), os.path.relpath(JAR, ROOT)))
    subprocess.run(["gcc", "-O2", "-Wall", "-o", FLOOR, os.path.join(ROOT, "bench", "floor.c")], check=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-o", PROBE_FLOOR, os.path.join(ROOT, "bench", "probe_floor.c")], check=True)

    procpool = Procpool()
    systems = [Floor(), procpool, Supervisord(), Pm2()]
    quiet = Procpool("procpool-noprobe", probe="none")
    hang = Procpool("procpool-hang", probe="http", interval="500ms", threshold=3, timeout="400ms")
    # Every procpool above runs with the defaults (children-die-with-manager = true: procpool-pdeathsig,
    # one more exec per start, in front of each command); this one without it, for the crash row.
    nodeath = Procpool("procpool-nodeath", die_with_manager=False)
    if args.only:
        keep = set(args.only.split(","))
        systems = [s for s in systems if s.name in keep]
    for s in systems:
        if hasattr(s, "install"):
            log("installing %s if missing ..." % s.name)
            s.install()

    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
               "args": vars(args), "systems": {}, "settings": {}, "java_opts": JAVA_OPTS, "settle_s": SETTLE_S,
               "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}
    extras = [quiet, hang, nodeath] if procpool in systems else []
    for s in systems + extras:
        results["systems"][s.name] = {"version": s.version()}
        # Paths relative to the checkout: the report is published.
        results["settings"][s.name] = s.settings().replace(ROOT + "/", "")
    data = {s.name: {"cold": {n: [] for n in sizes}, "stop_children": {n: [] for n in sizes},
                     "stop_manager": {n: [] for n in sizes}, "crash": [], "hang": [], "idle": {}, "curve": {}}
            for s in systems + [quiet, hang, nodeath]}
    own = {"poolctl": [], "admin_ready": {"bin/procpool": [], "java -jar": [], "stack floor": []}, "idle_rss": {},
           "probe_floor": {}}
    floor_of_stack = StackFloor()
    if procpool in systems:
        log("the stack's floor (bench/StackFloor.java): compiled, its class-data archive recorded")
        floor_of_stack.build()

    per_round = max(1, args.trials // args.rounds)
    hang_per_round = max(1, args.hang_trials // args.rounds)
    crash_n = 50 if 50 in sizes else sizes[0]
    try:
        for r in range(args.rounds):
            order = systems[r % len(systems):] + systems[:r % len(systems)]
            for s in order:
                for n in sizes:
                    log("round %d: %s, N = %d" % (r + 1, s.name, n))
                    run, cold = start_and_wait(s, n)
                    try:
                        data[s.name]["cold"][n].append(cold)
                        log("  cold start %.3f s" % cold)
                        time.sleep(SETTLE_S)
                        if n == crash_n:
                            ports = run.ports
                            for t in range(per_round):
                                # a different instance each time, so no restart budget comes into play
                                port = ports[(r * per_round + t) * 7 % len(ports)]
                                took = crash_trial(run, port)
                                data[s.name]["crash"].append(took)
                                # let the new instance settle (and supervisord finish its bookkeeping)
                                time.sleep(0.3)
                            log("  crash to serving p50 %.1f ms" % (1000 * statistics.median(data[s.name]["crash"])))
                        if n == crash_n and s is procpool and args.ctl_trials > 0:
                            own["poolctl"] += poolctl_calls(args.ctl_trials)
                            log("  poolctl status p50 %.3f s" % statistics.median(own["poolctl"]))
                        if r == 0 and args.idle > 0:
                            data[s.name]["idle"][n] = idle_cost(run, args.idle)
                            log("  idle: %.3f CPU s over %d s, RSS %.1f MB" % (
                                data[s.name]["idle"][n]["cpu_s"], args.idle, data[s.name]["idle"][n]["rss_mb"]))
                        children = child_pids(run)
                        tc, tm = stop_all(run, children)
                        data[s.name]["stop_children"][n].append(tc)
                        data[s.name]["stop_manager"][n].append(tm)
                        log("  stop: children gone %.3f s, manager gone %.3f s" % (tc, tm))
                    finally:
                        run.teardown()
            if procpool in systems:
                # procpool's own extras: probes off (idle cost), and hangs caught by probes.
                if r == 0 and args.idle > 0:
                    for n in sizes:
                        log("round %d: %s, N = %d" % (r + 1, quiet.name, n))

                        def idle(run, n=n):
                            data[quiet.name]["idle"][n] = idle_cost(run, args.idle)
                            log("  idle: %.3f CPU s, RSS %.1f MB" % (data[quiet.name]["idle"][n]["cpu_s"],
                                                                    data[quiet.name]["idle"][n]["rss_mb"]))
                            # Probing's floor, over the same children, which nothing else probes now.
                            own["probe_floor"][n] = probe_floor(run, args.idle)
                            log("  probing's floor (bench/probe_floor.c): %.3f CPU s over %d s, %d probes, %d failed" % (
                                own["probe_floor"][n]["cpu_s"], args.idle, own["probe_floor"][n]["probes"],
                                own["probe_floor"][n]["failed"]))

                        settled_run(quiet, n, idle)
                def crashes(run):
                    for t in range(per_round):
                        data[nodeath.name]["crash"].append(crash_trial(run, run.ports[(r * per_round + t) * 7 % len(run.ports)]))
                        time.sleep(0.3)
                    log("  crash to serving p50 %.1f ms" % (1000 * statistics.median(data[nodeath.name]["crash"])))

                def hangs(run):
                    for t in range(hang_per_round):
                        port = run.ports[(r * hang_per_round + t) * 11 % len(run.ports)]
                        data[hang.name]["hang"].append(hang_trial(run, port))
                        time.sleep(0.5)
                    log("  hang to serving p50 %.0f ms" % (1000 * statistics.median(data[hang.name]["hang"])))

                log("round %d: %s, N = %d" % (r + 1, nodeath.name, crash_n))
                settled_run(nodeath, crash_n, crashes)
                log("round %d: %s, N = %d" % (r + 1, hang.name, crash_n))
                settled_run(hang, crash_n, hangs)
                # Launch to the admin API answering, no children: as bin/procpool starts it, and as a
                # bare `java -jar` (no flags, no class-data archive).
                for _ in range(2):
                    own["admin_ready"]["bin/procpool"].append(admin_ready([PROCPOOL], procpool_env()))
                own["admin_ready"]["java -jar"].append(admin_ready(["java", "-jar", JAR], procpool_env()))
                for _ in range(2):
                    own["admin_ready"]["stack floor"].append(floor_of_stack.ready())
                log("  admin API answering: bin/procpool p50 %.3f s, java -jar p50 %.3f s, the stack's floor p50 %.3f s" % (
                    statistics.median(own["admin_ready"]["bin/procpool"]), statistics.median(own["admin_ready"]["java -jar"]),
                    statistics.median(own["admin_ready"]["stack floor"])))
                if r == 0:
                    # Weight with nothing to supervise: procpool's own against the stack's.
                    own["idle_rss"]["after_s"] = SETTLE_S
                    own["idle_rss"]["bin/procpool"] = admin_ready([PROCPOOL], procpool_env(), rss_after=SETTLE_S)[1]
                    own["idle_rss"]["stack floor"] = floor_of_stack.ready(rss_after=SETTLE_S)[1]
                    log("  RSS with no children, %d s after the API answered: procpool %.1f MB, the stack's floor %.1f MB" % (
                        SETTLE_S, own["idle_rss"]["bin/procpool"], own["idle_rss"]["stack floor"]))
        if procpool in systems:
            log("startup timeline, N = %d" % crash_n)
            own["timeline"] = timeline(crash_n)
            big = max(sizes)
            log("memory breakdown, N = %d" % big)
            own["memory"] = memory_breakdown(big)
        # The cost curve: one run per system at each larger N; a system that cannot is recorded so.
        for n in curve:
            for s in systems + ([quiet] if procpool in systems else []):
                log("cost curve: %s, N = %d" % (s.name, n))
                try:
                    run, cold = start_and_wait(s, n, deadline_s=900)
                except Failed as e:
                    data[s.name]["curve"][n] = {"failed": str(e)}
                    log("  failed: %s" % e)
                    continue
                try:
                    point = {"cold": cold}
                    log("  cold start %.2f s" % cold)
                    time.sleep(SETTLE_S * 2)
                    point["idle"] = idle_cost(run, args.curve_idle)
                    log("  idle: %.3f CPU s over %d s, RSS %.1f MB" % (point["idle"]["cpu_s"], args.curve_idle,
                                                                     point["idle"]["rss_mb"]))
                    tc, tm = stop_all(run, child_pids(run))
                    point["stop_children"], point["stop_manager"] = tc, tm
                    log("  stop: children gone %.2f s, manager gone %.2f s" % (tc, tm))
                    data[s.name]["curve"][n] = point
                except Failed as e:
                    data[s.name]["curve"][n] = {"failed": str(e), "cold": cold}
                    log("  failed: %s" % e)
                finally:
                    run.teardown()
    finally:
        for s in systems:
            if isinstance(s, Pm2):
                s.kill_daemon()

    out = {}
    for name, d in data.items():
        out[name] = {
            "cold": {str(n): summary(v) for n, v in d["cold"].items() if v},
            "stop_children": {str(n): summary(v) for n, v in d["stop_children"].items() if v},
            "stop_manager": {str(n): summary(v) for n, v in d["stop_manager"].items() if v},
            "crash": summary(d["crash"]), "hang": summary(d["hang"]),
            "idle": {str(n): v for n, v in d["idle"].items()},
            "curve": {str(n): v for n, v in d["curve"].items()},
        }
    results["results"] = out
    results["procpool"] = {"poolctl": summary(own["poolctl"]),
                           "admin_ready": {k: summary(v) for k, v in own["admin_ready"].items()},
                           "idle_rss": own["idle_rss"], "probe_floor": {str(k): v for k, v in own["probe_floor"].items()},
                           "timeline": own.get("timeline"), "memory": own.get("memory")}
    results["args"]["out"] = os.path.relpath(args.out, ROOT)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    log("results: %s" % os.path.relpath(args.out, ROOT))


if __name__ == "__main__":
    main()
