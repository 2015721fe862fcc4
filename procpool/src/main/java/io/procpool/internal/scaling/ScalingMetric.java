package io.procpool.internal.scaling;

import io.procpool.config.ScalingSettings;
import java.util.List;
import java.util.OptionalDouble;

/**
 * What autoscaling measures: turns the instances' loads into one observed value to compare
 * with a target. procpool ships {@link #CPU}, {@link #LATENCY} and {@link #IN_FLIGHT}.
 */
public interface ScalingMetric {

    /** The metric's name, for logs and events. */
    String name();

    /** The observed value over the instances, or empty when there is nothing to go on yet. */
    OptionalDouble observe(List<InstanceLoad> loads);

    /** The value to hold, in the same unit as {@link #observe}. */
    double target(ScalingSettings settings);

    /** CPU time per second of each instance's process tree, averaged, against {@code target} (cores). */
    ScalingMetric CPU = new ScalingMetric() {
        public String name() {
            return "cpu";
        }

        public OptionalDouble observe(List<InstanceLoad> loads) {
            return loads.stream().filter(l -> l.cpuCores().isPresent()).mapToDouble(l -> l.cpuCores().getAsDouble()).average();
        }

        public double target(ScalingSettings settings) {
            return settings.target();
        }
    };

    /** Health-probe latency in ms, averaged, against {@code target-latency}. */
    ScalingMetric LATENCY = new ScalingMetric() {
        public String name() {
            return "latency";
        }

        public OptionalDouble observe(List<InstanceLoad> loads) {
            return loads.stream().filter(l -> l.probeLatencyMs().isPresent())
                    .mapToDouble(l -> l.probeLatencyMs().getAsDouble()).average();
        }

        public double target(ScalingSettings settings) {
            return settings.targetLatency().toNanos() / 1e6;
        }
    };

    /**
     * Requests in flight through the gateway, averaged over the interval and the instances,
     * against {@code target-in-flight}: the policy then asks for ceil(total in flight / target).
     */
    ScalingMetric IN_FLIGHT = new ScalingMetric() {
        public String name() {
            return "in-flight";
        }

        public OptionalDouble observe(List<InstanceLoad> loads) {
            return loads.stream().filter(l -> l.inFlight().isPresent()).mapToDouble(l -> l.inFlight().getAsDouble()).average();
        }

        public double target(ScalingSettings settings) {
            return settings.targetInFlight();
        }
    };

    /** The metric a service's settings name. */
    static ScalingMetric of(ScalingSettings settings) {
        return switch (settings.metric()) {
            case LATENCY -> LATENCY;
            case IN_FLIGHT -> IN_FLIGHT;
            case CPU -> CPU;
        };
    }
}
