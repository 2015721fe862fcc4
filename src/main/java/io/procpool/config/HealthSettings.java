package io.procpool.config;

import java.time.Duration;

/**
 * The health probe of a service's instances.
 *
 * @param type what the probe does: an HTTP GET of {@code path}, a TCP connect, or nothing
 * @param path the HTTP path and query, such as {@code /?q=health}
 * @param interval time between probes once the instance has been healthy (fixed delay)
 * @param timeout the deadline of one probe
 * @param failureThreshold consecutive failures that make a started instance UNHEALTHY
 * @param successThreshold consecutive successes that make an instance HEALTHY
 * @param startPeriod time after spawn within which failures do not count
 * @param startInterval time between probes until the first success
 * @param expectStatus the HTTP statuses that count as healthy
 * @param keepAlive reuse the probe's HTTP connection to an instance while the instance keeps it
 *     open; false: a new connection for every probe
 */
public record HealthSettings(Type type, String path, Duration interval, Duration timeout,
                             int failureThreshold, int successThreshold, Duration startPeriod,
                             Duration startInterval, StatusRange expectStatus, boolean keepAlive) {

    /** What a probe does. */
    public enum Type {
        /** An HTTP GET on 127.0.0.1:PORT{path}; healthy when the status is in {@code expectStatus}. */
        HTTP,
        /** A TCP connect to 127.0.0.1:PORT; healthy when it is accepted. */
        TCP,
        /** No probe: a live process counts as ready. */
        NONE
    }

    /** True when the instance is probed at all. */
    public boolean probes() {
        return type != Type.NONE;
    }
}
