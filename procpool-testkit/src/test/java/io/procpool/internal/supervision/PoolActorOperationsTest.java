package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.ServiceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.OpResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.TestConfigs;
import io.procpool.config.Signal;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The PoolActor's operations: scaling, rolling restarts (in place and with surge), stop and start. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolActorOperationsTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();
    private ActorRef<PoolActor.Command> pool;

    private TestProbe<ServiceStatus> start(String body) {
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("health-check.type = none\n" + body),
                new PoolEnvironment(launcher, probe, Path.of("logs")), status.getRef()));
        return status;
    }

    @AfterEach
    void stopPool() {
        testKit.stop(pool);
    }

    private OpResult ask(java.util.function.Function<ActorRef<OpResult>, PoolActor.Command> op) {
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(op.apply(reply.getRef()));
        return reply.receiveMessage(java.time.Duration.ofSeconds(5));
    }

    /** Port -> state of the instances that should run (assigned) in {@code s}. */
    private static Map<Integer, InstanceState> states(ServiceStatus s) {
        return s.instances().stream().collect(Collectors.toMap(InstanceStatus::port, InstanceStatus::state));
    }

    private static ServiceStatus awaitRunning(TestProbe<ServiceStatus> status, List<Integer> ports) {
        return StatusProbe.await(status, s -> s.ready().stream().map(InstanceStatus::port).toList().equals(ports)
                && s.instances().size() == ports.size());
    }

    @Test
    void scalingUsesTheLowestFreePortsAndRemovesTheNewestInstanceFirst() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5101, 5102, 5103, 5104], min-processes = 1");
        awaitRunning(status, List.of(5101));
        assertTrue(ask(r -> new PoolActor.Scale(3, r)).ok());
        awaitRunning(status, List.of(5101, 5102, 5103));
        assertTrue(ask(r -> new PoolActor.Scale(2, r)).ok());
        awaitRunning(status, List.of(5101, 5102));
        assertEquals(List.of(Signal.TERM), launcher.latestOn(5103).signals(), "the newest went, gracefully");
        assertTrue(ask(r -> new PoolActor.Scale(4, r)).ok());
        ServiceStatus four = awaitRunning(status, List.of(5101, 5102, 5103, 5104));
        assertEquals(4, four.desired());
        assertEquals(1, launcher.startedOn(5101).size(), "the first instance was never touched");
    }

    @Test
    void aSignalGoesToEveryRunningInstanceWhichKeepsRunning() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5151, 5152, 5153], min-processes = 2");
        awaitRunning(status, List.of(5151, 5152));
        long a = launcher.latestOn(5151).pid();
        long b = launcher.latestOn(5152).pid();
        OpResult sent = ask(r -> new PoolActor.SignalInstances(Signal.USR1, r));
        assertTrue(sent.ok(), sent.message());
        assertEquals("svc: SIGUSR1 sent to :5151 pid " + a + ", :5152 pid " + b, sent.message());
        testKit.createTestProbe().awaitAssert(java.time.Duration.ofSeconds(5), () -> {
            assertEquals(List.of(Signal.USR1), launcher.latestOn(5151).signals());
            assertEquals(List.of(Signal.USR1), launcher.latestOn(5152).signals());
            return null;
        });
        assertTrue(launcher.startedOn(5153).isEmpty(), "a port without an instance gets nothing");
        ServiceStatus after = StatusProbe.await(status, s -> s.lastOperation().isPresent());
        assertEquals("signal SIGUSR1", after.lastOperation().get().operation());
        assertEquals(List.of(a, b), after.instances().stream().map(i -> i.pid().getAsLong()).toList(), "no restart");
    }

    @Test
    void aSignalToAServiceWithoutARunningInstanceIsAConflict() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5161]");
        awaitRunning(status, List.of(5161));
        assertTrue(ask(PoolActor.StopService::new).ok());
        OpResult none = ask(r -> new PoolActor.SignalInstances(Signal.HUP, r));
        assertEquals(OpResult.Outcome.CONFLICT, none.outcome());
        assertEquals("svc has no running instance; SIGHUP was not sent", none.message());
        assertEquals(List.of(Signal.TERM), launcher.latestOn(5161).signals(), "only the stop's signal");
    }

    @Test
    void scalingOutsideMinAndMaxIsRejectedAndChangesNothing() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5201, 5202], min-processes = 1, max-processes = 2");
        awaitRunning(status, List.of(5201));
        OpResult tooMany = ask(r -> new PoolActor.Scale(9, r));
        assertEquals(OpResult.Outcome.INVALID, tooMany.outcome());
        assertTrue(tooMany.message().contains("between 1 and 2"), tooMany.message());
        assertEquals(OpResult.Outcome.INVALID, ask(r -> new PoolActor.Scale(0, r)).outcome());
        status.expectNoMessage(java.time.Duration.ofMillis(100));
        assertTrue(launcher.startedOn(5202).isEmpty());
    }

    @Test
    void aRollingRestartWithoutASparePortRestartsInPlaceOneAtATime() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5301, 5302]");
        awaitRunning(status, List.of(5301, 5302));
        long a = launcher.latestOn(5301).pid();
        long b = launcher.latestOn(5302).pid();
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(reply.getRef()));
        List<ServiceStatus> during = StatusProbe.collect(status, s -> s.operation().isEmpty()
                && s.ready().size() == 2 && s.instances().stream().noneMatch(i -> i.pid().getAsLong() == a || i.pid().getAsLong() == b));
        OpResult result = reply.receiveMessage();
        assertTrue(result.ok(), result.message());
        assertEquals("restarted 2 instance(s) of svc", result.message());
        assertTrue(during.size() > 4, "every status of the roll was seen: " + during.size());
        assertTrue(during.stream().allMatch(s -> s.ready().size() >= 1), "never fewer than one ready instance");
        assertEquals(List.of(Signal.TERM), launcher.byPid(a).orElseThrow().signals());
        assertEquals(List.of(Signal.TERM), launcher.byPid(b).orElseThrow().signals());
        ServiceStatus after = during.get(during.size() - 1);
        assertEquals(List.of(1, 1), after.instances().stream().map(InstanceStatus::restarts).toList());
    }

    @Test
    void aRollingRestartWithASparePortStartsEachReplacementFirst() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5401, 5402, 5403], min-processes = 2");
        awaitRunning(status, List.of(5401, 5402));
        long a = launcher.latestOn(5401).pid();
        long b = launcher.latestOn(5402).pid();
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(reply.getRef()));
        List<ServiceStatus> during = StatusProbe.collect(status, s -> s.operation().isEmpty() && s.ready().size() == 2
                && s.instances().stream().noneMatch(i -> i.pid().getAsLong() == a || i.pid().getAsLong() == b));
        assertTrue(reply.receiveMessage().ok());
        assertTrue(during.size() > 4, "every status of the roll was seen: " + during.size());
        assertTrue(during.stream().allMatch(s -> s.ready().size() >= 2), "no capacity lost at any moment");
        ServiceStatus after = during.get(during.size() - 1);
        assertEquals(List.of(5401, 5403), after.ready().stream().map(InstanceStatus::port).toList(),
                ":5401 replaced on :5403, then :5402 on the freed :5401");
        assertEquals(2, after.desired());
    }

    @Test
    void aReplacementThatNeverBecomesHealthyStopsTheRollAndTheOldInstanceKeepsServing() {
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("command = srv, ports = [5501, 5502, 5503], "
                + "min-processes = 2, health-check { type = tcp, start-period = 1s, start-interval = 100ms }"),
                new PoolEnvironment(launcher, probe, Path.of("logs")), status.getRef()));
        probe.always(5503, SimulatedHealthProbe.fail("connection refused"));
        time.timePasses(java.time.Duration.ofMillis(100));
        StatusProbe.await(status, s -> s.ready().size() == 2);
        long a = launcher.latestOn(5501).pid();
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(reply.getRef()));
        StatusProbe.awaitInstance(status, 5503, i -> i.state() == InstanceState.STARTING && i.pid().isPresent());
        for (int i = 0; i < 10; i++) {
            time.timePasses(java.time.Duration.ofMillis(100)); // a failed probe every start-interval
        }
        OpResult result = reply.receiveMessage();
        assertEquals(OpResult.Outcome.FAILED, result.outcome());
        assertTrue(result.message().contains("replacement on :5503 went UNHEALTHY: no successful probe within start-period 1s")
                && result.message().contains(":5501 keeps serving"), result.message());
        ServiceStatus after = StatusProbe.await(status, s -> s.operation().isEmpty() && s.instances().size() == 2);
        assertEquals(Map.of(5501, InstanceState.HEALTHY, 5502, InstanceState.HEALTHY), states(after));
        assertEquals(a, after.instances().get(0).pid().getAsLong());
        assertEquals(List.of(Signal.TERM), launcher.latestOn(5503).signals(), "the replacement was stopped");
    }

    @Test
    void stopAndStartTheServiceKeepsItsInstanceCount() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [5601, 5602, 5603], min-processes = 1");
        awaitRunning(status, List.of(5601));
        assertTrue(ask(r -> new PoolActor.Scale(2, r)).ok());
        awaitRunning(status, List.of(5601, 5602));
        OpResult stopped = ask(PoolActor.StopService::new);
        assertEquals("svc stopped", stopped.message());
        StatusProbe.await(status, s -> s.state() == ServiceState.STOPPED && s.instances().isEmpty());
        assertEquals(OpResult.Outcome.CONFLICT, ask(PoolActor.Restart::new).outcome());
        OpResult scaled = ask(r -> new PoolActor.Scale(3, r));
        assertEquals(OpResult.Outcome.CONFLICT, scaled.outcome(), "a scale does not start a stopped service");
        assertEquals("svc is stopped; start it first", scaled.message());
        assertTrue(ask(PoolActor.StartService::new).ok());
        ServiceStatus again = awaitRunning(status, List.of(5601, 5602));
        assertEquals(2, again.desired());
        assertNotEquals(launcher.startedOn(5601).get(0).pid(), again.instances().get(0).pid().getAsLong());
    }

    @Test
    void theDoorHearsTheOperatorsStopBeforeTheDrainsAndHisStart() {
        List<String> told = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        io.procpool.spi.TrafficDoor door = new io.procpool.spi.TrafficDoor() {
            @Override
            public java.util.concurrent.CompletionStage<Void> drain(String service, int port) {
                told.add("drain " + service + ":" + port);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public void stopped(String service, boolean stopped) {
                told.add((stopped ? "stopped " : "started ") + service);
            }
        };
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("health-check.type = none\ncommand = srv, ports = [5701, 5702], min-processes = 1"),
                new PoolEnvironment(launcher, probe, Path.of("logs")).withDoor(door), status.getRef()));
        awaitRunning(status, List.of(5701));
        assertEquals(List.of("started svc"), told, "a pool's start says it is not stopped");
        told.clear();
        assertTrue(ask(r -> new PoolActor.Scale(2, r)).ok());
        awaitRunning(status, List.of(5701, 5702));
        assertTrue(ask(r -> new PoolActor.Scale(1, r)).ok());
        awaitRunning(status, List.of(5701));
        assertEquals(List.of("drain svc:5702"), told, "a scale to fewer is no stop of the service");
        assertTrue(ask(PoolActor.StopService::new).ok());
        assertEquals(List.of("drain svc:5702", "stopped svc", "drain svc:5701"), told);
        assertTrue(ask(PoolActor.StartService::new).ok());
        assertEquals(List.of("drain svc:5702", "stopped svc", "drain svc:5701", "started svc"), told);
    }
}
