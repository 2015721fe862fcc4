package io.procpool.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What is known of one instance at one moment; immutable, safe to hand to any thread.
 *
 * @param port the instance's port
 * @param pid its process, while there is one
 * @param state its state
 * @param restarts how often it has been restarted since the service started
 * @param startedNanos when its process started, by the pool's monotonic clock; 0 when not running
 * @param lastExit how its last process ended, if one has
 * @param reason the reason given for its last state change
 * @param health its latest probe, when it has been probed
 * @param command the command line it runs, {@code {port}} substituted
 * @param logFile where its output goes
 * @param exits its last few process ends, newest first
 */
public record InstanceStatus(int port, OptionalLong pid, InstanceState state, int restarts, long startedNanos,
                             Optional<ExitStatus> lastExit, String reason, Optional<HealthFigures> health,
                             List<String> command, Path logFile, List<ExitRecord> exits) {

    /** Copies the lists: a status is immutable. */
    public InstanceStatus {
        command = List.copyOf(command);
        exits = List.copyOf(exits);
    }

    /** How long its process had been running at {@code atNanos} (the pool's clock), in ms; 0 when none runs. */
    public long uptimeMillis(long atNanos) {
        return startedNanos == 0 || !state.live() ? 0 : Math.max(0, (atNanos - startedNanos) / 1_000_000);
    }

    /** True when the instance should get traffic: HEALTHY, or RUNNING for a service without probes. */
    public boolean ready() {
        return state == InstanceState.HEALTHY || state == InstanceState.RUNNING;
    }
}
