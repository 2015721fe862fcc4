package io.procpool.spi;

import java.time.Duration;

/**
 * The outcome of one probe.
 *
 * @param healthy true when the instance answered as expected within the deadline
 * @param latency how long the probe took, as measured (monotonic clock)
 * @param error what went wrong, for people ("HTTP 500", "connection refused", "timed out after
 *     300ms"); null when healthy
 * @param ran false when the prober did not run the probe at all (it was behind): no evidence
 *     either way, so it counts neither for nor against the instance
 */
public record ProbeResult(boolean healthy, Duration latency, String error, boolean ran) {

    /** The outcome of a probe that ran. */
    public ProbeResult(boolean healthy, Duration latency, String error) {
        this(healthy, latency, error, true);
    }

    public static ProbeResult ok(Duration latency) {
        return new ProbeResult(true, latency, null);
    }

    public static ProbeResult failed(Duration latency, String error) {
        return new ProbeResult(false, latency, error);
    }

    /**
     * A probe the prober could not run in time, because of its own load: the instance is probed
     * again at its next interval, and this one is not counted. A prober answers so rather than run
     * a probe late and blame its own lateness on the instance.
     */
    public static ProbeResult notRun(String why) {
        return new ProbeResult(false, Duration.ZERO, why, false);
    }

    /** The reason of an answer with a status that does not count as healthy; every prober words it so. */
    public static String unexpectedStatus(int status, io.procpool.config.StatusRange expected) {
        return "HTTP " + status + " (expected " + expected + ")";
    }

    /** The reason of a probe that ran out of its own deadline. */
    public static String timedOut(Duration timeout) {
        return "timed out after " + timeout.toMillis() + "ms";
    }

    /** The reason of a connection-level failure, from the text of the exception(s) behind it. */
    public static String connectionFailure(String text, String fallback) {
        if (text.contains("Connection refused")) {
            return "connection refused";
        }
        if (text.contains("reset")) {
            return "connection reset";
        }
        if (text.contains("Broken pipe")) {
            return "connection closed by the instance";
        }
        return fallback.length() > 200 ? fallback.substring(0, 200) : fallback;
    }

    /** The latency in milliseconds, to a tenth of a millisecond. */
    public double latencyMillis() {
        return Math.round(latency.toNanos() / 100_000.0) / 10.0;
    }

    /** The figures a status shows after this probe. */
    public io.procpool.api.HealthFigures figures(int consecutiveFailures) {
        return new io.procpool.api.HealthFigures(latencyMillis(), consecutiveFailures, healthy ? null : error);
    }
}
