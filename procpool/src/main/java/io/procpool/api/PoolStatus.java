package io.procpool.api;

import java.util.List;
import java.util.Optional;

/**
 * Every configured service at one moment, in configuration order; immutable.
 *
 * @param services the services
 * @param atNanos the moment, by the pool's monotonic clock (for uptimes)
 * @param cluster on a cluster node, the cluster's side of the picture: its nodes, what the
 *     cluster could not place, and what this node refuses to run; empty on a pool alone
 */
public record PoolStatus(List<ServiceStatus> services, long atNanos, Optional<ClusterStatus> cluster) {

    /** Copies the list: a status is immutable. */
    public PoolStatus {
        services = List.copyOf(services);
    }

    /** The status of a pool that is not a node of a cluster. */
    public PoolStatus(List<ServiceStatus> services, long atNanos) {
        this(services, atNanos, Optional.empty());
    }

    /** The services with fewer ready instances than they need ({@link ServiceStatus#required()}), in order. */
    public List<ServiceStatus> notReady() {
        return services.stream().filter(s -> !s.readyEnough()).toList();
    }
}
