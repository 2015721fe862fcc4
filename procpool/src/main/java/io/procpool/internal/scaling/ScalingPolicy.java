package io.procpool.internal.scaling;

import io.procpool.config.ScalingSettings;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The autoscaling decision as a pure function of samples, modelled on Kubernetes' horizontal pod
 * autoscaler: each sample recommends {@code clamp(min, max, ceil(current * observed / target))}
 * (the current count while {@code observed} is within {@code tolerance} of {@code target}); a
 * change happens only when every sample for {@code up-after} (more instances) or
 * {@code down-after} (fewer) has asked for it, and then to the most cautious recommendation of
 * that window: the smallest increase, the smallest decrease.
 *
 * <p>Time is counted in samples, one per {@code interval}: no clock is read.
 */
public final class ScalingPolicy {

    private ScalingPolicy() {
    }

    /**
     * The recommendations so far.
     *
     * @param above consecutive samples that asked for more instances
     * @param minAbove the smallest count those asked for
     * @param below consecutive samples that asked for fewer
     * @param maxBelow the largest count those asked for
     */
    public record State(int above, int minAbove, int below, int maxBelow) {
        public static final State INITIAL = new State(0, Integer.MAX_VALUE, 0, 0);
    }

    /**
     * One sample's outcome.
     *
     * @param next the state to keep for the next sample
     * @param recommendation what this sample alone asks for
     * @param scaleTo the count to scale to now, if a change is due
     */
    public record Outcome(State next, int recommendation, OptionalInt scaleTo) {
    }

    /** The count one sample asks for. */
    public static int recommend(int current, double observed, double target, double tolerance, int min, int max) {
        int base = Math.max(current, 1);
        double ratio = observed / target;
        if (Math.abs(ratio - 1.0) <= tolerance) {
            return clamp(current, min, max);
        }
        return clamp((int) Math.ceil(base * ratio - 1e-9), min, max);
    }

    /** Folds one sample into {@code state}. */
    public static Outcome decide(State state, int current, double observed, ScalingSettings s, int min, int max) {
        int rec = recommend(current, observed, ScalingMetric.of(s).target(s), s.tolerance(), min, max);
        if (rec > current) {
            State next = new State(state.above() + 1, Math.min(state.minAbove(), rec), 0, 0);
            if (next.above() >= samples(s.upAfter(), s.interval())) {
                return new Outcome(State.INITIAL, rec, OptionalInt.of(next.minAbove()));
            }
            return new Outcome(next, rec, OptionalInt.empty());
        }
        if (rec < current) {
            State next = new State(0, Integer.MAX_VALUE, state.below() + 1, Math.max(state.maxBelow(), rec));
            if (next.below() >= samples(s.downAfter(), s.interval())) {
                return new Outcome(State.INITIAL, rec, OptionalInt.of(next.maxBelow()));
            }
            return new Outcome(next, rec, OptionalInt.empty());
        }
        return new Outcome(State.INITIAL, rec, OptionalInt.empty());
    }

    /** How many consecutive samples span {@code window} (at least one). */
    static int samples(Duration window, Duration interval) {
        return (int) Math.max(1, Math.ceil(window.toNanos() / (double) interval.toNanos()));
    }

    private static int clamp(int n, int min, int max) {
        return Math.max(min, Math.min(max, n));
    }
}
