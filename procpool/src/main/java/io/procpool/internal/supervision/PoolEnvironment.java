package io.procpool.internal.supervision;

import io.procpool.spi.HealthProbe;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.spi.ProcessLauncher;
import io.procpool.spi.ResourceSampler;
import io.procpool.spi.TrafficDoor;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The seams the supervision tree runs against, handed down from the root to every instance:
 * the real operating system and network in production, fakes in tests and simulations.
 *
 * @param launcher starts child processes
 * @param probe probes instances' health
 * @param logDir where instances' output goes
 * @param metrics where restarts and probe durations are counted
 * @param resources samples the instances' CPU and memory (for autoscaling and limits)
 * @param clock the monotonic clock uptimes are measured with, in nanoseconds ({@code System::nanoTime};
 *     virtual time in a simulation)
 * @param probeGrid the coarsest grid probe timers are coalesced on (see
 *     {@link InstanceActor#coalesced}); zero: every probe exactly on its interval
 * @param random numbers in [0, 1) that place each restart delay within its jitter
 * @param door the door traffic comes through (the gateway), drained before each planned stop
 */
public record PoolEnvironment(ProcessLauncher launcher, HealthProbe probe, Path logDir, PoolMetrics metrics,
                              ResourceSampler resources, LongSupplier clock, java.time.Duration probeGrid,
                              java.util.function.DoubleSupplier random, TrafficDoor door) {

    /** No door: planned stops wait only their {@code drain.delay}. */
    public PoolEnvironment(ProcessLauncher launcher, HealthProbe probe, Path logDir, PoolMetrics metrics,
                           ResourceSampler resources, LongSupplier clock, java.time.Duration probeGrid,
                           java.util.function.DoubleSupplier random) {
        this(launcher, probe, logDir, metrics, resources, clock, probeGrid, random, TrafficDoor.NONE);
    }

    /** This environment with traffic coming through {@code door}. */
    public PoolEnvironment withDoor(TrafficDoor door) {
        return new PoolEnvironment(launcher, probe, logDir, metrics, resources, clock, probeGrid, random, door);
    }

    /** Probe timers coalesced on a grid of at most 100 ms, on {@code clock}; jitter from a random source. */
    public PoolEnvironment(ProcessLauncher launcher, HealthProbe probe, Path logDir, PoolMetrics metrics,
                           ResourceSampler resources, LongSupplier clock) {
        this(launcher, probe, logDir, metrics, resources, clock, InstanceActor.PROBE_GRID, PoolEnvironment::jitter);
    }

    /**
     * The real clock, and probes exactly on their interval: for tests on Pekko's ManualTime, whose
     * timers the real clock's grid does not line up with.
     */
    public PoolEnvironment(ProcessLauncher launcher, HealthProbe probe, Path logDir, PoolMetrics metrics,
                           ResourceSampler resources) {
        this(launcher, probe, logDir, metrics, resources, System::nanoTime, java.time.Duration.ZERO, PoolEnvironment::jitter);
    }

    private static double jitter() {
        return java.util.concurrent.ThreadLocalRandom.current().nextDouble();
    }

    /** An environment with a fresh metrics registry, no resource sampling and the real clock. */
    public PoolEnvironment(ProcessLauncher launcher, HealthProbe probe, Path logDir) {
        this(launcher, probe, logDir, new PoolMetrics(), ResourceSampler.NONE);
    }
}
