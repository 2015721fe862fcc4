package io.procpool.config;

import java.time.Duration;

/** Durations as people write them: {@code 100ms}, {@code 1.5s}, {@code 2m}. */
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
        return (ms % 60_000 == 0 ? Long.toString(ms / 60_000) : tenths(ms, 60_000)) + "m";
    }

    /** {@code value / unit} to one decimal, rounded half up as {@code %.1f} does; without Formatter, which is slow. */
    private static String tenths(long value, long unit) {
        long t = Math.round(value * 10.0 / unit);
        return (t / 10) + "." + (t % 10);
    }
}
