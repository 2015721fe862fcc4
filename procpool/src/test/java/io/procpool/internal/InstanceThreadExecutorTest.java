package io.procpool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The instances' dispatcher runs on one thread that knows itself, and only that thread does. */
class InstanceThreadExecutorTest {

    private final ActorTestKit kit = ActorTestKit.create();

    record Where(Thread thread, boolean instanceThread) {
    }

    private static Behavior<ActorRef<Where>> where() {
        return Behaviors.receiveMessage(replyTo -> {
            replyTo.tell(new Where(Thread.currentThread(), Threads.outlivesItsChildren()));
            return Behaviors.same();
        });
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void everyActorOnTheInstancesDispatcherRunsOnItsOneThreadWhichKnowsItself() {
        TestProbe<Where> probe = kit.createTestProbe();
        ActorRef<ActorRef<Where>> a = kit.spawn(where(), "a", Dispatchers.instances());
        ActorRef<ActorRef<Where>> b = kit.spawn(where(), "b", Dispatchers.instances());
        a.tell(probe.ref());
        Where first = probe.receiveMessage();
        b.tell(probe.ref());
        Where second = probe.receiveMessage();
        a.tell(probe.ref());
        Where third = probe.receiveMessage();
        assertTrue(first.instanceThread());
        assertEquals(first.thread(), second.thread());
        assertEquals(first.thread(), third.thread());
        assertTrue(first.thread().getName().contains(Dispatchers.INSTANCES), first.thread().getName());
    }

    @Test
    void otherThreadsAreNot() {
        TestProbe<Where> probe = kit.createTestProbe();
        kit.spawn(where(), "elsewhere", DispatcherSelector.defaultDispatcher()).tell(probe.ref());
        assertFalse(probe.receiveMessage().instanceThread());
        kit.spawn(where(), "blocking", Dispatchers.blocking()).tell(probe.ref());
        assertFalse(probe.receiveMessage().instanceThread());
        assertFalse(Threads.outlivesItsChildren());
    }
}
