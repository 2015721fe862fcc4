package io.procpool.internal.scaling;

import io.procpool.config.LimitSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Per-instance resource limits as a pure value: counts, per port, the consecutive samples in
 * which an instance's process tree was above {@code max-rss} or {@code max-cpu}, and names the
 * instances that stayed above a limit for {@code for}. Counted in samples: no clock is read.
 *
 * @param over consecutive samples above a limit, by port
 */
public record ResourceGuard(Map<Integer, Integer> over) {

    public static final ResourceGuard EMPTY = new ResourceGuard(Map.of());

    public ResourceGuard {
        over = Map.copyOf(over);
    }

    /** A breach that has lasted long enough: the instance to replace and why. */
    public record Breach(int port, String reason) {
    }

    /** Folds one sample of every ready instance in; returns the next guard and the breaches due now. */
    public Map.Entry<ResourceGuard, List<Breach>> sample(List<InstanceLoad> loads, LimitSettings limits,
                                                        java.time.Duration interval) {
        Map<Integer, Integer> next = new HashMap<>();
        List<Breach> due = new java.util.ArrayList<>();
        int needed = ScalingPolicy.samples(limits.sustained(), interval);
        for (InstanceLoad load : loads) {
            Optional<String> why = breach(load, limits);
            if (why.isEmpty()) {
                continue;
            }
            int n = over.getOrDefault(load.port(), 0) + 1;
            if (n >= needed) {
                due.add(new Breach(load.port(), why.get() + " for " + io.procpool.config.Durations.format(limits.sustained())));
            } else {
                next.put(load.port(), n);
            }
        }
        return Map.entry(new ResourceGuard(next), due);
    }

    private static Optional<String> breach(InstanceLoad load, LimitSettings limits) {
        if (limits.maxRss() > 0 && load.rssBytes() > limits.maxRss()) {
            return Optional.of("RSS " + mib(load.rssBytes()) + " over max-rss " + mib(limits.maxRss()));
        }
        if (limits.maxCpu() > 0 && load.cpuCores().isPresent() && load.cpuCores().getAsDouble() > limits.maxCpu()) {
            return Optional.of(String.format(java.util.Locale.ROOT, "CPU %.2f cores over max-cpu %.2f",
                    load.cpuCores().getAsDouble(), limits.maxCpu()));
        }
        return Optional.empty();
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1fMiB", bytes / 1048576.0);
    }
}
