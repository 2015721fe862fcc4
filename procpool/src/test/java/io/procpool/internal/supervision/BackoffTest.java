package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.RestartSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static RestartSettings settings(String min, String max, double factor, int maxRestarts) {
        return new RestartSettings(Duration.parse(min), Duration.parse(max), factor, Duration.ofSeconds(30), maxRestarts,
                Duration.ofMinutes(5));
    }

    @Test
    void doublesFromMinimumUpToTheCap() {
        RestartSettings s = settings("PT0.1S", "PT1S", 0.2, 10);
        assertEquals(Duration.ofMillis(100), Backoff.base(s, 0));
        assertEquals(Duration.ofMillis(200), Backoff.base(s, 1));
        assertEquals(Duration.ofMillis(800), Backoff.base(s, 3));
        assertEquals(Duration.ofSeconds(1), Backoff.base(s, 4));
        assertEquals(Duration.ofSeconds(1), Backoff.base(s, 1000));
    }

    @Test
    void jitterStretchesByAtMostTheRandomFactor() {
        RestartSettings s = settings("PT0.1S", "PT30S", 0.2, 10);
        assertEquals(Duration.ofMillis(120), Backoff.upper(s, 0));
        assertEquals(Duration.ofMillis(480), Backoff.upper(s, 2));
    }

    @Test
    void zeroMinimumMeansEveryRestartIsImmediate() {
        RestartSettings s = settings("PT0S", "PT30S", 0.2, 10);
        assertEquals(Duration.ZERO, Backoff.base(s, 0));
        assertEquals(Duration.ZERO, Backoff.upper(s, 7));
    }

    @Test
    void jitterPlacesTheDelayWithinItsRange() {
        RestartSettings s = settings("PT0.1S", "PT30S", 0.2, 10);
        assertEquals(Duration.ofMillis(100), Backoff.jittered(s, 0, 0.0));
        assertEquals(Duration.ofMillis(110), Backoff.jittered(s, 0, 0.5));
        assertEquals(Duration.ofMillis(440), Backoff.jittered(s, 2, 0.5));
        assertTrue(Backoff.jittered(s, 2, 0.999).compareTo(Backoff.upper(s, 2)) < 0);
    }

    @Test
    void defaultsGiveNoMoreThanTenRestartsInTheFirstFiveSeconds() {
        RestartSettings s = settings("PT0.1S", "PT30S", 0.0, 10);
        Duration elapsed = Duration.ZERO;
        int restarts = 0;
        while (true) {
            elapsed = elapsed.plus(Backoff.base(s, restarts));
            if (elapsed.compareTo(Duration.ofSeconds(5)) > 0) {
                break;
            }
            restarts++;
        }
        assertEquals(5, restarts);
    }

    @Test
    void formatsDurationsAsPeopleWriteThem() {
        assertEquals("100ms", Backoff.format(Duration.ofMillis(100)));
        assertEquals("1.5s", Backoff.format(Duration.ofMillis(1500)));
        assertEquals("30s", Backoff.format(Duration.ofSeconds(30)));
        assertEquals("5m", Backoff.format(Duration.ofMinutes(5)));
    }
}
