package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link InstanceActor#coalesced}: probe timers land on a shared grid, never early. */
class ProbeCoalescingTest {

    private static final Duration GRID = Duration.ofMillis(100);
    private static final long MS = 1_000_000;

    private static long due(Duration delay, long nowNanos) {
        return nowNanos + InstanceActor.coalesced(delay, nowNanos, GRID).toNanos();
    }

    @Test
    void probesOfDifferentInstancesDueInTheSameGridCellFallDueTogether() {
        Duration second = Duration.ofSeconds(1);
        long a = due(second, 1_000 * MS + 3 * MS);
        long b = due(second, 1_000 * MS + 71 * MS);
        assertEquals(a, b);
        assertEquals(2_100 * MS, a);
    }

    @Test
    void aProbeIsNeverEarlierThanItsIntervalAndAtMostATenthLater() {
        Duration second = Duration.ofSeconds(1);
        for (long now = -5_000 * MS; now < 5_000 * MS; now += 7_777_777) {
            long d = InstanceActor.coalesced(second, now, GRID).toNanos();
            assertEquals(true, d >= second.toNanos() && d < second.toNanos() + 100 * MS, "delay " + d + " at " + now);
            assertEquals(0, Math.floorMod(now + d, 100 * MS), "on the grid");
        }
    }

    @Test
    void theGridIsATenthOfTheIntervalWhenThatIsFiner() {
        // start-interval 100ms: a 10 ms grid
        long d = InstanceActor.coalesced(Duration.ofMillis(100), 3 * MS, GRID).toNanos();
        assertEquals(110 * MS - 3 * MS, d);
    }

    @Test
    void noGridForTinyIntervalsOrAZeroGrid() {
        assertEquals(Duration.ofMillis(5), InstanceActor.coalesced(Duration.ofMillis(5), 3 * MS, GRID));
        assertEquals(Duration.ofSeconds(1), InstanceActor.coalesced(Duration.ofSeconds(1), 3 * MS, Duration.ZERO));
    }
}
