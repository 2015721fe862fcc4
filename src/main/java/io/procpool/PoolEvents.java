package io.procpool;

import io.procpool.api.PoolEvent;

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
 * Delivery of a pool's {@link PoolEvent}s to an application: a listener (behind a small actor
 * subscribed to the actor system's event stream) or a stream source. Events of other pools in
 * the same actor system are filtered out by service name.
 */
final class PoolEvents {

    private static final AtomicLong LISTENERS = new AtomicLong();

    private enum Unsubscribe {
        INSTANCE
    }

    private PoolEvents() {
    }

    static ProcessPool.Subscription subscribe(ActorSystem<?> system, Predicate<String> mine, Consumer<PoolEvent> listener) {
        Behavior<Object> behavior = Behaviors.setup(ctx -> {
            ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(PoolEvent.class, ctx.getSelf().narrow()));
            return Behaviors.receive(Object.class)
                    .onMessage(PoolEvent.class, e -> deliver(e, mine, listener))
                    .onMessageEquals(Unsubscribe.INSTANCE, Behaviors::stopped)
                    .build();
        });
        ActorRef<Object> ref = system.systemActorOf(behavior, "procpool-listener-" + LISTENERS.incrementAndGet(), Props.empty());
        return () -> ref.tell(Unsubscribe.INSTANCE);
    }

    private static Behavior<Object> deliver(PoolEvent e, Predicate<String> mine, Consumer<PoolEvent> listener) {
        if (mine.test(e.service())) {
            try {
                listener.accept(e);
            } catch (RuntimeException failure) {
                LoggerFactory.getLogger(PoolEvents.class).warn("a pool event listener failed on {}", e, failure);
            }
        }
        return Behaviors.same();
    }

    static Source<PoolEvent, NotUsed> source(ActorSystem<?> system, Predicate<String> mine) {
        return ActorSource.<PoolEvent>actorRef(e -> false, e -> Optional.empty(), 1024, OverflowStrategy.dropHead())
                .mapMaterializedValue(ref -> {
                    system.eventStream().tell(new EventStream.Subscribe<>(PoolEvent.class, ref));
                    return ref;
                })
                .watchTermination((ref, done) -> {
                    done.whenComplete((d, t) -> system.eventStream().tell(new EventStream.Unsubscribe<>(ref)));
                    return NotUsed.notUsed();
                })
                .filter(e -> mine.test(e.service()));
    }
}
