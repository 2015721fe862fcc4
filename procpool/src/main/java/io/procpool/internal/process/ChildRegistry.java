package io.procpool.internal.process;

import io.procpool.config.Signal;
import io.procpool.spi.Platform;
import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every child process group this manager has alive, mirrored into the {@link StateFile}, with a
 * JVM shutdown hook as the last backstop: whatever is still registered when the JVM exits (after
 * a grace for a graceful stop already under way) is SIGKILLed.
 *
 * <p>State writes happen on one thread and coalesce: a write starts {@link #WRITE_DELAY_MS} milliseconds after
 * the first change that needs it and takes in every change until then. The delay keeps the
 * serialization and the file system calls out of the way of a respawn (a crash is a removal and
 * an addition in quick succession), and at a cold start of 500 children it turns 500 writes into
 * a handful. A start is on record before it returns all the same: it appends one line to the
 * state file's journal, which a snapshot write never holds up (see {@link StateFile#write}).
 */
final class ChildRegistry {

    private static final Logger log = LoggerFactory.getLogger(ChildRegistry.class);

    private final Map<Long, StateFile.Entry> live = new ConcurrentHashMap<>();
    private final Platform platform;
    private final StateFile stateFile;
    private final String run;
    static final long WRITE_DELAY_MS = 20;
    private final java.util.concurrent.ScheduledExecutorService writer;
    private final AtomicBoolean writeQueued = new AtomicBoolean();
    /** Leaders that exited, by pid, with when each exit was seen; forgotten once their groups are gone. */
    private final Map<Long, Long> exited = new ConcurrentHashMap<>();
    /** A look is queued (after an exit, or again for groups not yet known gone) and has not begun. */
    private final AtomicBoolean lookQueued = new AtomicBoolean();
    /** When the last look began ({@link System#nanoTime}); written on the writer thread. */
    private volatile long lastLook = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private final Object emptied = new Object();
    private final Thread backstop;

    /**
     * @param run this manager's run id, written into every snapshot
     */
    ChildRegistry(Platform platform, StateFile stateFile, Duration backstopGrace, String run) {
        this.platform = platform;
        this.stateFile = stateFile;
        this.run = run;
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> io.procpool.internal.Threads.daemon(r, "procpool-state"));
        this.backstop = new Thread(() -> killAllAfter(backstopGrace), "procpool-backstop");
        Runtime.getRuntime().addShutdownHook(backstop);
    }

    void add(StateFile.Entry entry) {
        live.put(entry.pid(), entry);
        try {
            stateFile.append(entry);
        } catch (IOException e) {
            log.error("cannot append to the state journal of {}: {}", stateFile.path(), e.toString());
        }
        scheduleWrite();
    }

    /**
     * The leader of {@code pid}'s group has exited and been reaped (seen at {@code exitSeenNanos},
     * {@link System#nanoTime}): the child is forgotten once its
     * whole group is gone, as its instance finds ({@link #groupGone}) or as this registry finds:
     * {@link #FIRST_LOOK_MS} ms later and then again, on this registry's own thread, every
     * {@link #RECHECK_MS} ms until it is (the remnants of a group are usually gone within one SIGKILL).
     * Until then the state file keeps it, so a manager killed meanwhile leaves it to the next one.
     */
    void leaderExited(long pid, long exitSeenNanos) {
        exited.put(pid, exitSeenNanos);
        // Not on the caller's thread (the reaper's): the reaper must go on telling the instances of
        // their exits meanwhile.
        if (lookQueued.compareAndSet(false, true)) {
            // At most one look per RECHECK_MS: exits that come one after another (a pool stopping,
            // its signals going out one by one) are looked at together, and ask for one /proc
            // pass, not one each (a look per exit asked for 75 passes in a stop of 500).
            // And never at once: the instance that owns the group asks the same question as it
            // sees the exit, and tells this registry (groupGone), so a look a moment later usually
            // finds nothing left to do. A look at once ran beside that instance's restart, on the
            // second core of two, reading the same /proc files (bench/analysis.md, "Eighth pass").
            long wait = Math.max(lastLook + TimeUnit.MILLISECONDS.toNanos(RECHECK_MS) - System.nanoTime(),
                    TimeUnit.MILLISECONDS.toNanos(FIRST_LOOK_MS));
            queue(this::look, TimeUnit.NANOSECONDS.toMillis(wait));
        }
    }

    /**
     * Every exited leader's group at once: the exits seen before a look began share one read of
     * {@code /proc} (see {@link Platform#groupAliveAfterExit}). A look per exit, each after the
     * exit seen since the last one, made stopping 500 instances read all of /proc 84 times on
     * this thread, each pass 15 ms here. A look does not wait for a read either
     * ({@link Platform#groupKnownGoneAfterExit}): a group not yet known gone is looked at again
     * {@link #RECHECK_MS} ms later.
     */
    private void look() {
        lookQueued.set(false);
        lastLook = System.nanoTime();
        boolean left = false;
        for (Map.Entry<Long, Long> e : List.copyOf(exited.entrySet())) {
            if (platform.groupKnownGoneAfterExit(e.getKey(), e.getValue())) {
                groupGone(e.getKey());
            } else {
                left = true;
            }
        }
        // Again in RECHECK_MS, unless an exit seen meanwhile has queued a look already.
        if (left && lookQueued.compareAndSet(false, true)) {
            queue(this::look, RECHECK_MS);
        }
    }

    private void queue(Runnable task, long afterMillis) {
        try {
            writer.schedule(task, afterMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the children not yet seen gone stay on record for the next manager
        }
    }

    /** Group {@code pid} is gone for good, as its owner found: forgotten now, without a look. */
    void groupGone(long pid) {
        exited.remove(pid);
        remove(pid);
    }

    /** How often a group whose leader has exited is looked at again. */
    static final long RECHECK_MS = 50;
    /** How long after an exit the first look waits at least (see {@link #leaderExited}). */
    static final long FIRST_LOOK_MS = 20;

    private void remove(long pid) {
        if (live.remove(pid) != null) {
            scheduleWrite();
            if (live.isEmpty()) {
                synchronized (emptied) {
                    emptied.notifyAll();
                }
            }
        }
    }

    int size() {
        return live.size();
    }

    /** Writes the file now, on the caller's thread (at startup and at close). */
    void writeNow() {
        write(false);
    }

    /**
     * @param closing the manager is letting go of the state dir: with no child left, the run id
     *     is left out, and the next manager has no run to look for (a clean stop costs the next
     *     start no scan of {@code /proc})
     */
    private void write(boolean closing) {
        try {
            List<StateFile.Entry> entries;
            long mark;
            // The children and the journal's mark are taken together, under the lock of the journal's
            // appends: a child added after this is in the journal past the mark, which stays.
            synchronized (stateFile) {
                entries = live.values().stream()
                        .sorted(Comparator.comparing(StateFile.Entry::service).thenComparingInt(StateFile.Entry::port)).toList();
                mark = stateFile.journalMark();
            }
            stateFile.write(new StateFile.Content(ProcessHandle.current().pid(),
                    closing && entries.isEmpty() ? null : run, entries), mark);
        } catch (IOException e) {
            log.error("cannot write the state file {}: {}", stateFile.path(), e.toString());
        }
    }

    private void scheduleWrite() {
        if (writeQueued.compareAndSet(false, true)) {
            try {
                writer.schedule(() -> {
                    writeQueued.set(false);
                    writeNow();
                }, WRITE_DELAY_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                writeQueued.set(false);
            }
        }
    }

    /** Stops the writer after a last write; the backstop hook stays until the JVM exits. */
    void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        write(true);
        stateFile.close();
        if (!live.isEmpty()) {
            return; // children still run: the backstop stays armed
        }
        try {
            Runtime.getRuntime().removeShutdownHook(backstop);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook runs anyway and finds nothing left.
        }
    }

    /** SIGKILLs every registered group now. */
    void killAll() {
        for (StateFile.Entry e : live.values()) {
            platform.signalGroup(e.pid(), Signal.KILL);
        }
    }

    /** SIGKILLs every registered group that a graceful stop has not removed within {@code grace}. */
    private void killAllAfter(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (emptied) {
            while (!live.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(emptied, left);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        for (StateFile.Entry e : live.values()) {
            System.err.println("procpool: JVM exiting with " + e.service() + ":" + e.port() + " pid " + e.pid()
                    + " still running; sending SIGKILL to its process group");
            platform.signalGroup(e.pid(), Signal.KILL);
        }
    }
}
