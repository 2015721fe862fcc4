package io.procpool.config;

import java.time.Duration;

/**
 * The health probe of a service's instances: what it checks ({@link ProbeSpec}, one per kind of
 * probe) and when, the same for every kind.
 *
 * @param probe what a probe checks, and how ({@code http}, {@code tcp}, {@code exec}, {@code none})
 * @param interval time between probes once the instance has been healthy (fixed delay)
 * @param timeout the deadline of one probe
 * @param failureThreshold consecutive failures that make a started instance UNHEALTHY
 * @param successThreshold consecutive successes that make an instance HEALTHY
 * @param startPeriod time after spawn within which failures do not count
 * @param startInterval time between probes until the first success
 */
public record HealthSettings(ProbeSpec probe, Duration interval, Duration timeout, int failureThreshold,
                             int successThreshold, Duration startPeriod, Duration startInterval) {

    /** True when the instance is probed at all. */
    public boolean probes() {
        return probe.probes();
    }
}
