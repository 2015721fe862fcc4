#!/usr/bin/env python3
"""What children's logging costs procpool: CPU of the manager while its children write.

    python3 bench/log_cost.py [--children 4] [--lines 1000] [--seconds 10] [--settle 5] [--timestamps]

Starts procpool (the JVM flags of `make run`) with CHILDREN instances of a program that writes
LINES lines of 80 characters a second to its stdout (which procpool opens on its log file),
lets it settle (SETTLE s), reads the manager's CPU time (/proc/PID/stat) over SECONDS, stops it,
and prints the figure beside the same pool whose children write nothing. Children write their
files themselves; what procpool spends is its log rotation's notice of the writes. With
--timestamps the pool sets `log.timestamps = true`: the children write into pipes that procpool
reads, and procpool writes every line, prefixed with its time, to the files.
Needs `make build`. Ports 23101 and up, admin 23199, everything under a temporary directory.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from proctools import ROOT, JAR, cds_opts, java_opts, stat_fields  # noqa: E402

WRITER = ("import sys, time\n"
          "n = int(sys.argv[1])\n"
          "while True:\n"
          "    for _ in range(n // 100):\n"
          "        sys.stdout.write('x' * 79 + '\\n')\n"
          "        sys.stdout.flush()\n"
          "    time.sleep(0.01)\n")


def cpu_seconds(pid):
    f = stat_fields(pid)
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def measure(children, lines, seconds, timestamps=False, settle=5):
    d = tempfile.mkdtemp(prefix="procpool-logcost-")
    ports = ", ".join(str(23101 + i) for i in range(children))
    conf = os.path.join(d, "pool.conf")
    with open(conf, "w") as f:
        f.write('pool {\n  admin { host = "127.0.0.1", port = 23199 }\n  state-dir = "%s"\n'
                '  services.writer {\n    command = ["python3", "-c", %s, "%d"]\n    ports = [%s]\n'
                '    health-check { type = none }\n    log.timestamps = %s\n  }\n}\n'
                % (os.path.join(d, "state"), json_string(WRITER), lines, ports, "true" if timestamps else "false"))
    p = subprocess.Popen(["java"] + java_opts() + cds_opts() + ["-jar", JAR, "run", "--config", conf], cwd=ROOT,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        time.sleep(settle)
        a = cpu_seconds(p.pid)
        time.sleep(seconds)
        b = cpu_seconds(p.pid)
        logs = os.path.join(d, "state", "logs")
        written = sum(os.path.getsize(os.path.join(logs, n)) for n in os.listdir(logs))
        return b - a, written
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


def json_string(s):
    import json
    return json.dumps(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--children", type=int, default=4)
    ap.add_argument("--lines", type=int, default=1000, help="lines per second per child")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--settle", type=float, default=5, help="seconds before measuring (the JVM's start and JIT)")
    ap.add_argument("--timestamps", action="store_true", help="log.timestamps = true: output through procpool")
    args = ap.parse_args()
    if not os.path.exists(JAR):
        sys.exit("build first: make build")
    quiet, _ = measure(args.children, 0, args.seconds, args.timestamps, args.settle)
    busy, written = measure(args.children, args.lines, args.seconds, args.timestamps, args.settle)
    print("procpool CPU over %.0f s, %d children%s: %.3f s writing nothing; %.3f s writing %d lines/s each "
          "(%.1f %% of a core; %.1f MB written to the logs)"
          % (args.seconds, args.children, " with timestamps" if args.timestamps else "", quiet, busy, args.lines,
             100 * busy / args.seconds, written / 1e6))


if __name__ == "__main__":
    main()
