package io.procpool.internal.supervision;

import io.procpool.config.ServiceSettings;
import io.procpool.spi.ProcessUsage;
import io.procpool.spi.ResourceSampler;
import io.procpool.internal.scaling.InstanceLoad;
import io.procpool.internal.scaling.ResourceGuard;
import io.procpool.internal.scaling.ScalingMetric;
import io.procpool.internal.scaling.ScalingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import io.procpool.spi.TrafficDoor;

/**
 * What a {@link PoolActor} knows of its instances' load: CPU rates computed from consecutive
 * samples of each instance's process tree, memory, and probe latency; and the state of the two
 * decisions made from them, the resource limits and autoscaling. Not an actor: it lives inside
 * the PoolActor and is only called from its handlers.
 */
final class LoadWatch {

    /** The previous CPU reading of one instance: only the same process gives a rate. */
    private record CpuMark(long pid, double cpuSeconds, long atNanos) {
    }

    private final Map<Integer, CpuMark> marks = new HashMap<>();
    private final Map<Integer, Double> cpuCores = new HashMap<>();
    private final Map<Integer, Long> rss = new HashMap<>();
    private ResourceGuard guard = ResourceGuard.EMPTY;
    private ScalingPolicy.State scaling = ScalingPolicy.State.INITIAL;
    /** The gateway, for the requests in flight to each instance (the {@code in-flight} metric). */
    private final TrafficDoor door;

    LoadWatch(TrafficDoor door) {
        this.door = door;
    }

    /** Takes in one sample; returns the instances that have now been over a limit for long enough. */
    List<ResourceGuard.Breach> onSample(ResourceSampler.Sample sample, Duration interval, List<Slot> ready,
                                        ServiceSettings service) {
        for (Slot slot : ready) {
            long pid = slot.pid.orElse(0);
            ProcessUsage usage = sample.byGroup().get(pid);
            if (usage == null) {
                continue;
            }
            CpuMark previous = marks.get(slot.port);
            if (previous != null && previous.pid() == pid && sample.atNanos() > previous.atNanos()) {
                double seconds = (sample.atNanos() - previous.atNanos()) / 1e9;
                cpuCores.put(slot.port, Math.max(0, usage.cpuSeconds() - previous.cpuSeconds()) / seconds);
            } else {
                cpuCores.remove(slot.port);
            }
            marks.put(slot.port, new CpuMark(pid, usage.cpuSeconds(), sample.atNanos()));
            rss.put(slot.port, usage.rssBytes());
        }
        if (!service.limits().any()) {
            return List.of();
        }
        var result = guard.sample(loads(ready), service.limits(), interval);
        guard = result.getKey();
        return result.getValue();
    }

    /** The loads of the ready instances, as far as they are known. */
    List<InstanceLoad> loads(List<Slot> ready) {
        List<InstanceLoad> out = new ArrayList<>();
        for (Slot slot : ready) {
            Double cpu = cpuCores.get(slot.port);
            out.add(new InstanceLoad(slot.port, cpu == null ? OptionalDouble.empty() : OptionalDouble.of(cpu),
                    rss.getOrDefault(slot.port, 0L),
                    slot.health.map(h -> OptionalDouble.of(h.lastLatencyMs())).orElse(OptionalDouble.empty())));
        }
        return out;
    }

    /**
     * One autoscaling sample: empty when the metric has nothing to go on yet, else the policy's
     * outcome and the observed value it was based on.
     */
    java.util.Optional<Map.Entry<ScalingPolicy.Outcome, Double>> scalingSample(ServiceSettings service, int current,
                                                                               List<Slot> ready) {
        OptionalDouble observed = observe(service, ready);
        if (observed.isEmpty()) {
            return java.util.Optional.empty();
        }
        ScalingPolicy.Outcome o = ScalingPolicy.decide(scaling, current, observed.getAsDouble(), service.scaling(),
                service.minProcesses(), service.maxProcesses());
        scaling = o.next();
        return java.util.Optional.of(Map.entry(o, observed.getAsDouble()));
    }

    /** The scaling metric per ready instance now, without a decision; empty when it has nothing to go on yet. */
    OptionalDouble observe(ServiceSettings service, List<Slot> ready) {
        List<InstanceLoad> loads = loads(ready);
        if (service.scaling().metric() == io.procpool.config.ScalingSettings.Metric.IN_FLIGHT) {
            loads = loads.stream().map(l -> new InstanceLoad(l.port(), l.cpuCores(), l.rssBytes(), l.probeLatencyMs(),
                    door.averageInFlight(service.name(), l.port()))).toList();
        }
        return ScalingMetric.of(service.scaling()).observe(loads);
    }

    /** After a scaling change or a reconfiguration the windows start over. */
    void resetScaling() {
        scaling = ScalingPolicy.State.INITIAL;
    }

    /** An instance's process was replaced: its readings no longer apply. */
    void forget(int port) {
        marks.remove(port);
        cpuCores.remove(port);
        rss.remove(port);
    }
}
