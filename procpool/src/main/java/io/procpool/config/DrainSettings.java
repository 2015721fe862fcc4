package io.procpool.config;

import java.time.Duration;

/**
 * What happens between "this instance will be stopped" and the stop signal, for every planned stop
 * (a roll, a scale-down, a reload, {@code stop}, shutdown): the instance leaves the ready set at
 * once, then procpool waits {@code delay} (for proxies that poll the ready set), then until the
 * gateway has no request in flight to it or {@code timeout} has passed.
 *
 * @param delay a fixed wait after the instance left the ready set; zero by default
 * @param timeout the longest wait for its in-flight requests to finish
 */
public record DrainSettings(Duration delay, Duration timeout) {

    /** The longest a planned stop may wait before its signal. */
    public Duration longest() {
        return delay.plus(timeout);
    }
}
