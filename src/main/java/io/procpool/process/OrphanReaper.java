package io.procpool.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * are the leader's orphans: Linux does not hand out a number still in use as a process group id,
 * so group {@code pid} cannot belong to anyone else.
 *
 * <p>Blocks until the orphans are gone or {@code timeout} (then SIGKILL) plus a grace has passed:
 * call it from a thread that may block, before the actors start.
 */
public final class OrphanReaper {

    private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private OrphanReaper() {
    }

    /**
     * Stops every recorded child that is still alive: SIGTERM to its group, SIGKILL after
     * {@code timeout}.
     *
     * @return how many process groups were found and stopped
     */
    public static int reap(List<StateFile.Entry> recorded, Duration timeout) {
        List<StateFile.Entry> alive = new ArrayList<>();
        for (StateFile.Entry e : recorded) {
            if (e.pid() <= 1) {
                continue;
            }
            Optional<ProcessTable.Stat> now = ProcessTable.stat(e.pid());
            if (now.isPresent() && now.get().live()) {
                if (e.startInstant() == null || !now.get().startInstant().equals(e.startInstant())) {
                    log.debug("pid {} ({}:{}) now belongs to another process; leaving it alone", e.pid(), e.service(), e.port());
                    continue;
                }
                log.warn("{}:{} pid {} survived an earlier manager; stopping it before its port is reused",
                        e.service(), e.port(), e.pid());
                Posix.killGroup(e.pid(), Signal.TERM.number());
                alive.add(e);
            } else if (Posix.groupExists(e.pid())) {
                log.warn("{}:{} children of pid {} survived an earlier manager; killing them", e.service(), e.port(), e.pid());
                Posix.killGroup(e.pid(), Signal.KILL.number());
                alive.add(e);
            }
        }
        if (!alive.isEmpty()) {
            awaitGone(alive, timeout);
            List<StateFile.Entry> stubborn = alive.stream().filter(e -> Posix.groupExists(e.pid())).toList();
            for (StateFile.Entry e : stubborn) {
                log.warn("{}:{} pid {} ignored SIGTERM for {}; sending SIGKILL", e.service(), e.port(), e.pid(), timeout);
                Posix.killGroup(e.pid(), Signal.KILL.number());
            }
            if (!stubborn.isEmpty() && !awaitGone(stubborn, KILL_GRACE)) {
                log.error("processes of an earlier run would not die even after SIGKILL: {}", stubborn);
            }
        }
        return alive.size();
    }

    /** Waits (polling: nothing notifies us of a non-child's death) until every group is gone. */
    private static boolean awaitGone(List<StateFile.Entry> entries, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (entries.stream().anyMatch(e -> Posix.groupExists(e.pid()))) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        return true;
    }
}
