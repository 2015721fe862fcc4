package io.procpool.internal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The sweeps' own cadence: every second while anything is adopted, slower while nothing is. */
class OrphansTest {

    @Test
    void quietSweepsPauseTwiceAsLongUpToTheLongestPause() {
        assertEquals(2_000, Orphans.nextPause(Orphans.PERIOD_MS, 0));
        assertEquals(4_000, Orphans.nextPause(2_000, 0));
        assertEquals(Orphans.MAX_PERIOD_MS, Orphans.nextPause(Orphans.MAX_PERIOD_MS, 0));
    }

    @Test
    void anythingAdoptedBringsTheSweepsBackToEverySecond() {
        assertEquals(Orphans.PERIOD_MS, Orphans.nextPause(Orphans.MAX_PERIOD_MS, 1));
        assertEquals(Orphans.PERIOD_MS, Orphans.nextPause(Orphans.PERIOD_MS, 3));
    }
}
