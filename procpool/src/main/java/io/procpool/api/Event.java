package io.procpool.api;

import java.time.Instant;

/**
 * Something that happened in a pool, as it is published: an instance's transition
 * ({@link PoolEvent}), an autoscaling decision ({@link ScalingEvent}) or an operation that began
 * or ended ({@link OperationEvent}).
 */
public sealed interface Event permits PoolEvent, ScalingEvent, OperationEvent {

    /** When the pool saw it (wall clock). */
    Instant time();

    /** The service it concerns. */
    String service();
}
