package io.procpool.api;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * One lifecycle or health transition of an instance, published on the actor system's event
 * stream for dashboards, scripts ({@code GET /events}) and embedding applications.
 *
 * @param time when the pool saw it (wall clock)
 * @param service the service
 * @param port the instance's port
 * @param pid the instance's process, when there is one
 * @param from the state before
 * @param to the state after
 * @param reason why
 */
public record PoolEvent(Instant time, String service, int port, OptionalLong pid, InstanceState from, InstanceState to,
                        String reason) implements Event {
}
