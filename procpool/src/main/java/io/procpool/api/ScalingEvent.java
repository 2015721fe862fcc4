package io.procpool.api;

import java.time.Instant;

/**
 * An autoscaling decision, published on the actor system's event stream with the inputs it was
 * made from.
 *
 * @param time when it was made (wall clock)
 * @param service the service
 * @param from the instance count before
 * @param to the instance count after
 * @param metric what was measured ({@code cpu}, {@code latency})
 * @param observed the observed value (cores per instance, or ms)
 * @param target the value to hold, in the same unit
 * @param reason the decision in words
 */
public record ScalingEvent(Instant time, String service, int from, int to, String metric, double observed, double target,
                           String reason) implements Event {
}
