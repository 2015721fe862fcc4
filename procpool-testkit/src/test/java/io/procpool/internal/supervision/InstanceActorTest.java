package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.HealthFigures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.TestConfigs;
import io.procpool.config.Signal;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import io.procpool.spi.ProbeResult;
import io.procpool.testkit.SimulatedHealthProbe;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** One life of one instance, on its own (no pool around it), against simulated processes and manual time. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InstanceActorTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();

    private ActorRef<InstanceActor.Command> spawn(int port, String body, TestProbe<InstanceActor.Event> parent) {
        return spawnProbed(port, "health-check.type = none, " + body, parent);
    }

    private ActorRef<InstanceActor.Command> spawnProbed(int port, String body, TestProbe<InstanceActor.Event> parent) {
        return spawnLife(port, body, parent, false);
    }

    /** One life of an instance, as its pool spawns it; {@code watchStable}: it has restarts to forget. */
    private ActorRef<InstanceActor.Command> spawnLife(int port, String body, TestProbe<InstanceActor.Event> parent,
                                                      boolean watchStable) {
        return spawnLife(port, body, parent, watchStable, io.procpool.spi.TrafficDoor.NONE);
    }

    private ActorRef<InstanceActor.Command> spawnLife(int port, String body, TestProbe<InstanceActor.Event> parent,
                                                      boolean watchStable, io.procpool.spi.TrafficDoor door) {
        var service = TestConfigs.service("command = \"srv {port}\", ports = [" + port + "], " + body);
        var spec = new io.procpool.spi.LaunchSpec("svc", port, service.commandFor(port), service.workingDir(),
                service.envFor(port), io.procpool.internal.process.LogFiles.of(Path.of("logs"), "svc", port), service.log());
        return testKit.spawn(InstanceActor.create(service, spec, launcher.launch(spec), "starting srv " + port,
                new PoolEnvironment(launcher, probe, Path.of("logs")).withDoor(door), parent.getRef(), watchStable));
    }

    /** A door with requests in flight to every instance until the test says they are over. */
    private static final class BusyDoor implements io.procpool.spi.TrafficDoor {
        final java.util.concurrent.CompletableFuture<Void> idle = new java.util.concurrent.CompletableFuture<>();
        final List<Integer> drained = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public java.util.concurrent.CompletionStage<Void> drain(String service, int port) {
            drained.add(port);
            return idle;
        }
    }

    @Test
    void aPlannedStopLeavesTheReadySetWaitsTheDelayAndTheLastRequestThenSignals() {
        BusyDoor door = new BusyDoor();
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnLife(9451, "health-check.type = none, drain { delay = 1s, timeout = 10s }",
                parent, false, door);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9451).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        assertEquals("test; draining", expectState(parent, InstanceState.STOPPING).reason());
        assertEquals(List.of(9451), door.drained, "out of the door's choice at once");
        time.timePasses(Duration.ofMillis(1000));
        time.timePasses(Duration.ofMillis(3000));
        time.expectNoMessageFor(Duration.ofMillis(10), parent);
        assertEquals(List.of(), p.signals(), "requests in flight: no signal yet");
        door.idle.complete(null);
        assertEquals("test", expectEnd(parent, InstanceActor.End.STOPPED).reason(), "STOPPING is not reported twice");
        assertEquals(List.of(Signal.TERM), p.signals());
        testKit.stop(instance);
    }

    @Test
    void aDrainThatOutlastsItsTimeoutEndsInTheSignal() {
        BusyDoor door = new BusyDoor();
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnLife(9452, "health-check.type = none, drain { delay = 0s, timeout = 5s }",
                parent, false, door);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9452).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        expectState(parent, InstanceState.STOPPING);
        time.timePasses(Duration.ofMillis(4900));
        assertEquals(List.of(), p.signals());
        time.timePasses(Duration.ofMillis(100));
        expectEnd(parent, InstanceActor.End.STOPPED);
        assertEquals(List.of(Signal.TERM), p.signals());
        testKit.stop(instance);
    }

    @Test
    void withNothingInFlightAndNoDelayTheSignalGoesAtOnce() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnLife(9453, "health-check.type = none", parent, false,
                (service, port) -> java.util.concurrent.CompletableFuture.completedFuture(null));
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9453).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        assertEquals("test", expectState(parent, InstanceState.STOPPING).reason());
        assertEquals(List.of(Signal.TERM), p.signals());
        expectEnd(parent, InstanceActor.End.STOPPED);
        testKit.stop(instance);
    }

    @Test
    void anInstanceThatWasNeverReadySkipsTheDelay() {
        probe.always(9454, SimulatedHealthProbe.fail("connection refused"));
        BusyDoor door = new BusyDoor();
        door.idle.complete(null);
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnLife(9454, PROBED + ", drain { delay = 30s }", parent, false, door);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        SimulatedProcess p = launcher.startedOn(9454).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        expectState(parent, InstanceState.STOPPING);
        assertEquals(List.of(Signal.TERM), p.signals());
        testKit.stop(instance);
    }

    @Test
    void anInstanceThatExitsWhileDrainingEndsAsStopped() {
        BusyDoor door = new BusyDoor();
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnLife(9455, "health-check.type = none, drain { delay = 5s }", parent, false, door);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9455).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        expectState(parent, InstanceState.STOPPING);
        p.exit(0);
        assertEquals(0, expectEnd(parent, InstanceActor.End.STOPPED).exit().orElseThrow().code());
        assertEquals(List.of(), p.signals());
        time.timePasses(Duration.ofSeconds(20));
        time.expectNoMessageFor(Duration.ofMillis(10), parent);
        testKit.stop(instance);
    }

    /** The report that ends the life. */
    private static InstanceActor.Ended expectEnd(TestProbe<InstanceActor.Event> parent, InstanceActor.End end) {
        List<InstanceActor.Event> seen = parent.fishForMessage(Duration.ofSeconds(3), e -> e instanceof InstanceActor.Ended
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
        InstanceActor.Ended e = (InstanceActor.Ended) seen.get(seen.size() - 1);
        assertEquals(end, e.end(), e.toString());
        return e;
    }

    /** The next state change, skipping probe reports. */
    private static InstanceActor.StateChanged expectState(TestProbe<InstanceActor.Event> parent, InstanceState state) {
        List<InstanceActor.Event> seen = parent.fishForMessage(Duration.ofSeconds(3), e -> e instanceof InstanceActor.StateChanged
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
        InstanceActor.StateChanged e = (InstanceActor.StateChanged) seen.get(seen.size() - 1);
        assertEquals(state, e.state(), e.toString());
        return e;
    }

    /** The next probe report, skipping nothing: a state change in between fails the test. */
    private static HealthFigures expectProbe(TestProbe<InstanceActor.Event> parent) {
        return parent.expectMessageClass(InstanceActor.ProbeCompleted.class).figures();
    }

    /** An instance with {@link #PROBED} probes whose first probe passes: HEALTHY after one start-interval. */
    private ActorRef<InstanceActor.Command> spawnHealthy(int port, TestProbe<InstanceActor.Event> parent) {
        ActorRef<InstanceActor.Command> instance = spawnProbed(port, PROBED, parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        time.timePasses(Duration.ofMillis(100));
        expectState(parent, InstanceState.HEALTHY);
        return instance;
    }

    private static final String PROBED = "health-check { path = \"/h\", interval = 1s, timeout = 300ms, "
            + "failure-threshold = 3, start-period = 2s, start-interval = 100ms }";

    @Test
    void aProbedInstanceIsStartingUntilItsFirstSuccessfulProbe() {
        probe.script(9601, n -> Optional.of(n < 3 ? SimulatedHealthProbe.fail("connection refused") : SimulatedHealthProbe.ok()));
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnProbed(9601, PROBED, parent);
        expectState(parent, InstanceState.STARTING);
        assertTrue(expectState(parent, InstanceState.STARTING).pid().isPresent());
        time.timePasses(Duration.ofMillis(100));
        assertEquals("connection refused", expectProbe(parent).lastError());
        time.timePasses(Duration.ofMillis(100));
        assertEquals(2, expectProbe(parent).consecutiveFailures(), "counted, though not held against it yet");
        time.timePasses(Duration.ofMillis(100));
        expectProbe(parent);
        assertTrue(expectState(parent, InstanceState.HEALTHY).reason().startsWith("probe succeeded"));
        assertEquals(3, probe.probes(9601));
        time.expectNoMessageFor(Duration.ofMillis(900), parent);
        time.timePasses(Duration.ofMillis(100));
        assertEquals(0, expectProbe(parent).consecutiveFailures());
        assertEquals(4, probe.probes(9601), "once healthy, probed every interval");
        testKit.stop(instance);
    }

    @Test
    void aProbeNowRunsAProbeAtOnceAndTheProbeDecides() {
        probe.always(9602, SimulatedHealthProbe.ok());
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnProbed(9602, PROBED, parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        time.timePasses(Duration.ofMillis(100));
        expectProbe(parent);
        expectState(parent, InstanceState.HEALTHY);
        instance.tell(InstanceActor.ProbeNow.INSTANCE);
        assertEquals(0, expectProbe(parent).consecutiveFailures(), "probed without waiting for the interval");
        assertEquals(2, probe.probes(9602));
        time.expectNoMessageFor(Duration.ofMillis(900), parent);
        time.timePasses(Duration.ofMillis(100));
        expectProbe(parent);
        testKit.stop(instance);
    }

    @Test
    void noSuccessWithinTheStartPeriodIsUnhealthyAndStopsTheProcessForARestart() {
        probe.always(9701, SimulatedHealthProbe.fail("HTTP 500 (expected 2xx)"));
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnProbed(9701, PROBED, parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        time.timePasses(Duration.ofMillis(100));
        expectProbe(parent);
        for (int i = 0; i < 19; i++) {
            time.timePasses(Duration.ofMillis(100)); // a failed probe every start-interval
        }
        InstanceActor.StateChanged unhealthy = expectState(parent, InstanceState.UNHEALTHY);
        assertTrue(unhealthy.reason().contains("start-period 2s") && unhealthy.reason().contains("HTTP 500"), unhealthy.reason());
        expectState(parent, InstanceState.STOPPING);
        assertTrue(expectEnd(parent, InstanceActor.End.UNHEALTHY).reason().startsWith("unhealthy: "));
        assertEquals(List.of(Signal.TERM), launcher.latestOn(9701).signals());
        testKit.stop(instance);
    }

    @Test
    void consecutiveFailuresOfAHealthyInstanceMakeItUnhealthy() {
        probe.script(9801, n -> Optional.of(n == 1 || n == 4 ? SimulatedHealthProbe.ok() : SimulatedHealthProbe.fail("timed out after 300ms")));
        // probes: 1 ok (HEALTHY), 2 fail, 3 fail, 4 ok, 5 fail, 6 fail, 7 fail (UNHEALTHY)
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnHealthy(9801, parent);
        List<Integer> failures = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            time.timePasses(Duration.ofSeconds(1));
            failures.add(expectProbe(parent).consecutiveFailures());
        }
        assertEquals(List.of(1, 2, 0, 1, 2), failures, "a success starts the count over");
        time.timePasses(Duration.ofSeconds(1));
        InstanceActor.StateChanged unhealthy = expectState(parent, InstanceState.UNHEALTHY);
        assertTrue(unhealthy.reason().startsWith("3 consecutive failed probes of http://127.0.0.1:9801/h; last: timed out"),
                unhealthy.reason());
        expectState(parent, InstanceState.STOPPING);
        expectEnd(parent, InstanceActor.End.UNHEALTHY);
        testKit.stop(instance);
    }

    @Test
    void aProbeThatNeverAnswersFailsAtItsDeadline() {
        probe.script(9901, n -> n == 1 ? Optional.of(SimulatedHealthProbe.ok()) : Optional.empty());
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnHealthy(9901, parent);
        time.timePasses(Duration.ofSeconds(1));
        time.expectNoMessageFor(Duration.ofMillis(700), parent);
        time.timePasses(Duration.ofMillis(100));
        HealthFigures f = expectProbe(parent);
        assertEquals(1, f.consecutiveFailures());
        assertEquals("no answer within 800ms", f.lastError());
        testKit.stop(instance);
    }

    @Test
    void aProbeThatOutlivesTheNextTickFailsAtItsDeadlineAndTheDueOneFollows() {
        // Starting: a probe every start-interval (100 ms), each with a deadline of 300 + 500 ms, so the
        // next tick comes first and arms the deadline's timer; it fires at the same moment.
        probe.script(9904, n -> n == 1 ? Optional.empty() : Optional.of(SimulatedHealthProbe.ok()));
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnProbed(9904, PROBED, parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        time.timePasses(Duration.ofMillis(100)); // the first probe starts and never answers
        time.timePasses(Duration.ofMillis(100)); // the next is due: it waits for the first
        time.expectNoMessageFor(Duration.ofMillis(600), parent);
        assertEquals(1, probe.probes(9904), "never two at once");
        time.timePasses(Duration.ofMillis(100));
        HealthFigures f = expectProbe(parent);
        assertEquals("no answer within 800ms", f.lastError());
        assertEquals(0, expectProbe(parent).consecutiveFailures(), "the due probe ran at once, and answered");
        assertEquals(2, probe.probes(9904));
        expectState(parent, InstanceState.HEALTHY);
        testKit.stop(instance);
    }

    @Test
    void probesTheProberDidNotRunCountNeitherWay() {
        // 1 ok (HEALTHY), 2 fail, 3..6 not run (the prober was behind), 7 fail, 8 fail (UNHEALTHY).
        ProbeResult notRun = ProbeResult.notRun("procpool's prober was behind");
        probe.script(9902, n -> Optional.of(n == 1 ? SimulatedHealthProbe.ok()
                : n >= 3 && n <= 6 ? notRun : SimulatedHealthProbe.fail("timed out after 300ms")));
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawnHealthy(9902, parent);
        List<Integer> failures = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            time.timePasses(Duration.ofSeconds(1));
            HealthFigures f = expectProbe(parent);
            failures.add(f == null ? null : f.consecutiveFailures());
        }
        assertEquals(java.util.Arrays.asList(1, null, null, null, null, 2), failures,
                "a probe not run is reported without figures, and the count of failures goes on across it");
        time.timePasses(Duration.ofSeconds(1));
        InstanceActor.StateChanged unhealthy = expectState(parent, InstanceState.UNHEALTHY);
        assertTrue(unhealthy.reason().startsWith("3 consecutive failed probes"), unhealthy.reason());
        testKit.stop(instance);
    }

    @Test
    void aDueProbeAfterOneNotRunWaitsItsDelayInsteadOfJoiningTheQueueAtOnce() {
        // A prober that answers when the test says: the first probe is still waiting when the next
        // falls due, then comes back "not run" (the prober was behind).
        List<java.util.concurrent.CompletableFuture<ProbeResult>> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.procpool.spi.HealthProbe slow = (port, settings) -> {
            var f = new java.util.concurrent.CompletableFuture<ProbeResult>();
            asked.add(f);
            return f;
        };
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        var service = TestConfigs.service("command = \"srv {port}\", ports = [9903], " + PROBED);
        var spec = new io.procpool.spi.LaunchSpec("svc", 9903, service.commandFor(9903), service.workingDir(),
                service.envFor(9903), io.procpool.internal.process.LogFiles.of(Path.of("logs"), "svc", 9903), service.log());
        ActorRef<InstanceActor.Command> instance = testKit.spawn(InstanceActor.create(service, spec, launcher.launch(spec),
                "starting srv 9903",
                new PoolEnvironment(launcher, slow, Path.of("logs")), parent.getRef(), false));
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.STARTING);
        time.timePasses(Duration.ofMillis(100));
        parent.awaitAssert(() -> {
            assertEquals(1, asked.size());
            return null;
        });
        time.timePasses(Duration.ofMillis(100)); // the next is due while the first waits
        asked.get(0).complete(ProbeResult.notRun("procpool's prober was behind"));
        assertEquals(null, expectProbe(parent), "reported without figures");
        time.expectNoMessageFor(Duration.ofMillis(50), parent);
        assertEquals(1, asked.size(), "no probe at once after a not-run one");
        time.timePasses(Duration.ofMillis(100));
        parent.awaitAssert(() -> {
            assertEquals(2, asked.size(), "the next comes a start-interval later");
            return null;
        });
        asked.get(1).complete(SimulatedHealthProbe.ok());
        expectState(parent, InstanceState.HEALTHY);
        testKit.stop(instance);
    }

    @Test
    void reportsStartingThenRunningWithItsPid() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9101, "", parent);
        assertTrue(expectState(parent, InstanceState.STARTING).reason().contains("srv 9101"));
        InstanceActor.StateChanged running = expectState(parent, InstanceState.RUNNING);
        assertEquals(launcher.startedOn(9101).get(0).pid(), running.pid().getAsLong());
        assertEquals(List.of("srv", "9101"), launcher.startedOn(9101).get(0).spec().command());
        assertEquals(Path.of("logs", "svc-9101.log"), launcher.startedOn(9101).get(0).spec().logFile());
        testKit.stop(instance);
    }

    @Test
    void anUnexpectedExitEndsTheLifeAndSaysHow() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9201, "", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        launcher.startedOn(9201).get(0).exit(2);
        InstanceActor.Ended ended = expectEnd(parent, InstanceActor.End.EXITED);
        assertEquals(2, ended.exit().orElseThrow().code());
        assertEquals(launcher.startedOn(9201).get(0).pid(), ended.pid().getAsLong());
        assertTrue(ended.reason().startsWith("exited unexpectedly with exit 2"), ended.reason());
        assertTrue(!ended.stable());
        parent.expectNoMessage(Duration.ofMillis(50));
        testKit.stop(instance);
        assertEquals(1, launcher.startedOn(9201).size(), "it restarts nothing itself");
    }

    @Test
    void whatACrashLeftInItsGroupIsKilledBeforeTheLifeEnds() {
        launcher.onStart(9251, SimulatedProcess::leaveRemnants);
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9251, "", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9251).get(0);
        p.exit(1);
        // The simulated remnants go with the SIGKILL at once; real ones may take a moment, and the
        // instance then shows STOPPING until they are gone (the chaos suite's hostile services).
        expectEnd(parent, InstanceActor.End.EXITED);
        assertEquals(List.of(Signal.KILL), p.signals());
        assertTrue(!p.groupAlive());
        testKit.stop(instance);
    }

    @Test
    void aLifeWatchedForStabilitySaysWhetherItRanForResetAfter() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> shortLife = spawnLife(9301, "health-check.type = none, restart.reset-after = 10s",
                parent, true);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        time.timePasses(Duration.ofMillis(9900));
        launcher.startedOn(9301).get(0).exit(1);
        assertTrue(!expectEnd(parent, InstanceActor.End.EXITED).stable());
        testKit.stop(shortLife);

        ActorRef<InstanceActor.Command> longLife = spawnLife(9302, "health-check.type = none, restart.reset-after = 10s",
                parent, true);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        time.timePasses(Duration.ofSeconds(10));
        launcher.startedOn(9302).get(0).exit(1);
        assertTrue(expectEnd(parent, InstanceActor.End.EXITED).stable());
        testKit.stop(longLife);
    }

    @Test
    void aCommandThatCannotBeStartedEndsTheLifeAsNotStartable() {
        launcher.failOn(9351, new io.procpool.spi.LaunchException("command not found: srv", true));
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9351, "", parent);
        assertEquals("command not found: srv", expectEnd(parent, InstanceActor.End.NOT_STARTABLE).reason());
        testKit.stop(instance);
    }

    @Test
    void aStopWaitsForTheWholeGroupAndKillsItsStragglersAtTheDeadline() {
        launcher.onStart(9401, SimulatedProcess::leaveRemnants);
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9401, "stop.timeout = 2s", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        SimulatedProcess p = launcher.startedOn(9401).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        expectState(parent, InstanceState.STOPPING);
        time.expectNoMessageFor(Duration.ofMillis(1900), parent);
        assertEquals(List.of(Signal.TERM), p.signals());
        time.timePasses(Duration.ofMillis(100));
        assertEquals("test", expectEnd(parent, InstanceActor.End.STOPPED).reason());
        assertEquals(List.of(Signal.TERM, Signal.KILL), p.signals());
        testKit.stop(instance);
    }

    @Test
    void settingsUpdatedInPlaceTakeEffectForTheRunningProcess() {
        launcher.onStart(9951, SimulatedProcess::ignorePoliteSignals);
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9951, "stop.timeout = 10s", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        instance.tell(new InstanceActor.UpdateSettings(
                TestConfigs.service("command = \"srv {port}\", ports = [9951], health-check.type = none, stop.timeout = 2s")));
        SimulatedProcess p = launcher.startedOn(9951).get(0);
        instance.tell(new InstanceActor.Stop("test"));
        expectState(parent, InstanceState.STOPPING);
        time.expectNoMessageFor(Duration.ofMillis(1900), parent);
        time.timePasses(Duration.ofMillis(100));
        expectEnd(parent, InstanceActor.End.STOPPED);
        assertEquals(List.of(Signal.TERM, Signal.KILL), p.signals(), "killed at the updated stop.timeout");
        testKit.stop(instance);
    }

    @Test
    void stoppingTheActorFromOutsideKillsItsProcess() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9501, "", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        testKit.stop(instance);
        assertEquals(List.of(Signal.KILL), launcher.startedOn(9501).get(0).signals());
    }
}
