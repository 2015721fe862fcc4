package io.procpool.internal.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.LimitSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ResourceGuardTest {

    private static final LimitSettings LIMITS = new LimitSettings(50L << 20, 1.5, Duration.ofSeconds(2));
    private static final Duration EVERY_SECOND = Duration.ofSeconds(1);

    private static InstanceLoad load(int port, double cpu, long rssMiB) {
        return new InstanceLoad(port, OptionalDouble.of(cpu), rssMiB << 20, OptionalDouble.empty());
    }

    @Test
    void anInstanceOverALimitForTheWholeWindowIsNamed() {
        var first = ResourceGuard.EMPTY.sample(List.of(load(1, 0.1, 80), load(2, 0.1, 10)), LIMITS, EVERY_SECOND);
        assertEquals(List.of(), first.getValue());
        assertEquals(Map.of(1, 1), first.getKey().over());
        var second = first.getKey().sample(List.of(load(1, 0.1, 81), load(2, 0.1, 10)), LIMITS, EVERY_SECOND);
        assertEquals(1, second.getValue().size());
        ResourceGuard.Breach b = second.getValue().get(0);
        assertEquals(1, b.port());
        assertTrue(b.reason().startsWith("RSS 81.0MiB over max-rss 50.0MiB for 2s"), b.reason());
        assertEquals(Map.of(), second.getKey().over(), "counting starts over for the replacement");
    }

    @Test
    void dippingBelowTheLimitStartsTheCountOver() {
        var a = ResourceGuard.EMPTY.sample(List.of(load(1, 2.0, 1)), LIMITS, EVERY_SECOND);
        var b = a.getKey().sample(List.of(load(1, 1.0, 1)), LIMITS, EVERY_SECOND);
        var c = b.getKey().sample(List.of(load(1, 2.0, 1)), LIMITS, EVERY_SECOND);
        assertEquals(List.of(), c.getValue());
        var d = c.getKey().sample(List.of(load(1, 2.0, 1)), LIMITS, EVERY_SECOND);
        assertTrue(d.getValue().get(0).reason().startsWith("CPU 2.00 cores over max-cpu 1.50"));
    }
}
