package io.procpool.api;

import java.time.Instant;
import java.util.Optional;

/**
 * An operation on a service (a rolling restart, a stop, a start, a scale, a replacement over a
 * resource limit) that began or ended; published on the actor system's event stream beside the
 * {@link PoolEvent}s, and the latest ended one is kept in {@link ServiceStatus#lastOperation()}.
 * An operation that was refused (409, 400) changed nothing and is no event.
 *
 * @param time when the pool saw it (wall clock)
 * @param service the service
 * @param operation what it is, for people ("rolling restart", "service stop", ...)
 * @param result empty when it has just begun; how it ended, once it has
 */
public record OperationEvent(Instant time, String service, String operation, Optional<OpResult> result) implements Event {

    /** True once the operation is over. */
    public boolean ended() {
        return result.isPresent();
    }
}
