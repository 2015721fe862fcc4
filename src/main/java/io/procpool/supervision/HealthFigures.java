package io.procpool.supervision;

import io.procpool.health.ProbeResult;
import java.time.Duration;

/**
 * The latest probe of an instance, as shown in its status.
 *
 * @param lastLatencyMs how long the last probe took, in ms (fractional)
 * @param consecutiveFailures failed probes in a row
 * @param lastError why the last probe failed, or null when it succeeded
 */
public record HealthFigures(double lastLatencyMs, int consecutiveFailures, String lastError) {

    static HealthFigures of(ProbeResult result, int consecutiveFailures) {
        return new HealthFigures(millis(result.latency()), consecutiveFailures, result.healthy() ? null : result.error());
    }

    /** Milliseconds with a tenth of a millisecond's precision. */
    static double millis(Duration d) {
        return Math.round(d.toNanos() / 100_000.0) / 10.0;
    }
}
