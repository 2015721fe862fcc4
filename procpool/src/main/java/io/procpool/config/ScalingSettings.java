package io.procpool.config;

import java.time.Duration;

/**
 * Automatic scaling of a service between its min and max (off unless {@code enabled}).
 *
 * @param enabled false: the instance count changes only by command
 * @param metric what is measured
 * @param target the per-instance value to hold: CPU utilisation in cores (0.6 = 60 % of one
 *     core per instance) for {@code cpu}
 * @param targetLatency the probe latency to hold, for {@code latency}
 * @param targetInFlight the requests in flight through the gateway to hold per instance, for
 *     {@code in-flight} (Knative's concurrency target)
 * @param upAfter how long the signal must ask for more instances before they are started
 * @param downAfter how long it must ask for fewer before instances are stopped
 * @param interval how often the metric is sampled
 * @param tolerance no change while the observed value is within this fraction of the target
 */
public record ScalingSettings(boolean enabled, Metric metric, double target, Duration targetLatency, double targetInFlight,
                              Duration upAfter, Duration downAfter, Duration interval, double tolerance) {

    /** What autoscaling measures. */
    public enum Metric {
        /** CPU time of each instance's process tree per second, averaged over the instances. */
        CPU,
        /** Health-probe latency, averaged over the instances, against {@code target-latency}. */
        LATENCY,
        /** Requests in flight through the gateway, averaged over the interval and the instances, against {@code target-in-flight}. */
        IN_FLIGHT
    }
}
