package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The time integral behind the in-flight scaling metric, on a manual clock. */
class BackendTest {

    @Test
    void theAverageInFlightIsTheTimeIntegralBetweenTwoAsks() {
        AtomicLong now = new AtomicLong(1_000);
        Backend b = new Backend("svc", 8000, now::get);
        assertTrue(b.averageSinceAsked().isEmpty(), "nothing to average at the first ask");
        b.begin();
        b.begin();
        now.addAndGet(500);          // 2 in flight for 500 ns
        b.end();
        now.addAndGet(500);          // 1 in flight for 500 ns
        assertEquals(1.5, b.averageSinceAsked().getAsDouble(), 1e-9);
        now.addAndGet(1_000);        // still 1 in flight
        assertEquals(1.0, b.averageSinceAsked().getAsDouble(), 1e-9);
        b.end();
        now.addAndGet(1_000);
        assertEquals(0.0, b.averageSinceAsked().getAsDouble(), 1e-9);
    }
}
