package io.procpool.internal.supervision;

import io.procpool.api.Event;
import io.procpool.api.PoolEvent;
import io.procpool.api.Subscription;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.slf4j.LoggerFactory;

/**
 * Delivery of a pool's {@link Event}s, from the actor system's event stream where its pools
 * publish them: to a listener (behind a small actor) or as a stream source. Events of other pools
 * in the same actor system are filtered out by service name.
 */
final class PoolEvents {

    private static final AtomicLong LISTENERS = new AtomicLong();
    /** Events buffered for a stream's slow consumer before the oldest are dropped. */
    private static final int BUFFER = 1024;

    private enum Unsubscribe {
        INSTANCE
    }

    private PoolEvents() {
    }

    /**
     * Calls {@code listener} with every event of {@code type} of the pool's services from now on,
     * until the subscription is closed. "From now on" is exact: the event stream hears of the
     * subscription before anything the caller does next (it is told here, not in the listener's
     * setup, which runs later), so a pool started right after it misses none of its start.
     */
    static <T extends Event> Subscription subscribe(ActorSystem<?> system, Class<T> type, Predicate<String> mine, Consumer<? super T> listener) {
        Behavior<Object> behavior = Behaviors.receive(Object.class)
                .onMessage(type, e -> deliver(e, mine, listener))
                .onMessageEquals(Unsubscribe.INSTANCE, Behaviors::stopped)
                .build();
        ActorRef<Object> ref = system.systemActorOf(behavior, "procpool-listener-" + LISTENERS.incrementAndGet(), Props.empty());
        system.eventStream().tell(new EventStream.Subscribe<>(type, ref.narrow()));
        return () -> ref.tell(Unsubscribe.INSTANCE);
    }

    private static <T extends Event> Behavior<Object> deliver(T e, Predicate<String> mine, Consumer<? super T> listener) {
        if (mine.test(e.service())) {
            try {
                listener.accept(e);
            } catch (RuntimeException failure) {
                LoggerFactory.getLogger(PoolEvents.class).warn("a pool event listener failed on {}", e, failure);
            }
        }
        return Behaviors.same();
    }

    /** Every event of {@code type} of the pool's services from now on. */
    static <T extends Event> Source<T, NotUsed> source(ActorSystem<?> system, Class<T> type, Predicate<String> mine) {
        return ActorSource.<T>actorRef(e -> false, e -> Optional.empty(), BUFFER, OverflowStrategy.dropHead())
                .mapMaterializedValue(ref -> {
                    system.eventStream().tell(new EventStream.Subscribe<>(type, ref));
                    return ref;
                })
                .watchTermination((ref, done) -> {
                    io.procpool.internal.Stages.here(done).whenComplete((d, t) -> system.eventStream().tell(new EventStream.Unsubscribe<>(ref)));
                    return NotUsed.notUsed();
                })
                .filter(e -> mine.test(e.service()));
    }
}
