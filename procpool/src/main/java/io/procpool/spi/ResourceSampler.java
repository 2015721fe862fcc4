package io.procpool.spi;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Samples what the instances' process groups cost: the seam behind autoscaling on CPU and the
 * resource limits. The real one asks the {@link Platform} on a blocking executor; simulations
 * script their own.
 *
 * <p>Contract: never blocks its caller; the stage completes with the usage of every group that
 * has a live member (a group that is gone is absent), and the moment of the sample on the
 * monotonic clock, so that CPU time can be turned into a rate.
 */
public interface ResourceSampler {

    /**
     * One sample.
     *
     * @param byGroup usage by process group id (the instance's pid)
     * @param atNanos when it was taken, {@code System.nanoTime()} for the real sampler
     */
    record Sample(Map<Long, ProcessUsage> byGroup, long atNanos) {
        public Sample {
            byGroup = Map.copyOf(byGroup);
        }
    }

    /** A sampler that sees nothing (no autoscaling on CPU, no limits). */
    ResourceSampler NONE = groups -> CompletableFuture.completedFuture(new Sample(Map.of(), 0));

    /** Samples {@code groups}. */
    CompletionStage<Sample> sample(Collection<Long> groups);

    /** The real sampler: the platform's reading of every group at once, on {@code blocking}. */
    static ResourceSampler of(Platform platform, Executor blocking) {
        return groups -> CompletableFuture.supplyAsync(() -> new Sample(platform.usage(groups), System.nanoTime()), blocking);
    }
}
