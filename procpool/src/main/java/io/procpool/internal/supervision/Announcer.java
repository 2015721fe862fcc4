package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.api.OperationEvent;
import io.procpool.api.PoolEvent;
import io.procpool.api.ScalingEvent;
import io.procpool.api.ServiceStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.slf4j.Logger;

/**
 * What a {@link PoolActor} tells the world, in one place: the log line of every transition, the
 * events ({@link PoolEvent}, {@link OperationEvent}, {@link ScalingEvent}) and the service's
 * status, published together and in that order (status first, so whoever reacts to an event and
 * asks for the status finds the event's outcome there).
 *
 * <p>Statuses are coalesced per burst. A status is every instance of the service, so publishing
 * one per transition while 500 instances start or stop at once is quadratic work and garbage. The
 * first change of a burst publishes at once and asks its pool for a flush (a message in its own
 * mailbox); changes that come before the flush comes up only mark the status dirty and go out
 * together with it.
 *
 * <p>Not thread-safe: it lives inside its pool actor and is used from its message handlers only.
 */
final class Announcer {

    private final Logger log;
    private final ActorSystem<?> system;
    private final ActorRef<ServiceStatus> listener;
    private final Supplier<ServiceStatus> status;
    private final Runnable requestFlush;
    /** Events of changes not yet published (they go out right after the status that includes them). */
    private final List<Object> pending = new ArrayList<>();
    /** A flush has been asked for and not yet seen. */
    private boolean flushPending;
    /** Changes happened since the last publication. */
    private boolean dirty;
    private Optional<OperationEvent> lastOperation = Optional.empty();

    /**
     * @param log where transitions are logged (the pool actor's logger)
     * @param system whose event stream gets the events; null: events are dropped (a silent pool)
     * @param listener receives every status
     * @param status builds the service's status now
     * @param requestFlush puts a flush into the pool's mailbox; the pool then calls {@link #flush}
     */
    Announcer(Logger log, ActorSystem<?> system, ActorRef<ServiceStatus> listener, Supplier<ServiceStatus> status,
              Runnable requestFlush) {
        this.log = log;
        this.system = system;
        this.listener = listener;
        this.status = status;
        this.requestFlush = requestFlush;
    }

    /** The pool's log (nothing for a silent pool): every line the pool writes goes through it. */
    Logger log() {
        return log;
    }

    /**
     * An instance changed state (or reported again in the same state): a log line, and a
     * {@link PoolEvent} when the state did change.
     */
    void transition(String service, int port, int restarts, InstanceState from, InstanceState to, OptionalLong pid,
                    String detail) {
        String pidText = pid.isPresent() ? " pid=" + pid.getAsLong() : "";
        String change = from == to ? to.name() : from + " -> " + to;
        String line = "{}:{} {}{} restarts={}: {}";
        Object[] args = {service, port, change, pidText, restarts, detail};
        if (to == InstanceState.FAILED) {
            log.error(line, args);
        } else if (to == InstanceState.BACKOFF || to == InstanceState.UNHEALTHY) {
            log.warn(line, args);
        } else {
            log.info(line, args);
        }
        if (from != to) {
            // A second report in the same state (STARTING, then STARTING with the pid once the
            // process exists) is logged and shown in the status, but is no transition.
            pending.add(new PoolEvent(Instant.now(), service, port, pid, from, to, detail));
        }
        soon();
    }

    /** An operation of some duration began. */
    void operationStarted(String service, String operation) {
        pending.add(new OperationEvent(Instant.now(), service, operation, Optional.empty()));
        soon();
    }

    /** An operation ended: an event, and the status keeps it as the last operation. */
    void operationEnded(String service, String operation, OpResult result) {
        OperationEvent ended = new OperationEvent(Instant.now(), service, operation, Optional.of(result));
        lastOperation = Optional.of(ended);
        pending.add(ended);
        soon();
    }

    /** An autoscaling decision. */
    void scaled(ScalingEvent event) {
        pending.add(event);
        soon();
    }

    /** The latest operation that ended, for the status. */
    Optional<OperationEvent> lastOperation() {
        return lastOperation;
    }

    /** Publishes at once when the pool is quiet; within a burst, with the flush that ends it. */
    void soon() {
        if (flushPending) {
            dirty = true;
            return;
        }
        now();
        flushPending = true;
        requestFlush.run();
    }

    /** The flush asked for has come up: publish what the burst changed since. */
    void flush() {
        flushPending = false;
        if (dirty) {
            now();
        }
    }

    /** Publishes the status now, then the events it includes. */
    void now() {
        dirty = false;
        listener.tell(status.get());
        if (system != null) {
            for (Object event : pending) {
                system.eventStream().tell(new EventStream.Publish<>(event));
            }
        }
        pending.clear();
    }
}
