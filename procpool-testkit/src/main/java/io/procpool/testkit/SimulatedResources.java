package io.procpool.testkit;

import io.procpool.spi.ProcessUsage;
import io.procpool.spi.ResourceSampler;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link ResourceSampler} over {@link SimulatedProcess}es: each live process has used its
 * {@link SimulatedProcess#load} CPU for as long as it has run (in the launcher's clock), and
 * holds its memory. Drives autoscaling on CPU and resource limits in simulations.
 */
public final class SimulatedResources implements ResourceSampler {

    private final SimulatedLauncher launcher;

    public SimulatedResources(SimulatedLauncher launcher) {
        this.launcher = launcher;
    }

    @Override
    public CompletionStage<Sample> sample(Collection<Long> groups) {
        long now = launcher.now();
        Map<Long, ProcessUsage> out = new HashMap<>();
        for (long pid : groups) {
            launcher.byPid(pid).filter(SimulatedProcess::alive).ifPresent(p -> out.put(pid, new ProcessUsage(
                    p.cpuCores() * (now - p.launchedAtNanos()) / 1e9, p.rssBytes(), 1)));
        }
        return CompletableFuture.completedFuture(new Sample(out, now));
    }
}
