package io.procpool.api;

/**
 * The latest probe of an instance, as shown in its status.
 *
 * @param lastLatencyMs how long the last probe took, in ms (fractional)
 * @param consecutiveFailures failed probes in a row
 * @param lastError why the last probe failed, or null when it succeeded
 */
public record HealthFigures(double lastLatencyMs, int consecutiveFailures, String lastError) {
}
