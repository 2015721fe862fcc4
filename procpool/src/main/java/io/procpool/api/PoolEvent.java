package io.procpool.api;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * One lifecycle or health transition of an instance, published on the actor system's event
 * stream for dashboards, scripts ({@code GET /events}) and embedding applications.
 *
 * @param time when the pool saw it (wall clock)
 * @param service the service
 * @param port the instance's port
 * @param pid the instance's process, when there is one
 * @param from the state before
 * @param to the state after
 * @param reason why
 * @param node the cluster node the instance runs on ({@code host:port} of its cluster address);
 *     empty on a pool that is not a node of a cluster
 */
public record PoolEvent(Instant time, String service, int port, OptionalLong pid, InstanceState from, InstanceState to,
                        String reason, String node) implements Event {

    public PoolEvent {
        java.util.Objects.requireNonNull(node, "node");
    }

    /** A transition on a pool that is not a node of a cluster. */
    public PoolEvent(Instant time, String service, int port, OptionalLong pid, InstanceState from, InstanceState to, String reason) {
        this(time, service, port, pid, from, to, reason, "");
    }

    /** This transition, as one on cluster node {@code node}. */
    public PoolEvent on(String node) {
        return new PoolEvent(time, service, port, pid, from, to, reason, node);
    }
}
