package io.procpool.supervision;

import io.procpool.InstanceState;
import io.procpool.InstanceStatus;
import io.procpool.HealthFigures;
import io.procpool.ExitRecord;
import io.procpool.process.ExitStatus;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link PoolActor} knows of one of its service's ports. Mutable, and never leaves the
 * actor: what others see is the immutable {@link InstanceStatus} of {@link #status}.
 */
final class Slot {

    private static final int EXITS_KEPT = 5;

    final int port;
    /** The instance actor on this port, while there is one (also while it stops or backs off). */
    ActorRef<InstanceActor.Command> ref;
    /** Part of the service's desired set: an instance should run here. */
    boolean assigned;
    /** Order of the latest spawn, to find the newest instance. */
    long spawnSeq;
    InstanceState state = InstanceState.STOPPED;
    OptionalLong pid = OptionalLong.empty();
    long startedNanos;
    Optional<ExitStatus> lastExit = Optional.empty();
    String reason = "";
    Optional<HealthFigures> health = Optional.empty();
    final Deque<ExitRecord> exits = new ArrayDeque<>();
    int restarts;
    /** Consecutive restarts without a stable run, as Pekko's supervisor counts them (for logs). */
    int consecutive;
    /** This instance is being stopped to be started again on its port at once (a roll, a restart of a FAILED one). */
    boolean respawnAfterStop;
    /** How that restart counts in the metrics. */
    io.procpool.metrics.PoolMetrics.RestartReason respawnReason;
    /** Why its latest process was restarted by supervision or FAILED: exit or unhealthy (a cooldown retry counts so). */
    io.procpool.metrics.PoolMetrics.RestartReason failCause = io.procpool.metrics.PoolMetrics.RestartReason.EXIT;
    /** Why it was last told to stop, for the STOPPED it ends in. */
    String stopReason;
    /** The settings its instance actor was spawned with: its command, and its supervisor's restart budget. */
    io.procpool.config.ServiceSettings spawnedWith;

    Slot(int port) {
        this.port = port;
    }

    /** True when its instance is ready for traffic: HEALTHY, or RUNNING for a service without probes. */
    boolean ready() {
        return ref != null && (state == InstanceState.HEALTHY || state == InstanceState.RUNNING);
    }

    /** True when no instance actor exists and none should: the port may take a new instance. */
    boolean free() {
        return !assigned && ref == null;
    }

    void recordExit(ExitRecord exit) {
        exits.addFirst(exit);
        while (exits.size() > EXITS_KEPT) {
            exits.removeLast();
        }
    }

    /** Forgets the process: nothing runs on this port now. */
    void clearProcess() {
        pid = OptionalLong.empty();
        startedNanos = 0;
    }

    /** The command line and log file shown in the status, computed once per settings (statuses are frequent). */
    private io.procpool.config.ServiceSettings shownFor;
    private List<String> command;
    private Path logFile;

    InstanceStatus status(io.procpool.config.ServiceSettings settings, Path logDir) {
        if (shownFor != settings) {
            shownFor = settings;
            command = settings.commandFor(port);
            logFile = logDir.resolve(settings.name() + "-" + port + ".log");
        }
        return new InstanceStatus(port, pid, state, restarts, startedNanos, lastExit, reason, health, command, logFile,
                List.copyOf(exits));
    }
}
