#!/usr/bin/env python3
"""make run-cluster: three procpool nodes of the default pool on this machine, one terminal.

Starts `java -jar target/procpool.jar run --config conf/cluster/node-N.conf` for N = 1..3, one
after the other, and prints their logs with a [node-N] prefix. Ctrl-C (or SIGTERM) stops the
three by their pids, each gracefully, and waits for them; a second Ctrl-C kills them.

Try, in another terminal: curl 127.0.0.1:9901/status (or 9902, 9903); kill -9 one node's JVM
(its pid is printed at the start) and watch its instances start on the other two.
"""
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctools import JAR, ROOT, cds_opts, java_opts  # noqa: E402

NODES = 3


def pump(name, stream):
    for line in iter(stream.readline, b""):
        sys.stdout.write("[%s] %s" % (name, line.decode("utf-8", "replace")))
        sys.stdout.flush()


def main():
    if not os.path.exists(JAR):
        sys.exit("run-cluster: %s is missing: run make build first" % JAR)
    nodes = []
    for n in range(1, NODES + 1):
        conf = os.path.join("conf", "cluster", "node-%d.conf" % n)
        p = subprocess.Popen(["java"] + java_opts() + cds_opts() + ["-jar", JAR, "run", "--config", conf], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        print("[run-cluster] node-%d: pid %d, admin http://127.0.0.1:990%d/status, gateway http://127.0.0.1:818%d/"
              % (n, p.pid, n, n), flush=True)
        threading.Thread(target=pump, args=("node-%d" % n, p.stdout), daemon=True).start()
        nodes.append(p)
    stops = [0]

    def stop(signum, frame):
        stops[0] += 1
        sig = signal.SIGTERM if stops[0] == 1 else signal.SIGKILL
        print("[run-cluster] %s to the nodes" % ("stopping (again to kill)" if sig == signal.SIGTERM else "killing"), flush=True)
        for p in nodes:
            if p.poll() is None:
                p.send_signal(sig)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    codes = [p.wait() for p in nodes]
    print("[run-cluster] exit codes: %s" % ", ".join(map(str, codes)), flush=True)
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
