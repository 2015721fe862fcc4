package io.procpool.api;

import java.util.List;

/** A service's state as a whole, derived from its instances. */
public enum ServiceState {
    /** Every desired instance is ready. */
    RUNNING,
    /** Some desired instances are not ready (starting, backing off, failed, unhealthy). */
    DEGRADED,
    /** No desired instance can run: all are FAILED. */
    FAILED,
    /** No instance is desired. */
    STOPPED,
    /**
     * Not started yet: it waits for a service of its {@code depends-on} to have an instance ready
     * (the status's operation names which). Set by the root, never derived by {@link #of}.
     */
    WAITING,
    /** Configured with {@code enabled = false}. */
    DISABLED;

    /** The state of a service that wants {@code desired} instances and has {@code instances}. */
    public static ServiceState of(int desired, List<InstanceStatus> instances) {
        if (desired == 0) {
            return STOPPED;
        }
        long ready = instances.stream().filter(InstanceStatus::ready).count();
        if (ready >= desired) {
            return RUNNING;
        }
        if (ready == 0 && !instances.isEmpty() && instances.stream().allMatch(i -> i.state() == InstanceState.FAILED)) {
            return FAILED;
        }
        return DEGRADED;
    }
}
