package io.procpool.internal.linux;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processes this JVM adopted: descendants of its instances (and of the JDK's children) whose
 * parent died, handed to procpool by the kernel because it is a child subreaper
 * ({@code PR_SET_CHILD_SUBREAPER}) or the PID 1 of a PID namespace. It reaps them when they exit.
 * (A stop reaches the living among them through their instance's session, read from
 * {@code /proc} at the time: see {@code LinuxPlatform.signalGroup}.)
 *
 * <p><b>Whose exit it collects.</b> A zombie child of this JVM that is an instance procpool
 * started is never reaped here (those are the {@link PidReaper}'s, or the JDK's under
 * ProcessBuilder). Every instance leads a session of its own, so its descendants are never in the
 * JVM's session: a zombie in another session is reaped at once. The JDK's children (exec health
 * checks, reload commands, an embedding application's processes) are in the JVM's session, and
 * the JDK collects their exits by pid. Their own orphans are in it too (a probe's descendants
 * killed at its timeout, what a command left in the background), and nobody collects those. A
 * zombie of the JVM's session is therefore reaped only once it has stayed one for
 * {@link #UNCLAIMED_NANOS} across sweeps (see there for why that is never one the JDK waits for,
 * and the residual risk). An instance's pid is registered inside {@link #spawning}, which a
 * reaping decision excludes, so a child that exits before its start has returned is never
 * mistaken for an orphan. Reaping is {@code waitpid(pid, WNOHANG)} on a pid read as a zombie child
 * of ours: nobody else reaps it, so it cannot have been reused.
 *
 * <p><b>When.</b> One thread sweeps the adopted (the first thread's {@code children} list, see
 * {@link #sweep}) {@link #SWEEP_SOON_MS} ms after an instance's exit, when its descendants have
 * just become ours, and on its own every {@link #PERIOD_MS} ms while it has adopted anything, its
 * pause doubling up to {@link #MAX_PERIOD_MS} ms while it has adopted nothing (see
 * {@link #nextPause}). What it does NOT promise: that a zombie is gone before the next sweep
 * (one of the JVM's session stays {@link #UNCLAIMED_NANOS} and a sweep), or
 * that an orphan that left its instance's session before its parent died ({@code setsid}, a
 * daemon's double fork) is tied to any instance (the run id finds those at the manager's stop:
 * see {@code OrphanReaper}).
 */
final class Orphans implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Orphans.class);

    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int WNOHANG = 1;
    static final long PERIOD_MS = 1_000;
    /**
     * The longest pause between two sweeps of their own. Why they pause longer while nothing is
     * adopted: on the benchmark's virtual machine, a thread woken after a second's sleep is
     * charged 2 to 3 ms of CPU for its wake-up alone (a Java thread that only sleeps a second in
     * a loop: 2.2 to 2.9 ms of its CPU time a second), and the sweeper woken every second was 7 to
     * 8 % of procpool's CPU with 500 instances probed every second (bench/analysis.md, "Twelfth
     * pass"). An orphan that exits in a quiet pool is then reaped at most this long after, not a
     * second after: a zombie holds a pid and nothing else.
     */
    static final long MAX_PERIOD_MS = 4_000;
    static final long SWEEP_SOON_MS = 20;
    /**
     * How long a zombie of the JVM's own session must have stayed one, across sweeps, before it
     * is taken for nobody's and reaped. The JDK's reaper thread waits in a blocking
     * {@code waitpid(pid)} on each child it started from the moment of its start, so the kernel
     * hands it the exit at once: a zombie the JDK will collect is gone within microseconds, one
     * still there after 5 s is not the JDK's (an exec probe's descendant killed at its timeout,
     * or left in the background by a probe or a reload command, re-parented to the subreaper).
     * The residual risk: a JDK child whose reaper thread has not reached its {@code waitpid} 5 s
     * after the child exited (a JVM stopped or starved for that long, a thread that cannot be
     * created); its {@code Process} would then report exit 0, the JDK's answer to ECHILD.
     */
    static final long UNCLAIMED_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Held (shared) by every start until its pid is registered; held alone by a reaping decision. */
    private final ReadWriteLock starts = new ReentrantReadWriteLock();
    /** Instance pids, counted: a pid reused by a new instance before the old one's exit was told stays registered. */
    private final Map<Long, Integer> instances = new ConcurrentHashMap<>();
    private final long ownSession;
    /** The zombies of the JVM's session seen by a sweep, by pid: when a sweep first saw them, and their start (the pid's identity). */
    private final Map<Long, Seen> zombies = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean sweepQueued = new AtomicBoolean();

    private Orphans(long ownSession) {
        this.ownSession = ownSession;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> io.procpool.internal.Threads.daemon(r, "procpool-orphans"));
        sweepLater(PERIOD_MS);
    }

    /** The sweeps of its own: each plans the next from what it found. */
    private void sweepLater(long pauseMs) {
        try {
            sweeper.schedule(() -> {
                int adopted = 1;
                try {
                    adopted = sweep();
                } finally {
                    sweepLater(nextPause(pauseMs, adopted));
                }
            }, pauseMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * The pause before the next sweep of its own: {@link #PERIOD_MS} while anything adopted is
     * there (living or a zombie, it may exit or be claimable any moment), otherwise twice the last,
     * up to {@link #MAX_PERIOD_MS}. An instance's exit, which hands it the instance's descendants
     * at once, sweeps soon anyway ({@link #instanceReaped}); an orphan from further down (its
     * parent, not the instance, died) waits for the next sweep.
     *
     * @param adopted what the sweep just found: children of this JVM that are not its instances
     */
    static long nextPause(long lastMs, int adopted) {
        return adopted > 0 ? PERIOD_MS : Math.min(MAX_PERIOD_MS, lastMs * 2);
    }

    /**
     * Makes this JVM a child subreaper when {@code subreaper} is set, and returns the tracker of
     * what it adopts; also when it is PID 1 (of a container's PID namespace), which adopts every
     * orphan anyway. Empty otherwise: no orphan ever comes to this JVM, and there is nothing to do.
     */
    static java.util.Optional<Orphans> open(boolean subreaper) {
        boolean init = ProcessHandle.current().pid() == 1;
        if (subreaper && !init && LibC.C.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            log.warn("cannot become a child subreaper (errno {}): orphaned descendants of the services go to init",
                    com.sun.jna.Native.getLastError());
            return java.util.Optional.empty();
        }
        if (!subreaper && !init) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Orphans(LibC.C.getsid(0)));
    }

    /** How it came to adopt orphans, for the log. */
    String mechanism() {
        return ProcessHandle.current().pid() == 1 ? "PID 1" : "child subreaper";
    }

    /**
     * Runs {@code start} (which starts one instance and returns it) and registers the pid
     * {@code pidOf} gives, before any sweep can look at it.
     */
    <T> T spawning(Supplier<T> start, java.util.function.ToLongFunction<T> pidOf) {
        starts.readLock().lock();
        try {
            T started = start.get();
            instances.merge(pidOf.applyAsLong(started), 1, Integer::sum);
            return started;
        } finally {
            starts.readLock().unlock();
        }
    }

    /**
     * True when this JVM has adopted no process: every child on the list where the kernel puts
     * the adopted ({@link ProcessTable#childrenOfFirstThread}) is an instance it started. False
     * when a child there is not one, or the list cannot be read. When the first thread has ended,
     * every child of every thread is looked at, and one that is not an instance (the JDK's too)
     * makes it false.
     */
    boolean adoptedNone() {
        java.util.Set<Long> children = ProcessTable.childrenOfFirstThread();
        try {
            for (long pid : children != null ? children : ProcessTable.children()) {
                if (!instances.containsKey(pid)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Instance {@code pid} has been reaped: its descendants are ours now, and its number is free. */
    void instanceReaped(long pid) {
        instances.computeIfPresent(pid, (p, n) -> n == 1 ? null : n - 1);
        sweepSoon();
    }

    private void sweepSoon() {
        if (sweepQueued.compareAndSet(false, true)) {
            try {
                sweeper.schedule(() -> {
                    sweepQueued.set(false);
                    sweep();
                }, SWEEP_SOON_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                sweepQueued.set(false);
            }
        }
    }

    /**
     * Reaps the adopted zombies, on the sweeper's thread. It reads the first thread's list, where
     * the kernel puts what it hands over ({@link ProcessTable#childrenOfFirstThread}), and every
     * thread's only when that thread has ended. Why not every thread's each time: that is one
     * file per thread (31 in a pool of 500), every second: 55 ms of this thread's CPU in 30 s with
     * 500 instances against 16 ms now, of an idle CPU with probes off of about 60 ms (by thread
     * from {@code /proc/PID/task/}*{@code /schedstat}, bench/analysis.md). (The instances whose
     * starting thread has ended are on the first thread's list too, and are skipped.) A child another
     * living thread started is that thread's starter's to collect (the JDK's, an instance's
     * reaper, an embedding application's own): the sweep has no business there.
     *
     * @return how many children it found that are not instances (1 when it could not list them)
     */
    int sweep() {
        java.util.Set<Long> children;
        try {
            children = ProcessTable.childrenOfFirstThread();
            if (children == null) {
                children = ProcessTable.children();
            }
        } catch (IOException | RuntimeException e) {
            log.debug("cannot list this process's children: {}", e.toString());
            return 1;
        }
        zombies.keySet().retainAll(children);
        int adopted = 0;
        for (long pid : children) {
            if (!instances.containsKey(pid)) {
                adopted++;
                look(pid);
            }
        }
        return adopted;
    }

    private void look(long pid) {
        starts.writeLock().lock();
        try {
            if (instances.containsKey(pid)) {
                return; // started while the sweep listed the children
            }
            ProcessTable.Stat st = ProcessTable.stat(pid).orElse(null);
            if (st == null || st.live()) {
                return;
            }
            if (st.session() == ownSession && !unclaimed(pid, st)) {
                return; // a zombie of the JVM's session, maybe the JDK's child: only an unclaimed one is reaped
            }
            int rc = LibC.C.waitpid((int) pid, new int[1], WNOHANG);
            if (rc == pid) {
                log.debug("reaped pid {}, an orphan of session {}", pid, st.session());
            }
        } finally {
            starts.writeLock().unlock();
        }
    }

    /**
     * True when the zombie {@code pid} of the JVM's session has been one for {@link
     * #UNCLAIMED_NANOS} across sweeps; remembers it when it is new.
     */
    private boolean unclaimed(long pid, ProcessTable.Stat st) {
        long now = System.nanoTime();
        Seen seen = zombies.merge(pid, new Seen(st.startTicks(), now), (old, fresh) -> old.start() == fresh.start() ? old : fresh);
        return now - seen.firstNanos() >= UNCLAIMED_NANOS;
    }

    private record Seen(long start, long firstNanos) {
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
