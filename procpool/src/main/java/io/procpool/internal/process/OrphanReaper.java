package io.procpool.internal.process;

import io.procpool.config.Signal;
import io.procpool.spi.Platform;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops what an earlier manager on the same state dir left running (it was SIGKILLed, or the
 * machine's OOM killer took it), before any port is used again.
 *
 * <p>A recorded child is stopped only when it is provably the same process: a process with the
 * recorded pid AND the recorded start time. A recorded pid that now belongs to another process is
 * left alone. When the leader is gone but its process group still has members, those members
 * are the leader's orphans: the kernel does not hand out a number still in use as a process group id,
 * so group {@code pid} cannot belong to anyone else.
 *
 * <p>Then every process whose environment carries the earlier manager's run id
 * ({@link PlatformLauncher#RUN_ENV}): a child started in the microseconds between
 * {@code posix_spawn} and its line in the state journal, when the manager was killed right then,
 * and descendants that left their group with {@code setsid}. The id is random per run, so a
 * process carrying it was started under that manager.
 *
 * <p>Blocks until the orphans are gone or {@code timeout} (then SIGKILL) plus a grace has passed:
 * call it from a thread that may block, before the actors start.
 *
 * <p>{@link #strays} does the run-id part for the manager's own run, at its clean stop.
 */
public final class OrphanReaper {

    private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private OrphanReaper() {
    }

    /** What is signalled and waited for: a whole process group, or one process outside any group of ours. */
    private record Target(Platform platform, long pid, boolean group) {
        boolean alive() {
            return group ? platform.groupAlive(pid) : platform.process(pid).map(Platform.ProcessInfo::live).orElse(false);
        }

        void signal(Signal s) {
            if (group) {
                platform.signalGroup(pid, s);
            } else {
                platform.signal(pid, s);
            }
        }

        @Override
        public String toString() {
            return (group ? "process group " : "pid ") + pid;
        }
    }

    /**
     * Stops every recorded child that is still alive, and every process that carries
     * {@code previousRun}: SIGTERM (to the group where it leads one), SIGKILL after {@code timeout}.
     *
     * @return how many process groups and processes were found and stopped
     */
    public static int reap(Platform platform, List<StateFile.Entry> recorded, Optional<String> previousRun, Duration timeout) {
        List<Target> alive = new ArrayList<>();
        for (StateFile.Entry e : recorded) {
            if (e.pid() <= 1) {
                continue;
            }
            Optional<Platform.ProcessInfo> now = platform.process(e.pid());
            if (now.isPresent() && now.get().live()) {
                if (e.startInstant() == null || !now.get().started().equals(e.startInstant())) {
                    log.debug("pid {} ({}:{}) now belongs to another process; leaving it alone", e.pid(), e.service(), e.port());
                    continue;
                }
                log.warn("{}:{} pid {} survived an earlier manager; stopping it before its port is reused",
                        e.service(), e.port(), e.pid());
                platform.signalGroup(e.pid(), Signal.TERM);
                alive.add(new Target(platform, e.pid(), true));
            } else if (platform.groupAlive(e.pid())) {
                log.warn("{}:{} children of pid {} survived an earlier manager; killing them", e.service(), e.port(), e.pid());
                platform.signalGroup(e.pid(), Signal.KILL);
                alive.add(new Target(platform, e.pid(), true));
            }
        }
        previousRun.ifPresent(run -> alive.addAll(carrying(platform, run, alive,
                "was started by the earlier manager but is not in its state file")));
        stop(alive, timeout, "an earlier run");
        return alive.size();
    }

    /**
     * At a clean stop, once every child's process group is gone: stops the processes that still
     * carry this manager's own run id. Those are descendants that left their group with
     * {@code setsid} (a service that daemonizes a helper); no signal to a group reaches them, and
     * without this they would outlive the manager unowned. Blocks like {@link #reap}.
     *
     * @return how many were found and stopped
     */
    public static int strays(Platform platform, String run, Duration timeout) {
        List<Target> found = carrying(platform, run, List.of(), "outlived its service's process group (it left it with setsid)");
        stop(found, timeout, "this run");
        return found.size();
    }

    /** Waits for {@code targets} (already sent SIGTERM) up to {@code timeout}, then SIGKILLs the rest. */
    private static void stop(List<Target> targets, Duration timeout, String whose) {
        if (targets.isEmpty()) {
            return;
        }
        awaitGone(targets, timeout);
        List<Target> stubborn = targets.stream().filter(Target::alive).toList();
        for (Target t : stubborn) {
            log.warn("{} ignored SIGTERM for {}; sending SIGKILL", t, timeout);
            t.signal(Signal.KILL);
        }
        if (!stubborn.isEmpty() && !awaitGone(stubborn, KILL_GRACE)) {
            log.error("processes of {} would not die even after SIGKILL: {}", whose, stubborn);
        }
    }

    /**
     * The processes that carry {@code run} and are in none of {@code known}'s groups, sent
     * SIGTERM (each logged as one that {@code why}).
     */
    private static List<Target> carrying(Platform platform, String run, List<Target> known, String why) {
        Map<Long, Platform.ProcessInfo> tagged;
        try {
            tagged = new java.util.HashMap<>(platform.carrying(PlatformLauncher.RUN_ENV + "=" + run));
        } catch (java.io.IOException e) {
            log.warn("cannot list the processes in /proc ({}); only the state file's are stopped", e.toString());
            return List.of();
        }
        java.util.Set<Long> groups = new java.util.HashSet<>();
        known.forEach(t -> groups.add(t.pid()));
        // Never this manager's own ancestors, whatever they carry (a pool run from a shell a service started).
        for (Optional<ProcessHandle> h = ProcessHandle.current().parent(); h.isPresent(); h = h.get().parent()) {
            tagged.remove(h.get().pid());
        }
        // Group leaders first: the members of their groups are then reached through them.
        List<Map.Entry<Long, Platform.ProcessInfo>> candidates = new ArrayList<>(tagged.entrySet());
        candidates.sort(java.util.Comparator.comparing(c -> c.getValue().pgrp() != c.getKey()));
        List<Target> found = new ArrayList<>();
        for (Map.Entry<Long, Platform.ProcessInfo> c : candidates) {
            long pid = c.getKey();
            long pgrp = c.getValue().pgrp();
            if (groups.contains(pgrp)) {
                continue;
            }
            Target t = new Target(platform, pid, pgrp == pid);
            if (t.group()) {
                groups.add(pid);
            }
            log.warn("{} ({}={}) {}; stopping it", t, PlatformLauncher.RUN_ENV, run, why);
            t.signal(Signal.TERM);
            found.add(t);
        }
        return found;
    }

    /** Waits (polling: nothing notifies us of a non-child's death) until every target is gone. */
    private static boolean awaitGone(List<Target> targets, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (targets.stream().anyMatch(Target::alive)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        return true;
    }
}
