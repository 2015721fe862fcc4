#!/usr/bin/env python3
"""procpool's gateway beside nginx and HAProxy, over the same 4 instances of the C search sample.

    python3 bench/gateway.py [--rounds 3] [--duration 10] [--connections 32]

One procpool runs the 4 instances with its gateway on, and writes the nginx and HAProxy feeds
(pool.feeds) that the two proxies load; each proxy is set up as its users would set it up for
speed: connections to the instances kept alive, and as many workers (nginx) or threads (HAProxy)
as the gateway may use cores. wrk runs against each in interleaved rounds (the order rotated each
round): requests/s, latency p50/p99/max, and the proxy's CPU time and RSS over the run. A fourth
row, the floor: bench/PekkoFloor.java, the least a proxy on Pekko HTTP does (singleRequest to the
instances in turn, nothing else) in a JVM with the gateway's flags, so that the report says how
much of the gap to nginx is the gateway's own code and how much Pekko HTTP's.

Then a failure table: wrk through each proxy while one instance is SIGKILLed, the service is
rolled, a reload rolls it, and it is scaled down; every non-2xx answer and socket error counts.

Results: bench/.work/gateway/results.json, and the "Gateway" section of docs/benchmarks.md with
its charts (docs/bench/gateway-*.png). Only processes this script starts are signalled, by pid;
everything is torn down in a finally block.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from proctools import ROOT, JAR, accepts, cds_opts, descendants, java_opts, stat_fields, status_field  # noqa: E402

WORK = os.path.join(ROOT, "bench", ".work", "gateway")
SAMPLE = os.path.join(ROOT, "build", "search.cgi")
PORTS = [23100, 23101, 23102, 23103]
GATEWAY, NGINX, HAPROXY, ADMIN, FLOOR = 23180, 23181, 23182, 23190, 23183
CORES = os.cpu_count() or 2
PROXIES = ["gateway", "nginx", "haproxy"]
# Measured for throughput only: the floor has no feeds and no events.
MEASURED = PROXIES + ["floor"]
URLS = {"gateway": "http://127.0.0.1:%d/search/?q=bench" % GATEWAY,
        "nginx": "http://127.0.0.1:%d/?q=bench" % NGINX,
        "haproxy": "http://127.0.0.1:%d/?q=bench" % HAPROXY,
        "floor": "http://127.0.0.1:%d/?q=bench" % FLOOR}
BEGIN, END = "<!-- bench-gateway: begin -->", "<!-- bench-gateway: end -->"


def log(msg):
    print(msg, flush=True)


def admin(method, path, timeout=120):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (ADMIN, path), method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def instances():
    return admin("GET", "/status")["services"]["search"]["instances"]


def wait_healthy(n, deadline_s=60):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            if sum(1 for i in instances() if i["state"] == "HEALTHY") == n:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("not %d HEALTHY instances within %d s" % (n, deadline_s))


def wait_feed(path, n, deadline_s=30):
    """Until the feed file lists n ready instances."""
    end = time.time() + deadline_s
    while time.time() < end:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if sum(1 for p in PORTS if "127.0.0.1:%d" % p in text) == n and " down;" not in text:
                return
        time.sleep(0.1)
    raise RuntimeError("the feed %s does not list %d instances within %d s" % (path, n, deadline_s))


def tree(root):
    """root and every live process below it (a proxy's master and workers)."""
    return [root] + descendants(root)


def cpu_s(root):
    total = 0
    for pid in tree(root):
        try:
            f = stat_fields(pid)
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError, TypeError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(root):
    total = 0
    for pid in tree(root):
        v = status_field(pid, "VmRSS")
        total += int(v.split()[0]) if v else 0
    return total / 1024


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "--latency", url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    return parse_wrk(out)


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]


def parse_wrk(out):
    r = {"raw": out}
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    r["max_ms"] = to_ms(m.group(3)) if m else None
    for q in ("50", "99"):
        m = re.search(r"\s%s%%\s+(\S+)" % q, out)
        r["p%s_ms" % q] = to_ms(m.group(1)) if m else None
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    r["failed"] = r["socket_errors"] + r["non2xx"]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_detail"] = "connect %s, read %s, write %s, timeout %s" % m.groups() if m else ""
    return r


class Setup:
    """procpool with the gateway and the two feeds, nginx and HAProxy; torn down by pid."""

    def __init__(self):
        self.procs = {}
        self.reloads = 0

    def pool_conf(self, env_mark):
        return """pool {
  admin { port = %(admin)d }
  state-dir = "%(work)s/state"
  gateway { enabled = true, port = %(gw)d }
  feeds {
    nginx { file = "%(work)s/upstreams.conf", keepalive = 32,
            reload-command = "%(nginx)s -p %(work)s -e %(work)s/nginx-error.log -c %(work)s/nginx.conf -s reload" }
    haproxy { file = "%(work)s/haproxy-backends.cfg", reload-command = "sh %(work)s/haproxy-reload.sh" }
  }
  services.search {
    command = "%(sample)s"
    min-processes = 1
    ports = [%(ports)s]
    health-check { path = "/?q=health", interval = 1s }
    env { BENCH_MARK = "%(mark)s" }
    # covers an nginx or HAProxy reload: they stop sending before the instance stops
    drain.delay = 1s
  }
}
""" % {"admin": ADMIN, "work": WORK, "gw": GATEWAY, "nginx": shutil.which("nginx") or "/usr/sbin/nginx",
       "sample": SAMPLE, "ports": ", ".join(str(p) for p in PORTS), "mark": env_mark}

    def start(self):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(os.path.join(WORK, "tmp"))
        with open(os.path.join(WORK, "pool.conf"), "w") as f:
            f.write(self.pool_conf("0"))
        with open(os.path.join(WORK, "haproxy-reload.sh"), "w") as f:
            f.write("kill -USR2 \"$(cat '%s/haproxy.pid')\"\n" % WORK)
        with open(os.path.join(WORK, "nginx.conf"), "w") as f:
            f.write("""daemon off;
worker_processes %(cores)d;
pid %(work)s/nginx.pid;
error_log %(work)s/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(work)s/tmp/body;
  proxy_temp_path %(work)s/tmp/proxy;
  fastcgi_temp_path %(work)s/tmp/fastcgi;
  uwsgi_temp_path %(work)s/tmp/uwsgi;
  scgi_temp_path %(work)s/tmp/scgi;
  include %(work)s/upstreams.conf;
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      proxy_pass http://search;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
""" % {"cores": CORES, "work": WORK, "port": NGINX})
        with open(os.path.join(WORK, "haproxy.cfg"), "w") as f:
            f.write("""global
  nbthread %(cores)d
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend search_in
  bind 127.0.0.1:%(port)d
  default_backend search
""" % {"cores": CORES, "port": HAPROXY})
        cmd = ["java"] + java_opts() + cds_opts() + ["-jar", JAR, "run", "--config", os.path.join(WORK, "pool.conf")]
        self.procs["gateway"] = subprocess.Popen(cmd, cwd=ROOT, stdout=open(os.path.join(WORK, "procpool.log"), "w"),
                                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # min-processes = 1 starts one instance (and lets the scale-down row go to 3): scale to 4.
        wait_healthy(1)
        admin("POST", "/services/search/scale?instances=4")
        wait_healthy(4)
        wait_feed(os.path.join(WORK, "upstreams.conf"), 4)
        wait_feed(os.path.join(WORK, "haproxy-backends.cfg"), 4)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.procs["nginx"] = subprocess.Popen(
            [nginx, "-p", WORK, "-e", os.path.join(WORK, "nginx-error.log"), "-c", os.path.join(WORK, "nginx.conf")],
            stdout=open(os.path.join(WORK, "nginx.out"), "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.procs["haproxy"] = subprocess.Popen(
            [haproxy, "-W", "-f", os.path.join(WORK, "haproxy.cfg"), "-f", os.path.join(WORK, "haproxy-backends.cfg"),
             "-p", os.path.join(WORK, "haproxy.pid")],
            stdout=open(os.path.join(WORK, "haproxy.out"), "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs["floor"] = subprocess.Popen(
            ["java"] + java_opts() + ["-cp", JAR, os.path.join(ROOT, "bench", "PekkoFloor.java"), str(FLOOR)]
            + [str(p) for p in PORTS],
            stdout=open(os.path.join(WORK, "floor.out"), "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for name, port in (("gateway", GATEWAY), ("nginx", NGINX), ("haproxy", HAPROXY), ("floor", FLOOR)):
            end = time.time() + 20
            while not accepts(port):
                if time.time() > end:
                    raise RuntimeError("%s does not accept on %d" % (name, port))
                time.sleep(0.1)
        # one warm-up run each: the JIT for the gateway, connection pools for all
        for name in MEASURED:
            wrk(URLS[name], 5, 32)

    def teardown(self):
        for name in ("floor", "nginx", "haproxy", "gateway"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in reversed(tree(p.pid)):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                p.wait(timeout=10)

    def reload(self):
        """A reload whose configuration changes the command's environment: the service is rolled."""
        self.reloads += 1
        with open(os.path.join(WORK, "pool.conf"), "w") as f:
            f.write(self.pool_conf(str(self.reloads)))
        admin("POST", "/reload")


def throughput(setup, rounds, duration, connections):
    results = {p: [] for p in MEASURED}
    for r in range(rounds):
        order = MEASURED[r % len(MEASURED):] + MEASURED[:r % len(MEASURED)]
        for name in order:
            root = setup.procs[name].pid
            cpu0 = cpu_s(root)
            res = wrk(URLS[name], duration, connections)
            res["cpu_s"] = cpu_s(root) - cpu0
            res["rss_mb"] = rss_mb(root)
            del res["raw"]
            results[name].append(res)
            log("round %d %-8s %8.0f req/s  p50 %.2f ms  p99 %.2f ms  max %.1f ms  cpu %.1f s  rss %.0f MB  failed %d" % (
                r + 1, name, res["rps"], res["p50_ms"], res["p99_ms"], res["max_ms"], res["cpu_s"], res["rss_mb"], res["failed"]))
    return results


def failures(setup, duration, connections):
    events = {
        "crash (SIGKILL of one instance)": lambda: os.kill(
            next(i["pid"] for i in instances() if i["port"] == PORTS[0] and i["state"] == "HEALTHY"), signal.SIGKILL),
        "rolling restart": lambda: admin("POST", "/services/search/restart"),
        "reload that rolls the service": setup.reload,
        "scale-down (4 to 3)": lambda: admin("POST", "/services/search/scale?instances=3"),
    }
    table = {}
    for event, act in events.items():
        table[event] = {}
        for name in PROXIES:
            wait_healthy(4)
            wait_feed(os.path.join(WORK, "upstreams.conf"), 4)
            wait_feed(os.path.join(WORK, "haproxy-backends.cfg"), 4)
            proc = subprocess.Popen(["wrk", "-t2", "-c%d" % connections, "-d%ds" % duration, "--latency", URLS[name]],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(2)
            act()
            out, _ = proc.communicate(timeout=duration + 120)
            res = parse_wrk(out)
            table[event][name] = {"failed": res["failed"], "requests": res["requests"], "non2xx": res["non2xx"],
                                  "socket_errors": res["socket_errors"], "socket_detail": res["socket_detail"]}
            log("%-32s %-8s failed %d of %d (non-2xx %d; socket errors: %s)" % (event, name, res["failed"], res["requests"],
                                                                           res["non2xx"], res["socket_detail"] or "none"))
            if event.startswith("scale-down"):
                admin("POST", "/services/search/scale?instances=4")
    return table


def summary(results):
    out = {}
    for name, runs in results.items():
        rps = sorted(r["rps"] for r in runs)
        p99 = sorted(r["p99_ms"] for r in runs)
        p50 = sorted(r["p50_ms"] for r in runs)
        out[name] = {"rps": rps[len(rps) // 2], "p50_ms": p50[len(p50) // 2], "p99_ms": p99[len(p99) // 2],
                     "max_ms": max(r["max_ms"] for r in runs), "cpu_s": sorted(r["cpu_s"] for r in runs)[len(runs) // 2],
                     "rss_mb": max(r["rss_mb"] for r in runs), "runs": len(runs),
                     "rps_range": [rps[0], rps[-1]], "p99_range": [p99[0], p99[-1]]}
    return out


def charts(s):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    os.makedirs(os.path.join(ROOT, "docs", "bench"), exist_ok=True)
    names = {"gateway": "procpool gateway", "nginx": "nginx 1.22", "haproxy": "HAProxy 2.6", "floor": "Pekko HTTP floor"}
    made = []
    for key, label, fname in (("rps", "requests/s (median of rounds)", "gateway-throughput.png"),
                              ("p99_ms", "p99 latency, ms (median of rounds)", "gateway-p99.png")):
        fig, ax = plt.subplots(figsize=(6, 3))
        shown = [p for p in MEASURED if p in s]
        ax.bar([names[p] for p in shown], [s[p][key] for p in shown], color=["#4c72b0", "#55a868", "#c44e52", "#8c8c8c"][:len(shown)])
        ax.set_ylabel(label)
        fig.tight_layout()
        fig.savefig(os.path.join(ROOT, "docs", "bench", fname), dpi=100)
        plt.close(fig)
        made.append(fname)
    return made


def report(s, table, args, made):
    n = s["nginx"]
    g = s["gateway"]
    rps_ratio = g["rps"] / n["rps"] if n["rps"] else 0
    p99_ratio = g["p99_ms"] / n["p99_ms"] if n["p99_ms"] else float("inf")
    gateway_failed = sum(table[e]["gateway"]["failed"] for e in table)
    lines = [BEGIN, "## Gateway: procpool's gateway beside nginx and HAProxy", "",
             "`make bench-gateway` (%s): wrk `-t2 -c%d -d%ds` against each proxy in front of the same 4 instances of the C "
             "search sample, %d interleaved rounds, medians; the proxy's CPU time during a run and its RSS (master and "
             "workers). nginx with %d workers and HAProxy with %d threads, both with connections to the instances kept "
             "alive and fed by procpool's `pool.feeds`; the gateway in procpool's own JVM with conf/jvm-gateway.options (C2, a 64 MB young generation). Machine: "
             "%d cores." % (time.strftime("%Y-%m-%d"), args.connections, args.duration, args.rounds, CORES, CORES, CORES), ""]
    lines.append("| proxy | requests/s | p50 | p99 | max | CPU s per run | RSS |")
    lines.append("|---|---|---|---|---|---|---|")
    for p, label in (("gateway", "procpool gateway"), ("nginx", "nginx 1.22"), ("haproxy", "HAProxy 2.6"),
                     ("floor", "Pekko HTTP floor (bench/PekkoFloor.java)")):
        if p not in s:
            continue
        x = s[p]
        lines.append("| %s | %.0f (%.0f to %.0f) | %.2f ms | %.2f ms (%.2f to %.2f) | %.1f ms | %.1f | %.0f MB |" % (
            label, x["rps"], x["rps_range"][0], x["rps_range"][1], x["p50_ms"], x["p99_ms"], x["p99_range"][0],
            x["p99_range"][1], x["max_ms"], x["cpu_s"], x["rss_mb"]))
    if "floor" in s and s["floor"]["rps"] and n["rps"]:
        f = s["floor"]
        lines += ["", "The floor, a proxy on Pekko HTTP that does nothing but pass each request on (bench/PekkoFloor.java, "
                  "same JVM flags): %.2fx nginx's throughput and %.2fx its p99. The gateway reaches %.2fx the floor's "
                  "throughput and %.2fx its p99: the rest of the gap to nginx is Pekko HTTP's." % (
                      f["rps"] / n["rps"], f["p99_ms"] / n["p99_ms"], g["rps"] / f["rps"], g["p99_ms"] / f["p99_ms"])]
    lines += ["", "Failed requests (non-2xx answers and socket errors) through each proxy while wrk runs `-c%d -d%ds` and "
              "the event happens 2 s in:" % (args.connections, args.failure_duration), "",
              "| event | gateway | nginx (pool.feeds) | HAProxy (pool.feeds) |", "|---|---|---|---|"]
    def cell(x):
        if x["failed"] == 0:
            return "0 of %d" % x["requests"]
        return "%d of %d (%d non-2xx, %d socket errors)" % (x["failed"], x["requests"], x["non2xx"], x["socket_errors"])
    for e in table:
        lines.append("| %s | %s | %s | %s |" % (e, *(cell(table[e][p]) for p in PROXIES)))
    lines += ["", "Targets, in this run:", "",
              "| target | measured | met |", "|---|---|---|",
              "| 0 failed requests through the gateway in every event | %d | %s |" % (gateway_failed, "yes" if gateway_failed == 0 else "**no**"),
              "| throughput at least 0.7x nginx's | %.2fx | %s |" % (rps_ratio, "yes" if rps_ratio >= 0.7 else "**no**"),
              "| p99 at most 2x nginx's | %.2fx | %s |" % (p99_ratio, "yes" if p99_ratio <= 2 else "**no**"), ""]
    for m in made:
        lines.append("![%s](bench/%s)" % (m[:-4], m))
    analysis = os.path.join(ROOT, "bench", "gateway-analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            lines += ["", f.read().strip()]
    lines.append(END)
    section = "\n".join(lines) + "\n"
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    text = open(path).read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    return gateway_failed == 0 and rps_ratio >= 0.7 and p99_ratio <= 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--failure-duration", type=int, default=14)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--throughput-only", action="store_true", help="no failure table, no report (for profiling)")
    ap.add_argument("--report-only", action="store_true", help="write the report from the last results.json")
    args = ap.parse_args()
    for tool in ("wrk", "nginx", "haproxy"):
        if not (shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)):
            sys.exit("bench-gateway: %s is not installed (make bench-gateway installs it)" % tool)
    if args.report_only:
        with open(os.path.join(WORK, "results.json")) as f:
            saved = json.load(f)
        met = report(saved["summary"], saved["failures"], args, charts(saved["summary"]))
        log("targets %s; docs/benchmarks.md updated" % ("met" if met else "NOT met"))
        return
    setup = Setup()
    try:
        setup.start()
        results = throughput(setup, args.rounds, args.duration, args.connections)
        if args.throughput_only:
            return
        table = failures(setup, args.failure_duration, args.connections)
    finally:
        setup.teardown()
    s = summary(results)
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"summary": s, "runs": results, "failures": table}, f, indent=2)
    met = report(s, table, args, charts(s))
    log("targets %s; docs/benchmarks.md updated" % ("met" if met else "NOT met"))


if __name__ == "__main__":
    main()
