package io.procpool.config;

import java.time.Duration;
import java.util.Locale;

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
            return (ms % 1000 == 0 ? Long.toString(ms / 1000) : String.format(Locale.ROOT, "%.1f", ms / 1000.0)) + "s";
        }
        return (ms % 60_000 == 0 ? Long.toString(ms / 60_000) : String.format(Locale.ROOT, "%.1f", ms / 60_000.0)) + "m";
    }
}
