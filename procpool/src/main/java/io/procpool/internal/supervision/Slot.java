package io.procpool.internal.supervision;

import io.procpool.api.ExitRecord;
import io.procpool.api.HealthFigures;
import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.config.CommandLine;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.metrics.PoolMetrics.RestartReason;
import io.procpool.api.ExitStatus;
import io.procpool.spi.LaunchSpec;
import io.procpool.internal.process.LogFiles;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link PoolActor} knows of one of its service's ports. Mutable, written by its pool actor
 * alone, and never leaves it: what others see is the immutable {@link InstanceStatus} of
 * {@link #status} and the {@link Roll.SlotView} of {@link #view}.
 */
final class Slot {

    private static final int EXITS_KEPT = 5;

    /** What the pool wants of the instance it has told to stop. */
    enum Intent {
        /** Nothing asked: an end is unexpected (a crash, failed probes) and goes by the restart budget. */
        NONE,
        /** Stop it: scaled down, the service stopped, its port removed, a roll retiring it. */
        STOP,
        /** Stop it and start it again on this port at once, with a fresh budget (a roll in place, a restart). */
        RESPAWN
    }

    final int port;
    /** The instance actor on this port, while there is one (from spawn to its {@link InstanceActor.Ended}). */
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
    /** Processes started here to take the place of an earlier one (see docs/api.md, "restarts"). */
    int restarts;
    /** The restart budget: the one count that decides BACKOFF or FAILED, and that the status shows. */
    RestartBudget budget = RestartBudget.fresh();
    /** Why the latest process was restarted or FAILED: a cooldown's retry counts under it too. */
    RestartReason failCause = RestartReason.EXIT;
    Intent intent = Intent.NONE;
    /** With {@link Intent#RESPAWN}: how the new start counts in the metrics. */
    RestartReason respawnReason = RestartReason.MANUAL;
    /** Identifies the pending restart or cooldown timer, so that a stale one is ignored. */
    long wakeToken;
    /** The settings its current instance was spawned with: its command, for the status. */
    ServiceSettings spawnedWith;

    /** How to start this port's process, worked out once per settings (a restart reuses it). */
    private ServiceSettings specFor;
    private LaunchSpec spec;
    private String starting;

    Slot(int port) {
        this.port = port;
    }

    /** The launch spec of this port under {@code settings}: the same object while the settings are. */
    LaunchSpec spec(ServiceSettings settings, Path logDir) {
        prepare(settings, logDir);
        return spec;
    }

    /** How an instance of {@code settings} on {@code port} is started ({@link HeadStart} asks before the pool exists). */
    static LaunchSpec specOf(ServiceSettings settings, int port, Path logDir) {
        return new LaunchSpec(settings.name(), port, settings.commandFor(port), settings.workingDir(),
                settings.envFor(port), LogFiles.of(logDir, settings.name(), port), settings.log(), settings.runAs());
    }

    /** "starting CMD", the reason of an instance's first report. */
    String starting(ServiceSettings settings, Path logDir) {
        prepare(settings, logDir);
        return starting;
    }

    private void prepare(ServiceSettings settings, Path logDir) {
        if (specFor != settings) {
            specFor = settings;
            spec = specOf(settings, port, logDir);
            starting = "starting " + CommandLine.render(spec.command());
        }
    }

    /** True when its instance is ready for traffic: HEALTHY, or RUNNING for a service without probes. */
    boolean ready() {
        return ref != null && (state == InstanceState.HEALTHY || state == InstanceState.RUNNING);
    }

    /** True when no instance actor exists and none should: the port may take a new instance. */
    boolean free() {
        return !assigned && ref == null;
    }

    Roll.SlotView view() {
        return new Roll.SlotView(port, assigned, ref != null, state, spawnSeq, reason);
    }

    void recordExit(ExitRecord exit) {
        exits.addFirst(exit);
        while (exits.size() > EXITS_KEPT) {
            exits.removeLast();
        }
    }

    /**
     * Takes state {@code to}: a process that has started is timed from its first word; one that
     * is gone (or not yet started) is forgotten.
     */
    void enter(InstanceState to, OptionalLong newPid, String detail, long nowNanos) {
        if (newPid.isPresent()) {
            pid = newPid;
        }
        boolean started = to == InstanceState.RUNNING || to == InstanceState.HEALTHY || to == InstanceState.STARTING && newPid.isPresent();
        if (started && startedNanos == 0) {
            startedNanos = nowNanos;
        }
        if (!to.live() || to == InstanceState.STARTING && newPid.isEmpty()) {
            pid = OptionalLong.empty();
            startedNanos = 0;
        }
        state = to;
        reason = detail;
    }

    /** The command line and log file shown in the status, computed once per settings (statuses are frequent). */
    private ServiceSettings shownFor;
    private List<String> shownCommand;
    private Path shownLog;

    /** The instance's status; a running instance shows what it was started with (a roll may not have reached it yet). */
    InstanceStatus status(ServiceSettings service, Path logDir) {
        ServiceSettings shown = ref != null && spawnedWith != null ? spawnedWith : service;
        if (shownFor != shown) {
            shownFor = shown;
            shownCommand = shown.commandFor(port);
            shownLog = LogFiles.of(logDir, shown.name(), port);
        }
        return new InstanceStatus(port, pid, state, restarts, startedNanos, lastExit, reason, health, shownCommand, shownLog,
                List.copyOf(exits));
    }
}
