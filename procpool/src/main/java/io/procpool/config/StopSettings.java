package io.procpool.config;

import java.time.Duration;

/**
 * How an instance is stopped: {@code signal} to its whole process group, then SIGKILL when
 * {@code timeout} has passed without the group being gone.
 */
public record StopSettings(Signal signal, Duration timeout) {
}
