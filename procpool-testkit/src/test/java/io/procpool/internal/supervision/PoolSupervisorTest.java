package io.procpool.internal.supervision;

import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.api.PoolStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import io.procpool.config.Signal;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedProcess;
import io.procpool.api.OpResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The root: one pool per enabled service, status for all, and a parallel stop of everything. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolSupervisorTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();

    private static final String POOL = """
            defaults.health-check.type = none
            services {
              a { command = a, ports = [6101, 6102], stop.timeout = 5s }
              b { command = b, ports = [6201], stop.timeout = 5s }
              c { command = c, ports = [6301], enabled = false }
            }
            """;

    private ActorRef<PoolSupervisor.Command> spawn() {
        PoolSettings settings = TestConfigs.pool(POOL);
        return testKit.spawn(PoolSupervisor.create(settings, new PoolEnvironment(launcher, probe, Path.of("logs"))));
    }

    private PoolStatus awaitStatus(ActorRef<PoolSupervisor.Command> root, java.util.function.Predicate<PoolStatus> condition) {
        TestProbe<PoolStatus> probe = testKit.createTestProbe();
        return probe.awaitAssert(Duration.ofSeconds(5), () -> {
            root.tell(new PoolSupervisor.GetStatus(probe.getRef()));
            PoolStatus s = probe.receiveMessage();
            assertTrue(condition.test(s), s.toString());
            return s;
        });
    }

    @Test
    void aReloadThatNeedsALongerStopThanTheShutdownWasGivenSaysSo() {
        ActorRef<PoolSupervisor.Command> root = spawn();
        root.tell(PoolSupervisor.Start.INSTANCE);
        awaitStatus(root, s -> s.services().get(0).state() == ServiceState.RUNNING
                && s.services().get(1).state() == ServiceState.RUNNING);
        // b after a: a stop of everything is now two stops in turn, longer than the start's budget.
        PoolSettings chained = TestConfigs.pool(POOL.replace("b { command = b, ports = [6201], stop.timeout = 5s }",
                "b { command = b, ports = [6201], stop.timeout = 5s, depends-on = [a] }"));
        TestProbe<OpResult> reply = testKit.createTestProbe();
        root.tell(new PoolSupervisor.Reload(chained, reply.getRef()));
        OpResult result = reply.receiveMessage();
        assertEquals(OpResult.Outcome.OK, result.outcome(), result.toString());
        String given = io.procpool.config.Durations.format(PoolSupervisor.stopBudget(TestConfigs.pool(POOL)));
        String needed = io.procpool.config.Durations.format(PoolSupervisor.stopBudget(chained));
        assertTrue(result.details().contains("stopping everything may now take up to " + needed + " (stop.timeout, drain, "
                + "depends-on), more than the " + given + " procpool's shutdown was given at its start: until procpool is "
                + "restarted, a stop that runs over is cut short with SIGKILL"), result.details().toString());
        TestProbe<Done> done = testKit.createTestProbe();
        root.tell(new PoolSupervisor.StopAll(done.getRef()));
        // Past b's stop.timeout in case it ignores SIGTERM (the launcher is shared by this class's tests).
        done.awaitAssert(Duration.ofSeconds(10), () -> {
            time.timePasses(Duration.ofSeconds(1));
            done.expectMessage(Duration.ofMillis(100), Done.getInstance());
            return null;
        });
    }

    @Test
    void startsNothingUntilToldAndReportsDisabledServices() {
        ActorRef<PoolSupervisor.Command> root = spawn();
        PoolStatus idle = awaitStatus(root, s -> true);
        assertEquals(List.of(ServiceState.STOPPED, ServiceState.STOPPED, ServiceState.DISABLED),
                idle.services().stream().map(ServiceStatus::state).toList());
        // Not started is not ready: /readyz answers before the start.
        assertEquals(List.of("a", "b"), idle.notReady().stream().map(ServiceStatus::name).toList(), idle.toString());
        assertTrue(launcher.started().stream().noneMatch(p -> p.spec().port() < 6400 && p.spec().port() > 6100));

        root.tell(PoolSupervisor.Start.INSTANCE);
        PoolStatus running = awaitStatus(root, s -> s.services().get(0).state() == ServiceState.RUNNING
                && s.services().get(1).state() == ServiceState.RUNNING);
        assertEquals(ServiceState.DISABLED, running.services().get(2).state());
        assertTrue(launcher.startedOn(6301).isEmpty());
        stopAll(root);
    }

    @Test
    void stopAllStopsEveryServiceInParallelAndRepliesWhenAllAreGone() {
        launcher.onStart(6101, SimulatedProcess::ignorePoliteSignals);
        launcher.onStart(6201, SimulatedProcess::ignorePoliteSignals);
        ActorRef<PoolSupervisor.Command> root = spawn();
        root.tell(PoolSupervisor.Start.INSTANCE);
        awaitStatus(root, s -> s.services().get(0).state() == ServiceState.RUNNING
                && s.services().get(1).state() == ServiceState.RUNNING);

        TestProbe<Done> done = testKit.createTestProbe();
        root.tell(new PoolSupervisor.StopAll(done.getRef()));
        SimulatedProcess a = launcher.latestOn(6101);
        SimulatedProcess b = launcher.latestOn(6201);
        done.awaitAssert(() -> {
            assertEquals(List.of(Signal.TERM), a.signals());
            assertEquals(List.of(Signal.TERM), b.signals());
            return null;
        });
        time.expectNoMessageFor(Duration.ofMillis(4900), done);
        time.timePasses(Duration.ofMillis(100));
        done.expectMessage(Done.getInstance());
        assertEquals(List.of(Signal.TERM, Signal.KILL), a.signals());
        assertEquals(List.of(Signal.TERM, Signal.KILL), b.signals());
        PoolStatus after = awaitStatus(root, s -> true);
        assertTrue(after.services().stream().limit(2).allMatch(s -> s.state() == ServiceState.STOPPED), after.toString());
    }

    /**
     * A setting only a restart applies waits for it as long as the file keeps it, and no longer
     * once the file puts it back: the root compares it with what it started with, not with the
     * file read last.
     */
    @Test
    void aSettingThatWaitsForARestartIsSaidWhileTheFileKeepsItAndNotOnceItIsBack() {
        // Ports of its own: the launcher is the class's, and another test makes 6101's processes ignore SIGTERM.
        String pool = "defaults.health-check.type = none\nservices.m { command = m, ports = [6501], stop.timeout = 5s }";
        ActorRef<PoolSupervisor.Command> root = testKit.spawn(PoolSupervisor.create(TestConfigs.pool(pool),
                new PoolEnvironment(launcher, probe, Path.of("logs"))));
        root.tell(PoolSupervisor.Start.INSTANCE);
        awaitStatus(root, s -> s.services().get(0).state() == ServiceState.RUNNING);
        PoolSettings moved = TestConfigs.pool("admin.port = 9911\n" + pool);
        TestProbe<OpResult> reply = testKit.createTestProbe();
        for (int i = 0; i < 2; i++) {
            root.tell(new PoolSupervisor.Reload(moved, reply.getRef()));
            List<String> notes = reply.receiveMessage().details();
            assertEquals(1, notes.size(), notes.toString());
            assertTrue(notes.get(0).startsWith("pool.admin changed: it takes effect when procpool is restarted"), notes.get(0));
        }
        root.tell(new PoolSupervisor.Reload(TestConfigs.pool(pool), reply.getRef()));
        assertEquals(List.of(), reply.receiveMessage().details(), "put back: nothing waits for a restart");
        stopAll(root);
    }

    @Test
    void aReloadTouchesOnlyWhatChanged() {
        PoolSettings before = reloadPool("c --v1", "gone { command = g, ports = [6403] }");
        List<String> door = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        ActorRef<PoolSupervisor.Command> root = testKit.spawn(PoolSupervisor.create(before,
                new PoolEnvironment(launcher, probe, Path.of("logs")).withDoor(new io.procpool.spi.TrafficDoor() {
                    @Override
                    public java.util.concurrent.CompletionStage<Void> drain(String service, int port) {
                        door.add("drain " + service + ":" + port);
                        return java.util.concurrent.CompletableFuture.completedFuture(null);
                    }

                    @Override
                    public void removed(String service) {
                        door.add("removed " + service);
                    }
                })));
        root.tell(PoolSupervisor.Start.INSTANCE);
        awaitStatus(root, s -> s.services().stream().allMatch(x -> x.state() == ServiceState.RUNNING));
        long keepPid = launcher.latestOn(6401).pid();
        TestProbe<io.procpool.api.PoolEvent> events = testKit.createTestProbe();
        testKit.system().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Subscribe<>(
                io.procpool.api.PoolEvent.class, events.getRef()));
        PoolSettings after = reloadPool("c --v2", "fresh { command = f, ports = [6404] }");
        TestProbe<OpResult> reply = testKit.createTestProbe();
        root.tell(new PoolSupervisor.Reload(after, reply.getRef()));
        OpResult result = reply.receiveMessage();
        assertEquals("reloaded test.conf: added: fresh; removed: gone; rolled: change; unchanged: keep", result.message());
        // Rolled: a second process started on the changed service's port, and it runs.
        PoolStatus now = awaitStatus(root, s -> s.services().size() == 3
                && s.services().stream().allMatch(x -> x.state() == ServiceState.RUNNING)
                && launcher.startedOn(6402).size() == 2
                && s.services().get(1).instances().get(0).pid().equals(java.util.OptionalLong.of(launcher.latestOn(6402).pid()))
                && s.services().get(1).instances().get(0).command().equals(List.of("c", "--v2")));
        assertEquals(List.of("keep", "change", "fresh"), now.services().stream().map(ServiceStatus::name).toList());
        assertEquals(keepPid, now.services().get(0).instances().get(0).pid().getAsLong(), "an unchanged service keeps its pid");
        assertEquals(1, launcher.startedOn(6401).size());
        assertEquals(List.of(Signal.TERM), launcher.latestOn(6403).signals(), "the removed one was stopped");
        io.procpool.api.PoolEvent removed = events.fishForMessage(Duration.ofSeconds(3), e -> e.service().equals("gone")
                && e.to() == io.procpool.api.InstanceState.STOPPED ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
        assertEquals("removed by reload of test.conf", removed.reason(), "not \"procpool is shutting down\": it keeps running");
        assertEquals(List.of("removed gone", "drain gone:6403"), door.stream().filter(d -> d.contains("gone")).toList(),
                "the door hears of the removal before the removed service's drain");
        assertEquals(1, door.stream().filter(d -> d.startsWith("removed")).count(), door.toString());
        assertEquals(List.of(Signal.TERM), launcher.startedOn(6402).get(0).signals(), "the changed one was rolled");
        stopAll(root);
    }

    /** The reload test's pool: an unchanged service, one whose command is {@code changeCommand}, and a third. */
    private static PoolSettings reloadPool(String changeCommand, String third) {
        return TestConfigs.pool("""
                defaults.health-check.type = none
                services {
                  keep { command = k, ports = [6401] }
                  change { command = "%s", ports = [6402] }
                  %s
                }
                """.formatted(changeCommand, third));
    }

    private void stopAll(ActorRef<PoolSupervisor.Command> root) {
        TestProbe<Done> done = testKit.createTestProbe();
        root.tell(new PoolSupervisor.StopAll(done.getRef()));
        done.fishForMessage(Duration.ofSeconds(5), d -> FishingOutcomes.complete());
    }
}
