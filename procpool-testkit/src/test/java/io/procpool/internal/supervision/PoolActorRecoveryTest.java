package io.procpool.internal.supervision;

import static io.procpool.internal.supervision.StatusProbe.awaitInstance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.api.OperationEvent;
import io.procpool.api.PoolEvent;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.config.TestConfigs;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.spi.ResourceSampler;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Operations on instances that are not running (FAILED, BACKOFF), operations that cannot proceed,
 * operations that meet another one under way, and what the restart counts count. Every operation
 * answers, and none waits for something that cannot come.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolActorRecoveryTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();
    private PoolMetrics metrics;
    private ActorRef<PoolActor.Command> pool;

    /** A crash loop that spends its budget of 2 in 1 s + 2 s and then waits out a 5-minute cooldown. */
    private static final String CRASHER = "restart { min-backoff = 1s, random-factor = 0, max-restarts = 2, cooldown = 5m }";

    private TestProbe<ServiceStatus> start(String body) {
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        metrics = new PoolMetrics();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("health-check.type = none\n" + body),
                new PoolEnvironment(launcher, probe, Path.of("logs"), metrics, ResourceSampler.NONE), status.getRef()));
        return status;
    }

    @AfterEach
    void stopPool() {
        if (pool != null) {
            testKit.stop(pool);
        }
    }

    /** Sends an operation and returns its answer, which must come without any time passing. */
    private OpResult ask(Function<ActorRef<OpResult>, PoolActor.Command> op) {
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(op.apply(reply.getRef()));
        return reply.receiveMessage(Duration.ofSeconds(3));
    }

    /** Lets the crash loop on {@code port} run until the instance is FAILED and waiting for its cooldown. */
    private InstanceStatus crashUntilFailed(TestProbe<ServiceStatus> status, int port) {
        awaitInstance(status, port, InstanceState.BACKOFF);
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, port, InstanceState.STARTING);
        awaitInstance(status, port, InstanceState.BACKOFF);
        time.timePasses(Duration.ofSeconds(2));
        return awaitInstance(status, port, i -> i.state() == InstanceState.FAILED && i.reason().contains("retrying in 5m"));
    }

    /** True in a status published after a rolling restart ended (older statuses may still be queued). */
    private static boolean rolled(ServiceStatus s) {
        return s.operation().isEmpty() && s.lastOperation().map(o -> o.operation().equals("rolling restart")).orElse(false);
    }

    @Test
    void restartOfAFailedInstanceStartsItAtOnceWithAFreshBudget() throws Exception {
        launcher.onStart(9101, p -> p.exit(3));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9101], " + CRASHER);
        InstanceStatus failed = crashUntilFailed(status, 9101);
        assertEquals(2, failed.restarts());
        assertEquals(3, launcher.startedOn(9101).size());

        OpResult result = ask(PoolActor.Restart::new);

        assertTrue(result.ok(), result.message());
        assertEquals("restarted 1 instance(s) of svc; restarted at once, not ready: :9101 (was FAILED)", result.message());
        InstanceStatus again = awaitInstance(status, 9101, i -> i.state() == InstanceState.BACKOFF && i.restarts() == 3);
        assertEquals(4, launcher.startedOn(9101).size(), "started at once, not after the 5-minute cooldown");
        assertTrue(again.reason().contains("restart 1 of 2 in 1s"), "a fresh budget: " + again.reason());
        // ...and it fails again by its own budget, not by a leftover of the old one.
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, 9101, InstanceState.BACKOFF);
        time.timePasses(Duration.ofSeconds(2));
        awaitInstance(status, 9101, i -> i.state() == InstanceState.FAILED && i.reason().contains("retrying in 5m"));
        assertEquals(6, launcher.startedOn(9101).size());
    }

    @Test
    void restartAfterTheMissingProgramWasInstalledRunsIt() {
        launcher.failOn(9151, new io.procpool.spi.LaunchException("command not found: srv", true));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9151], " + CRASHER);
        awaitInstance(status, 9151, i -> i.state() == InstanceState.FAILED && i.reason().contains("retrying in 5m"));
        launcher.succeed(9151); // the program is there now

        OpResult result = ask(PoolActor.Restart::new);

        assertTrue(result.ok(), result.message());
        InstanceStatus running = awaitInstance(status, 9151, InstanceState.RUNNING);
        assertEquals(1, running.restarts());
        assertEquals(1, launcher.startedOn(9151).size());
    }

    @Test
    void startOfAServiceWithAFailedInstanceStartsItAgain() {
        launcher.onStart(9201, p -> p.exit(3));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9201, 9202], " + CRASHER);
        crashUntilFailed(status, 9201);
        long healthy = launcher.latestOn(9202).pid();
        launcher.onStart(9201, p -> { }); // the cause is fixed: the next process runs

        OpResult result = ask(PoolActor.StartService::new);

        assertTrue(result.ok(), result.message());
        assertEquals("svc: started :9201 again (FAILED), with a fresh restart budget", result.message());
        ServiceStatus running = StatusProbe.await(status, s -> s.state() == ServiceState.RUNNING);
        assertEquals(3, StatusProbe.instance(running, 9201).orElseThrow().restarts());
        assertEquals(healthy, StatusProbe.instance(running, 9202).orElseThrow().pid().getAsLong(), "the running one untouched");
        assertEquals("svc is already running 2 instance(s)", ask(PoolActor.StartService::new).message());
    }

    @Test
    void aRollRestartsWhatIsNotReadyAtOnceAndRollsOnlyTheReadyInstances() {
        launcher.onStart(9301, p -> p.exit(3));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9301, 9302, 9303], " + CRASHER);
        crashUntilFailed(status, 9301);
        launcher.onStart(9301, p -> { });
        // :9302 crashes into a long backoff; :9303 serves.
        time.timePasses(Duration.ofSeconds(5 * 60 - 3 - 1)); // just short of :9301's cooldown
        long backingOff = launcher.latestOn(9302).pid();
        launcher.byPid(backingOff).orElseThrow().exit(1);
        awaitInstance(status, 9302, InstanceState.BACKOFF);
        long serving = launcher.latestOn(9303).pid();

        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(reply.getRef()));
        OpResult result = reply.receiveMessage(Duration.ofSeconds(3));

        assertTrue(result.ok(), result.message());
        assertEquals("restarted 3 instance(s) of svc; restarted at once, not ready: :9301 (was FAILED), :9302 (was BACKOFF)",
                result.message());
        ServiceStatus after = StatusProbe.await(status, s -> s.state() == ServiceState.RUNNING && rolled(s));
        assertNotEquals(serving, StatusProbe.instance(after, 9303).orElseThrow().pid().getAsLong(), ":9303 was rolled");
        assertEquals(2, launcher.startedOn(9302).size(), ":9302 restarted without waiting out its backoff");
        assertEquals(List.of(3, 1, 1), after.instances().stream().map(InstanceStatus::restarts).toList(),
                ":9302 had not been restarted yet when it was backing off: the roll's start is its first restart");
    }

    @Test
    void aRollStepThatMakesNoProgressEndsAtItsDeadlineAndSaysWhy() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9401]");
        awaitInstance(status, 9401, InstanceState.RUNNING);
        TestProbe<OperationEvent> operations = testKit.createTestProbe();
        testKit.system().eventStream().tell(new EventStream.Subscribe<>(OperationEvent.class, operations.getRef()));
        launcher.hold(9401); // the replacement's launch never completes
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(reply.getRef()));
        awaitInstance(status, 9401, i -> i.state() == InstanceState.STARTING && i.pid().isEmpty());
        assertTrue(operations.receiveMessage().result().isEmpty(), "the roll's start is an event");

        // drain.timeout 10s + stop.timeout 10s + 5s + start-period 30s + 60s
        time.timePasses(Duration.ofSeconds(114));
        reply.expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofSeconds(1));
        OpResult result = reply.receiveMessage();

        assertEquals(OpResult.Outcome.FAILED, result.outcome());
        assertEquals("rolling restart of svc stopped after 0 of 1: no progress within 1m55s (drain.delay + drain.timeout + stop.timeout + 5s + "
                + "health-check.start-period + 1m): :9401 is still STARTING", result.message());
        ServiceStatus after = StatusProbe.await(status, s -> s.operation().isEmpty() && s.lastOperation().isPresent());
        assertEquals(result, after.lastOperation().orElseThrow().result().orElseThrow());
        assertEquals(result, operations.receiveMessage().result().orElseThrow());
        launcher.release(9401);
        awaitInstance(status, 9401, InstanceState.RUNNING); // supervision goes on without the roll
    }

    @Test
    void aSecondOperationWhileOneRunsIsAnsweredAtOnce() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9501, 9502]");
        StatusProbe.await(status, s -> s.state() == ServiceState.RUNNING);
        launcher.hold(9501);
        TestProbe<OpResult> first = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(first.getRef()));
        awaitInstance(status, 9501, i -> i.state() == InstanceState.STARTING && i.pid().isEmpty());

        OpResult second = ask(PoolActor.Restart::new);
        assertEquals(OpResult.Outcome.CONFLICT, second.outcome());
        assertEquals("svc: rolling restart: 0 of 2 replaced; restarting :9501 is under way; wait for it to end "
                + "(GET /status/svc follows it)", second.message());
        assertEquals(OpResult.Outcome.CONFLICT, ask(r -> new PoolActor.Scale(2, r)).outcome());
        first.expectNoMessage(Duration.ofMillis(50));

        // A stop wins over the roll: the roll is answered at once, and a second stop meanwhile too.
        TestProbe<OpResult> stop = testKit.createTestProbe();
        pool.tell(new PoolActor.StopService(stop.getRef()));
        assertEquals("rolling restart of svc stopped: svc was stopped", first.receiveMessage().message());
        OpResult secondStop = ask(PoolActor.StopService::new);
        assertEquals(OpResult.Outcome.CONFLICT, secondStop.outcome());
        assertTrue(secondStop.message().startsWith("svc: a service stop is under way (:9501 STARTING"), secondStop.message());
        assertEquals(OpResult.Outcome.CONFLICT, ask(PoolActor.StartService::new).outcome());
        launcher.release(9501);
        assertEquals("svc stopped", stop.receiveMessage().message());
    }

    @Test
    void aRestartThatNeedNotWaitAnswersOnceTheRollHasBegun() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9601, 9602]");
        StatusProbe.await(status, s -> s.state() == ServiceState.RUNNING);
        launcher.hold(9601);
        OpResult begun = ask(r -> new PoolActor.Restart(r, false));
        assertTrue(begun.ok());
        assertEquals("rolling restart: 0 of 2 replaced; restarting :9601: under way", begun.message());
        launcher.release(9601);
        StatusProbe.await(status, s -> s.lastOperation().flatMap(OperationEvent::result).map(OpResult::ok).orElse(false));
    }

    @Test
    void restartsInStatusAndMetricsCountTheSameStarts() throws Exception {
        launcher.onStart(9701, p -> p.exit(3));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [9701, 9702, 9703], min-processes = 2, " + CRASHER);
        InstanceStatus failed = crashUntilFailed(status, 9701);
        // 3 exits, 2 restarts, then FAILED: the exit that spent the budget restarted nothing.
        assertEquals(2, failed.restarts());
        assertEquals(2.0, RestartsCounted.of(metrics, "svc", "exit"));

        time.timePasses(Duration.ofMinutes(5)); // the cooldown's retry restarts it: the cause stays "exit"
        awaitInstance(status, 9701, i -> i.restarts() == 3);
        assertEquals(3.0, RestartsCounted.of(metrics, "svc", "exit"));
        launcher.onStart(9701, p -> { });
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, 9701, i -> i.state() == InstanceState.RUNNING && i.restarts() == 4);

        // A roll onto the spare port counts like one in place: each replaced instance one more restart.
        OpResult rolled = ask(PoolActor.Restart::new);
        assertTrue(rolled.ok(), rolled.message());
        ServiceStatus after = StatusProbe.await(status, s -> s.state() == ServiceState.RUNNING && rolled(s));
        assertEquals(List.of(9701, 9703), after.ready().stream().map(InstanceStatus::port).toList());
        assertEquals(List.of(1, 5), after.ready().stream().map(InstanceStatus::restarts).toList(),
                ":9701 (4 restarts, the cooldown's retry among them) went to :9703 as 5; :9702 (0) to :9701 as 1");
        assertEquals(2.0, RestartsCounted.of(metrics, "svc", "manual"));
        assertEquals(4.0, RestartsCounted.of(metrics, "svc", "exit"));
    }

    @Test
    void aStartIsNoTransitionAndEveryPublishedTransitionChangesTheState() {
        TestProbe<PoolEvent> events = testKit.createTestProbe();
        testKit.system().eventStream().tell(new EventStream.Subscribe<>(PoolEvent.class, events.getRef()));
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("command = srv, ports = [9801], "
                + "health-check { type = tcp, start-interval = 100ms }"),
                new PoolEnvironment(launcher, probe, Path.of("logs")), status.getRef()));
        awaitInstance(status, 9801, i -> i.state() == InstanceState.STARTING && i.pid().isPresent());
        time.timePasses(Duration.ofMillis(100));
        List<PoolEvent> seen = events.fishForMessage(Duration.ofSeconds(3), e -> e.to() == InstanceState.HEALTHY
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndCollect());
        assertEquals(List.of("STOPPED->STARTING", "STARTING->HEALTHY"),
                seen.stream().map(e -> e.from() + "->" + e.to()).toList());
        assertTrue(seen.get(1).pid().isPresent());
        assertFalse(seen.stream().anyMatch(e -> e.from() == e.to()));
    }
}
