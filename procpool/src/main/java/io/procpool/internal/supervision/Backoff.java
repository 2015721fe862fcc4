package io.procpool.internal.supervision;

import io.procpool.config.RestartSettings;
import java.time.Duration;

/**
 * The restart delay schedule as a pure function: {@code min(maxBackoff, minBackoff * 2^n)},
 * stretched by a random {@code 0..randomFactor} of itself (jitter, so that instances that crashed
 * together do not restart together). The random number is an input, so tests choose it.
 */
public final class Backoff {

    private Backoff() {
    }

    /** The delay before restart number {@code n + 1} after {@code n} consecutive restarts, before jitter. */
    public static Duration base(RestartSettings s, int n) {
        if (s.minBackoff().isZero()) {
            return Duration.ZERO;
        }
        double nanos = s.minBackoff().toNanos() * Math.pow(2, Math.min(n, 62));
        return nanos >= s.maxBackoff().toNanos() ? s.maxBackoff() : Duration.ofNanos((long) nanos);
    }

    /** The largest delay jitter can stretch {@link #base} to. */
    public static Duration upper(RestartSettings s, int n) {
        return Duration.ofNanos((long) (base(s, n).toNanos() * (1.0 + s.randomFactor())));
    }

    /** The delay before restart number {@code n + 1}: {@link #base}, stretched by {@code random} (0..1) of the jitter. */
    public static Duration jittered(RestartSettings s, int n, double random) {
        long base = base(s, n).toNanos();
        return Duration.ofNanos(base + (long) (base * s.randomFactor() * random));
    }

    /** {@code "100ms"}, {@code "1.5s"}, {@code "2m"}: durations as people write them. */
    public static String format(Duration d) {
        return io.procpool.config.Durations.format(d);
    }
}
