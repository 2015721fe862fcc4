package io.procpool.internal.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.api.Event;
import io.procpool.api.InstanceState;
import io.procpool.api.OperationEvent;
import io.procpool.api.PoolEvent;
import io.procpool.api.Subscription;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class PoolEventsTest {

    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private static PoolEvent transition(String service, int port) {
        return new PoolEvent(Instant.EPOCH, service, port, OptionalLong.empty(), InstanceState.STOPPED, InstanceState.STARTING, "test");
    }

    @Test
    void aListenerHearsWhatIsPublishedRightAfterItSubscribedAndOnlyItsPoolsServices() throws Exception {
        LinkedBlockingQueue<Event> heard = new LinkedBlockingQueue<>();
        Subscription s = PoolEvents.subscribe(KIT.system(), Event.class, "web"::equals, heard::add);
        // Published by this thread at once: a pool started right after a subscription is heard from its first event.
        PoolEvent first = transition("web", 8000);
        OperationEvent op = new OperationEvent(Instant.EPOCH, "web", "restart", Optional.empty());
        KIT.system().eventStream().tell(new EventStream.Publish<>(first));
        KIT.system().eventStream().tell(new EventStream.Publish<>(transition("another-pools-service", 9000)));
        KIT.system().eventStream().tell(new EventStream.Publish<>(op));
        assertEquals(first, heard.poll(10, TimeUnit.SECONDS));
        assertEquals(op, heard.poll(10, TimeUnit.SECONDS));
        s.close();
    }

    /**
     * The subscription reaches the event stream before anything the caller publishes next, even
     * when no dispatcher thread is free to run the listener's setup until later: the one thread of
     * this system is held while the caller subscribes and publishes. A subscription told from the
     * listener's setup would reach the stream after the event, and miss it.
     */
    @Test
    void theSubscriptionIsInPlaceWhenSubscribeReturnsNotWhenTheListenerFirstRuns() throws Exception {
        ActorTestKit oneThread = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
                "pekko.actor.default-dispatcher { executor = thread-pool-executor, thread-pool-executor.fixed-pool-size = 1 }"));
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try {
            oneThread.system().executionContext().execute(() -> {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertEquals(true, held.await(10, TimeUnit.SECONDS), "the dispatcher's one thread is held");
            LinkedBlockingQueue<Event> heard = new LinkedBlockingQueue<>();
            Subscription s = PoolEvents.subscribe(oneThread.system(), Event.class, name -> true, heard::add);
            PoolEvent first = transition("web", 8000);
            oneThread.system().eventStream().tell(new EventStream.Publish<>(first));
            release.countDown();
            assertEquals(first, heard.poll(10, TimeUnit.SECONDS));
            s.close();
        } finally {
            release.countDown();
            oneThread.shutdownTestKit();
        }
    }

    @Test
    void aListenerOfTransitionsHearsOnlyTransitions() throws Exception {
        LinkedBlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
        Subscription s = PoolEvents.subscribe(KIT.system(), PoolEvent.class, name -> true, heard::add);
        KIT.system().eventStream().tell(new EventStream.Publish<>(new OperationEvent(Instant.EPOCH, "web", "stop", Optional.empty())));
        PoolEvent t = transition("web", 8001);
        KIT.system().eventStream().tell(new EventStream.Publish<>(t));
        assertEquals(t, heard.poll(10, TimeUnit.SECONDS));
        assertEquals(List.of(), List.copyOf(heard));
        s.close();
    }
}
