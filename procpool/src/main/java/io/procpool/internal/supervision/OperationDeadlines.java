package io.procpool.internal.supervision;

import io.procpool.config.ServiceSettings;
import java.time.Duration;

/**
 * How long a service's operations may wait before they give up and say why. The instances
 * themselves already bound every wait (a stop ends in SIGKILL, a start that never passes its probe
 * ends UNHEALTHY after {@code health-check.start-period}); these deadlines are the backstop that
 * makes sure an operation answers even if something it waits for never comes, as a rolling
 * restart once waited forever for a FAILED instance that had nothing to stop.
 */
final class OperationDeadlines {

    /** What a step may take beyond its instances' own bounds: the launch, probe timeouts, a busy machine. */
    static final Duration MARGIN = Duration.ofSeconds(60);

    private OperationDeadlines() {
    }

    /**
     * One step of a rolling restart: the old instance's drain, its stop ({@code stop.timeout}, then SIGKILL
     * and its wait), the replacement's start until it is ready or declared UNHEALTHY
     * ({@code health-check.start-period}), and the margin.
     */
    static Duration rollStep(ServiceSettings s) {
        return s.drain().longest().plus(s.stop().timeout()).plus(InstanceActor.KILL_TIMEOUT).plus(s.health().startPeriod()).plus(MARGIN);
    }

    /** A stop of every instance: its drain, {@code stop.timeout}, then SIGKILL and its wait, and 10 s. */
    static Duration stop(ServiceSettings s) {
        return s.drain().longest().plus(s.stop().timeout()).plus(InstanceActor.KILL_TIMEOUT).plus(Duration.ofSeconds(10));
    }
}
