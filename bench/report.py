#!/usr/bin/env python3
"""Turns bench/.work/results.json into docs/benchmarks.md and the charts in docs/bench/.

    python3 bench/report.py [results.json]

The figures, tables, ratios and target checks are generated; the analysis (what was profiled
and fixed, what is not ours to fix) is bench/analysis.md, included as it is.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
CHARTS = os.path.join(DOCS, "bench")
PEERS = ["supervisord", "pm2"]
NAMES = {"floor": "C floor", "procpool": "procpool", "supervisord": "supervisord", "pm2": "PM2",
         "procpool-noprobe": "procpool, probes off", "procpool-hang": "procpool (hang run)",
         "procpool-nodeath": "procpool, children-die-with-manager = false"}


def ms(x):
    return "-" if x is None else ("%.1f ms" % (x * 1000) if x < 10 else "%.0f ms" % (x * 1000))


def sec(x):
    return "-" if x is None else "%.2f s" % x


def get(res, system, key, n=None):
    r = res["results"].get(system, {}).get(key)
    if r is None:
        return None
    if n is not None:
        r = r.get(str(n))
    return r


def p50(res, system, key, n=None):
    s = get(res, system, key, n)
    return None if not s else s["p50"]


def spread(s, fmt):
    if not s:
        return "-"
    if s["n"] == 1:
        return "1 run"
    return "%s to %s (%d runs)" % (fmt(s["min"]), fmt(s["max"]), s["n"])


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2f" % (a / b)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def point(res, system, n):
    """One system at one N for the cost curve: cold start, stop-all, RSS and idle CPU share (None when not measured)."""
    r = res["results"].get(system, {})
    curve = (r.get("curve") or {}).get(str(n))
    if curve is not None:
        if "failed" in curve:
            return curve
        idle = curve.get("idle") or {}
        return {"cold": curve.get("cold"), "stop": curve.get("stop_children"), "rss": idle.get("rss_mb"),
                "idle": idle["cpu_s"] / idle["seconds"] if idle else None}
    cold, stop, idle = p50(res, system, "cold", n), p50(res, system, "stop_children", n), (r.get("idle") or {}).get(str(n))
    if cold is None and idle is None:
        return None
    return {"cold": cold, "stop": stop, "rss": idle["rss_mb"] if idle else None,
            "idle": idle["cpu_s"] / idle["seconds"] if idle else None}


def systems_in(res):
    order = ["floor", "procpool", "supervisord", "pm2"]
    return [s for s in order if s in res["results"]]


def charts(res):
    """PNG charts, when matplotlib is there (Debian's python3-matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    os.makedirs(CHARTS, exist_ok=True)
    made = []
    systems = systems_in(res)
    colors = {"floor": "#888888", "procpool": "#1f77b4", "supervisord": "#d62728", "pm2": "#2ca02c",
              "procpool-nodeath": "#9ecae1"}

    # crash to serving: p50 and p95, log scale
    crash = [s for s in systems + ["procpool-nodeath"] if get(res, s, "crash")]
    if crash:
        fig, ax = plt.subplots(figsize=(7, 3.6))
        xs = range(len(crash))
        ax.bar([x - 0.2 for x in xs], [get(res, s, "crash")["p50"] * 1000 for s in crash], 0.4, label="p50",
               color=[colors.get(s, "#555555") for s in crash])
        ax.bar([x + 0.2 for x in xs], [get(res, s, "crash")["p95"] * 1000 for s in crash], 0.4, label="p95",
               color=[colors.get(s, "#555555") for s in crash], alpha=0.5)
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([NAMES.get(s, s).replace(", ", ",\n") for s in crash], fontsize=8)
        ax.set_ylabel("ms (log scale)")
        ax.set_title("SIGKILL to serving again, N = 50 (p50 solid, p95 light)")
        fig.tight_layout()
        fig.savefig(os.path.join(CHARTS, "crash.png"), dpi=110)
        plt.close(fig)
        made.append(("crash.png", "Crash to serving again"))

    # cold start and stop-all, grouped by N
    for key, title, fname in (("cold", "Cold start: launch to every port accepting", "cold-start.png"),
                              ("stop_children", "Stop-all: SIGTERM to every child gone", "stop-all.png")):
        sizes = sorted({int(n) for s in systems for n in (get(res, s, key) or {})})
        if not sizes:
            continue
        fig, ax = plt.subplots(figsize=(7, 3.6))
        width = 0.8 / max(1, len(systems))
        for i, s in enumerate(systems):
            vals = [p50(res, s, key, n) or 0 for n in sizes]
            ax.bar([j + i * width for j in range(len(sizes))], vals, width, label=NAMES.get(s, s),
                   color=colors.get(s, "#555555"))
        ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(sizes))])
        ax.set_xticklabels(["N = %d" % n for n in sizes])
        ax.set_ylabel("seconds (p50)")
        if key == "stop_children":
            ax.set_yscale("log")
            ax.set_ylabel("seconds (p50, log scale)")
        ax.set_title(title)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(CHARTS, fname), dpi=110)
        plt.close(fig)
        made.append((fname, title))

    # idle: CPU % of a core and RSS at N = 500 (and 50)
    idle_systems = [s for s in systems + ["procpool-noprobe"] if get(res, s, "idle")]
    sizes = sorted({int(n) for s in idle_systems for n in (get(res, s, "idle") or {})})
    if idle_systems and sizes:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        width = 0.8 / len(idle_systems)
        for i, s in enumerate(idle_systems):
            cpu = [100 * get(res, s, "idle")[str(n)]["cpu_s"] / get(res, s, "idle")[str(n)]["seconds"]
                   if str(n) in get(res, s, "idle") else 0 for n in sizes]
            rss = [get(res, s, "idle")[str(n)]["rss_mb"] if str(n) in get(res, s, "idle") else 0 for n in sizes]
            xs = [j + i * width for j in range(len(sizes))]
            axes[0].bar(xs, cpu, width, label=NAMES.get(s, s), color=colors.get(s, "#aec7e8"))
            axes[1].bar(xs, rss, width, label=NAMES.get(s, s), color=colors.get(s, "#aec7e8"))
        for ax, label in ((axes[0], "CPU, % of one core"), (axes[1], "RSS, MB")):
            ax.set_xticks([j + width * (len(idle_systems) - 1) / 2 for j in range(len(sizes))])
            ax.set_xticklabels(["N = %d" % n for n in sizes])
            ax.set_ylabel(label)
        axes[0].set_title("Idle supervisor CPU (procpool probes every 1 s)", fontsize=9)
        axes[1].set_title("Supervisor RSS", fontsize=9)
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(CHARTS, "idle.png"), dpi=110)
        plt.close(fig)
        made.append(("idle.png", "Steady-state cost"))
    # the cost curve: four panels against N, log-log
    sizes_all = sorted({int(n) for s in systems for n in list((get(res, s, "cold") or {}).keys())
                        + list((res["results"][s].get("curve") or {}).keys())})
    if len(sizes_all) > 2:
        fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
        for s in systems:
            pts = [(n, point(res, s, n)) for n in sizes_all]
            pts = [(n, p) for n, p in pts if p and "failed" not in p]
            for ax, key, scale in ((axes[0], "cold", 1), (axes[1], "stop", 1), (axes[2], "rss", 1), (axes[3], "idle", 100)):
                xy = [(n, p[key] * scale) for n, p in pts if p.get(key)]
                if xy:
                    ax.plot([x for x, _ in xy], [y for _, y in xy], marker="o", label=NAMES.get(s, s),
                            color=colors.get(s, "#555555"))
        for ax, label in ((axes[0], "cold start, s"), (axes[1], "stop-all, s"), (axes[2], "RSS, MB"),
                          (axes[3], "idle CPU, % of a core")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("instances")
            ax.set_title(label, fontsize=9)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(CHARTS, "cost-curve.png"), dpi=110)
        plt.close(fig)
        made.append(("cost-curve.png", "Cost against the number of instances"))
    return made


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench", ".work", "results.json")
    with open(path) as f:
        res = json.load(f)
    systems = systems_in(res)
    sizes = sorted({int(n) for s in systems for n in (get(res, s, "cold") or {})})
    m = res["machine"]
    out = []
    out.append("# Benchmarks: procpool beside supervisord, PM2 and a C floor\n")
    out.append("Generated by `make bench` (`bench/bench.py`, then `bench/report.py`) on %s. Every figure below "
               "is from that one run; the absolute numbers are this machine's only, the ratios are what carries "
               "over. Run `make bench` to measure yours (about 45 minutes with the cost curve; `bench/bench.py --help` for a shorter "
               "run).\n" % res["date"])
    out.append("**Machine:** %s, %d cores, %d MB RAM, Linux %s (%s).\n" % (m["cpu"], m["cores"], m["memory_mb"],
                                                                         m["kernel"], m["os"]))
    out.append("**Versions:**\n")
    for s, v in res["systems"].items():
        out.append("- %s: %s" % (NAMES.get(s, s), v["version"]))
    out.append("\n**Workload:** the C search sample (`samples/c/search.c`, built by `make build`), one instance "
               "per port on 127.0.0.1, ports 21000 and up. Every system restarts a dead instance at once. "
               "Rounds: %d, interleaved (each round runs every system in turn, in a rotated order); crash trials: "
               "%d per system in all, each on a different instance; idle measured over %d s in the first round. "
               "Before crash, hang and idle measurements every system gets %d s to settle after its cold start.\n"
               % (res["args"]["rounds"], res["args"]["trials"], res["args"]["idle"], res.get("settle_s", 5)))
    out.append("**How each is measured** (all from outside, by `bench/bench.py`): cold start from launching the "
               "supervisor to every port accepting a TCP connection; crash from SIGKILL of the instance's pid to "
               "its port accepting again on a new pid (the old one is confirmed dead first); hang from SIGSTOP "
               "to a new pid answering HTTP; idle cost as the supervisor process's own CPU time "
               "(`/proc/PID/stat` utime + stime) and RSS (`/proc/PID/status`); stop-all from SIGTERM to the "
               "supervisor until every child has exited and every port is closed, and until the supervisor "
               "itself is gone.\n")

    out.append("## Results\n")
    out.append("### 1. Cold start\n")
    rows = []
    for s in systems:
        for n in sizes:
            c = get(res, s, "cold", n)
            rows.append([NAMES[s], n, sec(c["p50"]) if c else "-", spread(c, sec),
                         ratio(p50(res, "procpool", "cold", n), c["p50"]) if c and s != "procpool" else ""])
    out.append(table(["system", "N", "p50", "spread", "procpool / this"], rows) + "\n")

    out.append("### 2. Crash to serving again (N = 50)\n")
    rows = []
    for s in systems + ["procpool-nodeath"]:
        c = get(res, s, "crash")
        if c:
            rows.append([NAMES[s], ms(c["p50"]), ms(c["p95"]), ms(c["max"]), c["n"],
                         ratio(p50(res, "procpool", "crash"), c["p50"]) if s != "procpool" else ""])
    out.append(table(["system", "p50", "p95", "max", "trials", "procpool p50 / this"], rows) + "\n")
    out.append("procpool runs these with `restart.min-backoff = 0` (every restart immediate, the restart budget "
               "still applies; the default waits 100 ms before a first restart) and otherwise the defaults, "
               "among them `pool.children-die-with-manager = true`, which puts `procpool-pdeathsig` in front of "
               "the command (one more exec per start); the row \"children-die-with-manager = false\" runs "
               "without it.\n")

    h = get(res, "procpool-hang", "hang")
    out.append("### 3. Hang to serving again (procpool alone)\n")
    if h:
        out.append("With `health-check { interval = 500ms, failure-threshold = 3, timeout = 400ms }`: SIGSTOP to a "
                   "new pid answering, p50 %s, max %s over %d trials. The configured bound: the first probe after "
                   "the hang starts within one interval plus the coalescing grid (50 ms), the third failure is "
                   "known one timeout after the third probe starts, so about 0.5 + 0.05 + 2 x 0.5 + 0.4 = 1.95 s, "
                   "then SIGTERM (with SIGCONT, so the frozen process can act on it) and the restart. "
                   "supervisord and PM2 have no HTTP probe and never notice a hung process.\n"
                   % (ms(h["p50"]), ms(h["max"]), h["n"]))

    out.append("### 4. Steady-state cost (idle, %d s)\n" % res["args"]["idle"])
    rows = []
    for s in systems + ["procpool-noprobe"]:
        idle = get(res, s, "idle") or {}
        for n in sizes:
            i = idle.get(str(n))
            if not i:
                continue
            slices = i["cpu_slices"]
            rows.append([NAMES[s], n, "%.3f s" % i["cpu_s"], "%.2f %%" % (100 * i["cpu_s"] / i["seconds"]),
                         "%.3f to %.3f s" % (min(slices), max(slices)), "%.0f MB" % i["rss_mb"], i["threads"]])
    out.append(table(["system", "N", "CPU over the window", "of one core", "per %d s slice" %
                      (res["args"]["idle"] / 6), "RSS", "threads"], rows) + "\n")
    out.append("procpool probes every instance every second over HTTP (keep-alive); \"probes off\" is "
               "`health-check.type = none`. supervisord and PM2 probe nothing.\n")
    pf = (res.get("procpool") or {}).get("probe_floor") or {}
    if pf:
        rows = [[n, "%.3f s" % f["cpu_s"], "%.2f %%" % (100 * f["cpu_s"] / f["seconds"]), f["probes"], f["failed"]]
                for n, f in sorted(pf.items(), key=lambda kv: int(kv[0]))]
        out.append("Probing's floor: bench/probe_floor.c, a C program of one thread that probes the same children "
                   "(those of the run with probes off, which nothing else probes then) as procpool does: the same "
                   "request over a kept HTTP/1.1 connection per port, every second, spread over a grid of a tenth "
                   "of a second, with epoll. Its own CPU over the same window, after 5 s of probing:\n")
        out.append(table(["N", "CPU over the window", "of one core", "probes", "failed"], rows) + "\n")

    out.append("### 5. Stop-all\n")
    rows = []
    for s in systems:
        for n in sizes:
            c = get(res, s, "stop_children", n)
            mgr = get(res, s, "stop_manager", n)
            if c:
                rows.append([NAMES[s], n, sec(c["p50"]), spread(c, sec), sec(mgr["p50"]) if mgr else "-"])
    out.append(table(["system", "N", "children gone (p50)", "spread", "supervisor gone (p50)"], rows) + "\n")

    own = res.get("procpool") or {}
    ar = own.get("admin_ready") or {}
    idle_rss = own.get("idle_rss") or {}
    if ar:
        out.append("### 6. Launch to the admin API answering, no children (procpool, and the stack's floor)\n")
        rows = [[how, sec(v["p50"]), spread(v, sec)] for how, v in ar.items() if v]
        out.append(table(["started by", "p50", "spread"], rows) + "\n")
        out.append("A pool with no services; from the launch to `GET /healthz` answering 200. `bin/procpool` is how "
                   "`make run`, the distribution archive and the systemd unit start it (conf/jvm.options and the "
                   "class-data archive); `java -jar` is a bare `java -jar target/procpool.jar run ...` with neither; "
                   "\"stack floor\" is bench/StackFloor.java, the least a program on procpool's stack does before an "
                   "HTTP API answers (a typed actor system with no actors and a Pekko HTTP server that answers 200 to "
                   "everything), with conf/jvm.options and a class-data archive of its own, recorded as `bin/procpool "
                   "cds` records procpool's: the part of the start that the JVM, Pekko and Pekko HTTP take.\n")
        if idle_rss.get("bin/procpool") and idle_rss.get("stack floor"):
            out.append("RSS with no children, %d s after the API answered (one run each): procpool %.0f MB, the stack's "
                       "floor %.0f MB.\n" % (idle_rss["after_s"], idle_rss["bin/procpool"], idle_rss["stack floor"]))
    pc = own.get("poolctl")
    if pc:
        out.append("### 7. poolctl\n")
        out.append("`bin/poolctl status` against the running pool of 50, to its exit: p50 %s, %s.\n" % (sec(pc["p50"]), spread(pc, sec)))
    tl = own.get("timeline")
    if tl:
        out.append("### 8. Where a cold start goes (N = %d, one run)\n" % tl["n"])
        names = {"jvm": "the JVM has started and runs procpool's main", "logging": "logging starts (logback)",
                 "config": "the configuration is read (Typesafe Config)", "native": "the native calls are bound (JNA)",
                 "metrics": "the metrics registry is built", "actors": "the actor system starts",
                 "http": "Pekko HTTP loads (admin API)"}
        rows = [[names[k], sec(v)] for k, v in sorted(tl["class_first"].items(), key=lambda kv: kv[1]) if k in names]
        for key, label in (("pools_started", "the pools start (log)"), ("first_spawn", "first child started (log)"),
                           ("last_spawn", "last child started (log)"), ("all_accepting", "every port accepts (measured)"),
                           ("admin_bound", "admin API bound (log)"), ("first_healthy", "first instance HEALTHY (log)"),
                           ("class_last", "the last class loaded")):
            if tl.get(key) is not None:
                rows.append([label, sec(tl[key])])
        rows.sort(key=lambda r: float(r[1].split()[0]))
        out.append(table(["phase", "from the launch"], rows) + "\n")
        out.append("%d classes loaded by then, %d of them from the class-data archive. The phases marked (log) are "
                   "procpool's own log lines (wall clock, millisecond resolution, written by an asynchronous appender); "
                   "the others are the first class of each part in `-Xlog:class+load` (JVM uptime). Logging, the "
                   "configuration's reference files and the native calls start on the prewarm thread while the main "
                   "thread reads the command line (docs/architecture.md, \"A cold start on two threads\"): their rows "
                   "say when that thread began them.\n"
                   % (tl["classes"], tl["classes_shared"]))
    mem = own.get("memory")
    if mem:
        out.append("### 9. Where the bytes go (N = %d, one run)\n" % mem["n"])
        rows = [[k, "%.1f MB" % (v / 1024)] for k, v in sorted(mem["rss_by_mapping_kb"].items(), key=lambda kv: -kv[1])]
        out.append("RSS %.0f MB in all (this run has Native Memory Tracking on, about 1 MB of its own), %d threads. "
                   "By mapping (`/proc/PID/smaps`):\n" % (mem["rss_mb"], mem["threads"]))
        out.append(table(["mapping", "resident"], rows) + "\n")
        areas = sorted(mem["nmt_committed_kb"].items(), key=lambda kv: -kv[1])
        rows = [[k, "%.1f MB" % (v / 1024)] for k, v in areas if v >= 512]
        out.append("What the JVM committed, by Native Memory Tracking (committed is not resident: the heap's "
                   "committed pages are resident once touched, the archive's once read):\n")
        out.append(table(["area", "committed"], rows) + "\n")
        out.append("Live heap after a full collection: %.1f MB.\n" % (mem["heap_used_after_gc_kb"] / 1024))

    curve_sizes = sorted({int(n) for s in res["results"].values() for n in (s.get("curve") or {})})
    if curve_sizes:
        out.append("### 10. Cost curve\n")
        out.append("N = %s from the interleaved rounds (p50), N = %s from one run each; idle over %d s at those. "
                   "\"probe CPU\" is procpool's idle CPU less that of the same pool with probes off.\n"
                   % (", ".join(str(n) for n in sizes), ", ".join(str(n) for n in curve_sizes), res["args"].get("curve_idle", 0)))
        rows = []
        for s in systems + ["procpool-noprobe"]:
            for n in sizes + curve_sizes:
                pt = point(res, s, n)
                if pt is None:
                    continue
                if "failed" in pt:
                    rows.append([NAMES.get(s, s), n, "failed: " + pt["failed"], "", "", "", ""])
                    continue
                probe = ""
                if s == "procpool":
                    q = point(res, "procpool-noprobe", n)
                    if q and "idle" in q and "idle" in pt:
                        probe = "%.2f %%" % (100 * (pt["idle"] - q["idle"]))
                rows.append([NAMES.get(s, s), n, sec(pt.get("cold")), sec(pt.get("stop")),
                             "%.0f MB" % pt["rss"] if pt.get("rss") is not None else "-",
                             "%.2f %%" % (100 * pt["idle"]) if pt.get("idle") is not None else "-", probe])
        out.append(table(["system", "N", "cold start", "stop-all (children gone)", "RSS", "idle CPU (of a core)",
                          "probe CPU"], rows) + "\n")

    out.append("## Targets\n")
    out.append("The second round's (issue 17), on the defaults a user gets unless the row says otherwise:\n")
    rows = []

    def check2(name, measured, target, ok, floor="-"):
        rows.append([name, measured, target, "met" if ok else "**missed**", floor])

    floor_ready = (ar.get("stack floor") or {}).get("p50")

    c50 = p50(res, "procpool", "cold", 50)
    peers50 = [p50(res, p, "cold", 50) for p in PEERS if p50(res, p, "cold", 50)]
    if c50 and peers50:
        check2("cold start, 50 instances, below PM2 and supervisord", sec(c50), "< " + sec(min(peers50)), c50 < min(peers50))
    c500 = p50(res, "procpool", "cold", 500)
    if c500:
        check2("cold start, 500 instances", sec(c500), "<= 1.50 s", c500 <= 1.5)
    if ar.get("bin/procpool"):
        a = ar["bin/procpool"]["p50"]
        check2("launch to the admin API answering (no children), bin/procpool", sec(a), "<= 0.40 s", a <= 0.4,
               sec(floor_ready) if floor_ready else "-")
    pi5 = (get(res, "procpool", "idle") or {}).get("500")
    qi5 = (get(res, "pm2", "idle") or {}).get("500")
    if pi5 and qi5:
        check2("RSS with 500 children, at most PM2's", "%.0f MB" % pi5["rss_mb"], "<= %.0f MB" % qi5["rss_mb"],
               pi5["rss_mb"] <= qi5["rss_mb"],
               "%.0f MB with no children" % idle_rss["stack floor"] if idle_rss.get("stack floor") else "-")
    pd, fl = p50(res, "procpool", "crash"), p50(res, "floor", "crash")
    if pd and fl:
        check2("crash to serving p50, default configuration (children-die-with-manager)", ms(pd), "<= " + ms(2 * fl), pd <= 2 * fl)
    if pi5:
        share = pi5["cpu_s"] / pi5["seconds"]
        pf5 = ((own.get("probe_floor") or {}).get("500"))
        check2("500 instances probed every second: procpool's CPU", "%.2f %% of a core" % (100 * share), "<= 1.5 %",
               share <= 0.015,
               "%.2f %% (probing's, bench/probe_floor.c)" % (100 * pf5["cpu_s"] / pf5["seconds"]) if pf5 else "-")
    if pc:
        check2("poolctl status wall time", sec(pc["p50"]), "<= 0.25 s", pc["p50"] <= 0.25)
    out.append(table(["target", "procpool", "target", "", "the floor"], rows) + "\n")
    if floor_ready and idle_rss.get("stack floor"):
        out.append("The stack's floor (bench/StackFloor.java, section 6) is the least a program on procpool's stack "
                   "does before an HTTP API answers: the JVM with conf/jvm.options and a class-data archive of its own, "
                   "a typed actor system with no actors, and a Pekko HTTP server that answers every request with 200. "
                   "Where the floor itself is above a target, no code of procpool's can meet it on this stack and JDK.\n")
    if (own.get("probe_floor") or {}).get("500"):
        out.append("Probing's floor (bench/probe_floor.c, section 4) is what the same probes cost a C program that does "
                   "nothing else: the kernel's loopback path and the system calls, none of the JVM. Where it is above "
                   "the target, no prober can meet it on this machine.\n")
    out.append("The first round's, still checked:\n")
    rows = []

    def check(name, measured, target, ok):
        rows.append([name, measured, target, "met" if ok else "**missed**"])

    pc, pm2c, floorc = p50(res, "procpool", "crash"), p50(res, "pm2", "crash"), p50(res, "floor", "crash")
    if pc and pm2c:
        check("crash to serving p50 below PM2's", ms(pc), "< " + ms(pm2c), pc < pm2c)
    if pc and floorc:
        check("crash to serving p50 within 2x the floor", ms(pc), "<= " + ms(2 * floorc), pc <= 2 * floorc)
    for peer in PEERS:
        a, b = p50(res, "procpool", "cold", 500), p50(res, peer, "cold", 500)
        if a and b:
            check("cold start of 500 faster than %s" % NAMES[peer], sec(a), "< " + sec(b), a < b)
    c500, m500 = p50(res, "procpool", "stop_children", 500), p50(res, "procpool", "stop_manager", 500)
    if c500 is not None:
        check("stop-all of 500: every child gone", sec(c500), "<= 0.50 s", c500 <= 0.5)
    if m500 is not None:
        check("stop-all of 500: procpool exited", sec(m500), "<= 1.00 s", m500 <= 1.0)
    pi = (get(res, "procpool", "idle") or {}).get("500")
    qi = (get(res, "pm2", "idle") or {}).get("500")
    if pi and qi:
        check("RSS with 500 children at most 2x PM2's", "%.0f MB" % pi["rss_mb"], "<= %.0f MB" % (2 * qi["rss_mb"]),
              pi["rss_mb"] <= 2 * qi["rss_mb"])
    ni = (get(res, "procpool-noprobe", "idle") or {}).get("500")
    si = (get(res, "supervisord", "idle") or {}).get("500")
    if ni and si:
        check("idle CPU with probes off (500) no more than supervisord's", "%.3f s" % ni["cpu_s"],
              "<= %.3f s" % si["cpu_s"], ni["cpu_s"] <= si["cpu_s"])
    if pi:
        share = pi["cpu_s"] / pi["seconds"]
        check("500 instances probed every second: CPU", "%.2f %% of a core" % (100 * share), "< 3 %", share < 0.03)
    out.append(table(["target", "procpool", "target", ""], rows) + "\n")

    made = charts(res)
    if made:
        out.append("## Charts\n")
        for fname, title in made:
            out.append("![%s](bench/%s)\n" % (title, fname))

    out.append("## Exact settings\n")
    out.append("procpool's JVM flags (those of `make run`): `%s`\n" % " ".join(res.get("java_opts", [])))
    for s, text in res["settings"].items():
        lang = "ini" if s == "supervisord" else ("json" if s == "pm2" else "hocon")
        out.append("**%s**\n\n```%s\n%s\n```\n" % (NAMES.get(s, s), lang, text.strip()))

    analysis = os.path.join(ROOT, "bench", "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            out.append(f.read())

    # The sections of make bench-gateway, bench-dashboard and bench-cluster are written by their
    # own scripts: kept as they are.
    path = os.path.join(DOCS, "benchmarks.md")
    old = open(path).read() if os.path.exists(path) else ""
    for name in ("gateway", "dashboard", "cluster"):
        begin, end = "<!-- bench-%s: begin -->" % name, "<!-- bench-%s: end -->" % name
        if begin in old and end in old:
            out.append(old[old.index(begin):old.index(end) + len(end)] + "\n")
    with open(path, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")
    print("wrote docs/benchmarks.md" + (" and %d charts in docs/bench/" % len(made) if made else
                                       " (no charts: matplotlib is missing)"))


if __name__ == "__main__":
    main()
