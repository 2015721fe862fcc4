package io.procpool.internal.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.NoLogging$;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/** The scheduler procpool's own actor system runs on: order, cancel, repeat, close. */
class DeadlineSchedulerTest {

    private final DeadlineScheduler scheduler = new DeadlineScheduler(ConfigFactory.empty(), NoLogging$.MODULE$,
            Executors.defaultThreadFactory());
    /** Runs tasks on the timer thread itself, so their order is the order they fell due. */
    private final ExecutionContext direct = ExecutionContext.fromExecutor(Runnable::run);

    @AfterEach
    void close() {
        scheduler.close();
    }

    private static FiniteDuration ms(long millis) {
        return FiniteDuration.create(millis, TimeUnit.MILLISECONDS);
    }

    @Test
    void runsTasksInTheOrderTheyFallDueNotTheOrderTheyWereScheduled() throws InterruptedException {
        List<Integer> order = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(3);
        // Delays far apart: the three calls must all be made before the first falls due, and a
        // loaded 2-core machine has been seen to hold this thread for more than 30 ms between them.
        scheduler.scheduleOnce(ms(900), () -> { order.add(30); all.countDown(); }, direct);
        scheduler.scheduleOnce(ms(300), () -> { order.add(10); all.countDown(); }, direct);
        scheduler.scheduleOnce(ms(600), () -> { order.add(20); all.countDown(); }, direct);
        assertTrue(all.await(10, TimeUnit.SECONDS));
        assertEquals(List.of(10, 20, 30), order);
    }

    @Test
    void aZeroDelayRunsAtOnceOnTheCallersExecutionContextAndCannotBeCancelled() {
        AtomicInteger ran = new AtomicInteger();
        Cancellable c = scheduler.scheduleOnce(ms(0), ran::incrementAndGet, direct);
        assertEquals(1, ran.get());
        assertFalse(c.cancel());
    }

    @Test
    void aCancelledTaskNeverRuns() throws InterruptedException {
        AtomicInteger cancelledRan = new AtomicInteger();
        CountDownLatch later = new CountDownLatch(1);
        // Cancelled long before it falls due, however slowly this thread is scheduled.
        Cancellable c = scheduler.scheduleOnce(ms(500), cancelledRan::incrementAndGet, direct);
        assertTrue(c.cancel());
        assertTrue(c.isCancelled());
        assertFalse(c.cancel(), "a second cancel reports that nothing was cancelled");
        // A task due after the cancelled one has run: the cancelled one would have run before it.
        scheduler.scheduleOnce(ms(1000), later::countDown, direct);
        assertTrue(later.await(10, TimeUnit.SECONDS));
        assertEquals(0, cancelledRan.get());
    }

    @Test
    @SuppressWarnings("deprecation")
    void aRepeatedTaskRepeatsUntilCancelled() throws InterruptedException {
        CountDownLatch three = new CountDownLatch(3);
        Cancellable c = scheduler.schedule(ms(1), ms(1), three::countDown, direct);
        assertTrue(three.await(10, TimeUnit.SECONDS));
        assertTrue(c.cancel());
        assertTrue(c.isCancelled());
    }

    @Test
    void closeRunsThePendingTasksMarkedRunOnCloseAndNoOthers() {
        AtomicInteger onClose = new AtomicInteger();
        AtomicInteger plain = new AtomicInteger();
        scheduler.scheduleOnce(ms(60_000), (Scheduler.TaskRunOnClose) onClose::incrementAndGet, direct);
        scheduler.scheduleOnce(ms(60_000), plain::incrementAndGet, direct);
        Cancellable cancelled = scheduler.scheduleOnce(ms(60_000), (Scheduler.TaskRunOnClose) onClose::incrementAndGet,
                direct);
        cancelled.cancel();
        scheduler.close();
        assertEquals(1, onClose.get());
        assertEquals(0, plain.get());
    }

    @Test
    void schedulingAfterCloseIsAnIllegalState() {
        scheduler.close();
        assertThrows(IllegalStateException.class, () -> scheduler.scheduleOnce(ms(10), () -> { }, direct));
        assertThrows(IllegalStateException.class, () -> scheduler.scheduleOnce(ms(0), () -> { }, direct));
    }

    @Test
    void anActorSystemRunsItsTimersOnIt() {
        ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString(
                "pekko.scheduler.implementation = \"" + DeadlineScheduler.class.getName() + "\""));
        try {
            assertTrue(kit.system().classicSystem().scheduler() instanceof DeadlineScheduler);
            TestProbe<String> probe = kit.createTestProbe();
            kit.spawn(Behaviors.<String>withTimers(timers -> {
                timers.startSingleTimer("late", Duration.ofMillis(20));
                timers.startSingleTimer("early", Duration.ofMillis(5));
                return Behaviors.receiveMessage(m -> {
                    probe.ref().tell(m);
                    return Behaviors.same();
                });
            }));
            assertEquals("early", probe.receiveMessage());
            assertEquals("late", probe.receiveMessage());
        } finally {
            kit.shutdownTestKit();
        }
    }
}
