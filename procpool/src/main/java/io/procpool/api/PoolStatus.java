package io.procpool.api;

import java.util.List;

/**
 * Every configured service at one moment, in configuration order; immutable.
 *
 * @param services the services
 * @param atNanos the moment, by the pool's monotonic clock (for uptimes)
 */
public record PoolStatus(List<ServiceStatus> services, long atNanos) {

    /** Copies the list: a status is immutable. */
    public PoolStatus {
        services = List.copyOf(services);
    }

    /** The services with fewer ready instances than they need ({@link ServiceStatus#required()}), in order. */
    public List<ServiceStatus> notReady() {
        return services.stream().filter(s -> !s.readyEnough()).toList();
    }
}
