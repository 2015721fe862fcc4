package io.procpool.config;

import java.time.Duration;

/** Durations as people write them: {@code 100ms}, {@code 1.5s}, {@code 2m}, {@code 1m45s}. */
public final class Durations {

    private Durations() {
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return (ms % 1000 == 0 ? Long.toString(ms / 1000) : tenths(ms, 1000)) + "s";
        }
        // Above a minute, to the second: "1m45s" says what "1.8m" rounds away.
        long seconds = Math.round(ms / 1000.0);
        return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
    }

    /** {@code value / unit} to one decimal, rounded half up as {@code %.1f} does; without Formatter, which is slow. */
    private static String tenths(long value, long unit) {
        long t = Math.round(value * 10.0 / unit);
        return (t / 10) + "." + (t % 10);
    }
}
