package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.config.GatewaySettings.Balance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The choice, the queue and the drain of one service, on a manual clock and manual timers. */
class ServiceTrafficTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Scheduled> timers = new ArrayList<>();
    private final AtomicInteger queued = new AtomicInteger();

    private record Scheduled(long at, Runnable task, boolean[] cancelled) {
    }

    private final ServiceTraffic traffic = new ServiceTraffic("svc", new Balancer(Balance.ROUND_ROBIN, b -> 0), queued, 2,
            (delay, task) -> {
                boolean[] cancelled = {false};
                timers.add(new Scheduled(now.get() + delay.toNanos(), task, cancelled));
                return () -> cancelled[0] = true;
            }, now::get);

    /** Moves the clock on by {@code d} and runs the timers that came due. */
    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
        List<Scheduled> due = timers.stream().filter(t -> t.at() <= now.get() && !t.cancelled()[0]).toList();
        timers.removeAll(due);
        due.forEach(t -> t.task().run());
    }

    private static <T> T done(CompletionStage<T> stage) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        assertTrue(f.isDone(), "answered");
        return f.join();
    }

    @Test
    void onlyReadyInstancesAreChosen() {
        traffic.onState(8000, InstanceState.STARTING);
        traffic.onState(8001, InstanceState.STARTING);
        assertNull(traffic.tryAcquire(new Tried()));
        traffic.onState(8001, InstanceState.HEALTHY);
        assertEquals(8001, traffic.tryAcquire(new Tried()).port());
        traffic.onState(8000, InstanceState.RUNNING);
        assertEquals(2, traffic.choosable().length);
        traffic.onState(8001, InstanceState.UNHEALTHY);
        assertEquals(8000, traffic.tryAcquire(new Tried()).port());
    }

    @Test
    void aRequestWaitsForAReadyInstanceAndIsServedWhenOneIs() {
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.acquire(new Tried(), Duration.ofSeconds(10));
        assertFalse(waiting.toCompletableFuture().isDone());
        assertEquals(1, traffic.waiting());
        assertEquals(1, queued.get());
        traffic.onState(8000, InstanceState.STARTING);
        assertFalse(waiting.toCompletableFuture().isDone(), "STARTING is not ready");
        traffic.onState(8000, InstanceState.HEALTHY);
        assertEquals(8000, done(waiting).backend().port());
        assertEquals(0, queued.get());
        assertEquals(1, traffic.inFlight(8000));
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutIsToldSo() {
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.acquire(new Tried(), Duration.ofSeconds(10));
        advance(Duration.ofSeconds(9));
        assertFalse(waiting.toCompletableFuture().isDone());
        advance(Duration.ofSeconds(1));
        assertEquals(ServiceTraffic.NoBackend.TIMED_OUT, done(waiting).none());
        assertEquals(0, queued.get());
        assertEquals(0, traffic.waiting());
    }

    @Test
    void theQueueIsBounded() {
        traffic.acquire(new Tried(), Duration.ofSeconds(10));
        traffic.acquire(new Tried(), Duration.ofSeconds(10));
        assertEquals(ServiceTraffic.NoBackend.QUEUE_FULL, done(traffic.acquire(new Tried(), Duration.ofSeconds(10))).none());
        assertEquals(2, queued.get());
    }

    @Test
    void aDrainedInstanceIsNeverChosenAndTheDrainEndsWithItsLastRequest() {
        traffic.onState(8000, InstanceState.HEALTHY);
        traffic.onState(8001, InstanceState.HEALTHY);
        Backend first = traffic.tryAcquire(new Tried());
        assertEquals(8000, first.port());
        CompletionStage<Void> drained = traffic.drain(8000);
        assertFalse(drained.toCompletableFuture().isDone(), "one request in flight");
        for (int i = 0; i < 4; i++) {
            Backend b = traffic.tryAcquire(new Tried());
            assertEquals(8001, b.port());
            traffic.release(b);
        }
        traffic.release(first);
        assertTrue(drained.toCompletableFuture().isDone());
        assertTrue(traffic.drain(8001).toCompletableFuture().isDone(), "nothing in flight: drained at once");
    }

    @Test
    void aLateHealthyReportDoesNotUndoADrainButANewLifeDoes() {
        traffic.onState(8000, InstanceState.HEALTHY);
        traffic.drain(8000);
        traffic.onState(8000, InstanceState.HEALTHY);
        assertNull(traffic.tryAcquire(new Tried()));
        traffic.onState(8000, InstanceState.STOPPING);
        traffic.onState(8000, InstanceState.STARTING);
        traffic.onState(8000, InstanceState.HEALTHY);
        assertEquals(8000, traffic.tryAcquire(new Tried()).port());
    }

    @Test
    void anEjectedInstanceIsLeftOutForItsPeriodOrUntilItIsReportedAgain() {
        traffic.onState(8000, InstanceState.HEALTHY);
        traffic.onState(8001, InstanceState.HEALTHY);
        Backend b = traffic.backends().get(8000);
        traffic.eject(b, Duration.ofSeconds(1));
        for (int i = 0; i < 3; i++) {
            Backend chosen = traffic.tryAcquire(new Tried());
            assertEquals(8001, chosen.port());
            traffic.release(chosen);
        }
        advance(Duration.ofSeconds(1));
        assertEquals(2, traffic.choosable().length);
        traffic.eject(b, Duration.ofSeconds(1));
        traffic.onState(8000, InstanceState.STARTING);
        traffic.onState(8000, InstanceState.HEALTHY);
        assertEquals(2, traffic.choosable().length, "a new life is not ejected");
    }

    @Test
    void aRetryGoesElsewhereButTheSameInstanceInANewLifeIsACandidate() {
        traffic.onState(8000, InstanceState.HEALTHY);
        Tried tried = new Tried();
        tried.add(traffic.backends().get(8000));
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.acquire(tried, Duration.ofSeconds(10));
        assertFalse(waiting.toCompletableFuture().isDone(), "the only instance was tried in this life");
        traffic.onState(8000, InstanceState.STARTING);
        traffic.onState(8000, InstanceState.HEALTHY);
        assertEquals(8000, done(waiting).backend().port());
    }

    @Test
    void aServiceThatIsGoneAnswersItsWaitingRequests() {
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.acquire(new Tried(), Duration.ofSeconds(10));
        traffic.close();
        assertEquals(ServiceTraffic.NoBackend.GONE, done(waiting).none());
        assertEquals(0, queued.get());
    }

    @Test
    void aStoppedServiceAnswersAtOnceUntilItIsStartedAgain() {
        traffic.onState(8000, InstanceState.HEALTHY);
        traffic.onState(8000, InstanceState.STOPPING);
        CompletionStage<ServiceTraffic.Acquired> waiting = traffic.acquire(new Tried(), Duration.ofSeconds(10));
        assertFalse(waiting.toCompletableFuture().isDone(), "an instance on its way down may be a restart: the request waits");
        traffic.stopped(true);
        assertEquals(ServiceTraffic.NoBackend.STOPPED, done(waiting).none(), "the stop answers the waiting request");
        assertEquals(ServiceTraffic.NoBackend.STOPPED, done(traffic.acquire(new Tried(), Duration.ofSeconds(10))).none(),
                "a new request is answered at once");
        assertEquals(0, queued.get());
        assertTrue(timers.stream().allMatch(t -> t.cancelled()[0]), "no queue timeout is left behind");

        traffic.stopped(false);
        CompletionStage<ServiceTraffic.Acquired> afterStart = traffic.acquire(new Tried(), Duration.ofSeconds(10));
        assertFalse(afterStart.toCompletableFuture().isDone(), "started again, a request waits for its first instance");
        traffic.onState(8000, InstanceState.STARTING);
        traffic.onState(8000, InstanceState.HEALTHY);
        assertEquals(8000, done(afterStart).backend().port());
    }

    @Test
    void anotherNodesReadyInstancesAreChosenBesideThisNodesOwn() {
        traffic.onState(8000, InstanceState.HEALTHY);
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", new ServiceTraffic.Remote("10.0.0.2", 8000, 41, true),
                "10.0.0.3:8000", new ServiceTraffic.Remote("10.0.0.3", 8000, 51, false)));
        assertEquals(List.of("10.0.0.2:8000", "127.0.0.1:8000"), List.of(traffic.choosable()).stream().map(Backend::authority).toList(),
                "the same port on two hosts is two instances; the one not ready is left out");
        // The next report no longer has 10.0.0.2's instance: it is out of the choice.
        traffic.onRemote(java.util.Map.of("10.0.0.3:8000", new ServiceTraffic.Remote("10.0.0.3", 8000, 51, true)));
        assertEquals(List.of("10.0.0.3:8000", "127.0.0.1:8000"), List.of(traffic.choosable()).stream().map(Backend::authority).toList());
    }

    @Test
    void anotherNodesInstanceDrainedHereIsNotChosenAgainUntilItsNodeReportsANewProcess() {
        ServiceTraffic.Remote first = new ServiceTraffic.Remote("10.0.0.2", 8000, 41, true);
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", first));
        Backend b = traffic.tryAcquire(new Tried());
        assertEquals("10.0.0.2:8000", b.authority());
        CompletionStage<Void> drained = traffic.drainRemote("10.0.0.2:8000");
        assertFalse(drained.toCompletableFuture().isDone(), "a request is in flight to it");
        // Its node still reports it ready (the stop has not begun there): it stays out.
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", first));
        assertNull(traffic.tryAcquire(new Tried()));
        traffic.release(b);
        done(drained);
        // Restarted: a new process is a new life, chosen again once ready.
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", new ServiceTraffic.Remote("10.0.0.2", 8000, 42, true)));
        assertEquals("10.0.0.2:8000", traffic.tryAcquire(new Tried()).authority());
        assertNull(done(traffic.drainRemote("10.0.0.9:8000")), "one never heard of has nothing in flight");
    }

    @Test
    void anotherNodesInstanceThatRefusesStaysOutWhileItsNodeOnlySaysItIsStillReady() {
        ServiceTraffic.Remote ready = new ServiceTraffic.Remote("10.0.0.2", 8000, 41, true);
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", ready));
        Backend b = traffic.tryAcquire(new Tried());
        traffic.release(b);
        traffic.eject(b, Duration.ofSeconds(1));
        // Its node probes it from where it runs and reports it ready again and again: still out.
        traffic.onRemote(java.util.Map.of("10.0.0.2:8000", ready));
        assertNull(traffic.tryAcquire(new Tried()));
        advance(Duration.ofSeconds(1));
        assertEquals("10.0.0.2:8000", traffic.tryAcquire(new Tried()).authority(), "back once the ejection ends");
    }
}
