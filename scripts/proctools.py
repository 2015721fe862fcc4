"""What the repository's scripts (smoke test, acceptance, benchmarks, chaos) read about processes
and ports from outside, and how they start procpool's JVM: one copy for all of them."""

import os
import shutil
import socket
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "target", "procpool.jar")
# The flags of `make run` (the Makefile passes them as JAVA_OPTS); read here when a script runs alone.
JVM_OPTIONS = os.path.join(ROOT, "conf", "jvm.options")


def java_opts():
    """The JVM flags procpool runs with: $JAVA_OPTS, else those of conf/jvm.options."""
    if "JAVA_OPTS" in os.environ:
        return os.environ["JAVA_OPTS"].split()
    with open(JVM_OPTIONS) as f:
        return [flag for line in f for flag in line.split("#", 1)[0].split()]


def cds_opts():
    """The class-data archive beside the jar, with the flags bin/procpool gives it, when it matches
    the jar and the JDK as bin/procpool checks (its .stamp); nothing otherwise."""
    cds = os.path.join(ROOT, "target", "procpool.jsa")
    java = os.path.realpath(shutil.which("java") or "java")
    try:
        jar = os.stat(JAR)
        modules = os.stat(os.path.join(os.path.dirname(os.path.dirname(java)), "lib", "modules"))
        with open(cds + ".stamp") as f:
            stamp = f.read().strip()
    except OSError:
        return []
    if stamp != "%d %d %s %d" % (jar.st_size, int(jar.st_mtime), java, int(modules.st_mtime)) or not os.path.exists(cds):
        return []
    return ["-XX:SharedArchiveFile=" + cds, "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
            "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state first), or None when pid is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()


def alive(pid):
    """True while pid runs (a zombie has ended: it only waits to be reaped)."""
    st = stat_fields(pid)
    return st is not None and st[0] not in ("Z", "X")


def status_field(pid, name):
    """A field of /proc/PID/status as text (such as VmRSS or Threads), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def descendants(root):
    """Every live process below root (by parent links), found in one pass over /proc."""
    children = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            st = stat_fields(int(p))
            if st is not None:
                children.setdefault(int(st[1]), []).append(int(p))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def accepts(port, timeout=0.2):
    """True when a TCP connection to 127.0.0.1:port is accepted."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(deadline_s, probe, interval=0.05):
    """probe() every interval until it gives a true value (returned) or deadline_s passes (None)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = probe()
        if v:
            return v
        time.sleep(interval)
    return None
