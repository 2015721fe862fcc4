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
 * @param node the cluster node it runs on ({@code host:port} of the node's cluster address); empty
 *     when the pool is not a node of a cluster
 * @param host the address it is reached at: {@code 127.0.0.1} on a pool alone, the node's
 *     {@code cluster.advertise-host} in a cluster
 */
public record InstanceStatus(int port, OptionalLong pid, InstanceState state, int restarts, long startedNanos,
                             Optional<ExitStatus> lastExit, String reason, Optional<HealthFigures> health,
                             List<String> command, Path logFile, List<ExitRecord> exits, String node, String host) {

    /** The host of an instance of a pool that is not a node of a cluster. */
    public static final String LOOPBACK = "127.0.0.1";

    /** Copies the lists: a status is immutable. */
    public InstanceStatus {
        command = List.copyOf(command);
        exits = List.copyOf(exits);
        java.util.Objects.requireNonNull(node, "node");
        java.util.Objects.requireNonNull(host, "host");
    }

    /** An instance of a pool that is not a node of a cluster: on this machine's loopback. */
    public InstanceStatus(int port, OptionalLong pid, InstanceState state, int restarts, long startedNanos,
                          Optional<ExitStatus> lastExit, String reason, Optional<HealthFigures> health,
                          List<String> command, Path logFile, List<ExitRecord> exits) {
        this(port, pid, state, restarts, startedNanos, lastExit, reason, health, command, logFile, exits, "", LOOPBACK);
    }

    /** This status, as an instance of cluster node {@code node}, reached at {@code host}. */
    public InstanceStatus on(String node, String host) {
        return new InstanceStatus(port, pid, state, restarts, startedNanos, lastExit, reason, health, command, logFile, exits, node, host);
    }

    /** {@code host:port}, where a proxy sends its requests. */
    public String address() {
        return host + ":" + port;
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
