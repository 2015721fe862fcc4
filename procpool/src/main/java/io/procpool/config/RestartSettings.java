package io.procpool.config;

import java.time.Duration;

/**
 * How an instance is restarted after it exits unexpectedly or fails its health checks.
 *
 * @param minBackoff delay before the first restart; doubles with each consecutive restart.
 *     Zero disables backoff entirely (every restart is immediate)
 * @param maxBackoff the cap of the doubling delay (before jitter)
 * @param randomFactor jitter: each delay is stretched by a random 0..randomFactor of itself
 * @param resetAfter a run this long is stable: the backoff and the restart budget start over
 * @param maxRestarts consecutive restarts without a stable run before the instance is FAILED
 * @param cooldown how long a FAILED instance waits before it is tried again; zero means never
 */
public record RestartSettings(Duration minBackoff, Duration maxBackoff, double randomFactor,
                              Duration resetAfter, int maxRestarts, Duration cooldown) {

    /** True when a FAILED instance is retried at all. */
    public boolean retriesAfterCooldown() {
        return !cooldown.isZero();
    }
}
