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
