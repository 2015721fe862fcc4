package io.procpool.internal.supervision;

import io.procpool.api.InstanceState;
import io.procpool.api.ServiceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.HealthFigures;
import static io.procpool.internal.supervision.StatusProbe.awaitInstance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.ServiceSettings;
import io.procpool.config.TestConfigs;
import io.procpool.spi.LaunchException;
import io.procpool.config.Signal;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The PoolActor's supervision of its instances, against fake processes and manual time. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolActorTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();
    private ActorRef<PoolActor.Command> pool;

    private static final String FAST = "restart { min-backoff = 1s, max-backoff = 1m, random-factor = 0, reset-after = 30s }";

    /** Supervision is tested without probes: a live process is RUNNING (health has its own tests). */
    private TestProbe<ServiceStatus> start(String body) {
        ServiceSettings service = TestConfigs.service("health-check.type = none\n" + body);
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(service, new PoolEnvironment(launcher, probe, Path.of("logs")), status.getRef()));
        return status;
    }

    @AfterEach
    void stopPool() {
        if (pool != null) {
            testKit.stop(pool);
        }
    }

    @Test
    void startsMinProcessesInstancesOnTheFirstPorts() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7101, 7102, 7103], min-processes = 2");
        ServiceStatus s = StatusProbe.await(status, st -> st.state() == ServiceState.RUNNING);
        assertEquals(2, s.desired());
        assertEquals(List.of(7101, 7102), s.instances().stream().map(InstanceStatus::port).toList());
        assertEquals(List.of("srv"), launcher.startedOn(7101).get(0).spec().command());
        assertEquals("7102", launcher.startedOn(7102).get(0).spec().env().get("PORT"));
        assertTrue(launcher.startedOn(7103).isEmpty());
    }

    @Test
    void restartsACrashedInstanceAfterTheBackoff() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7201], " + FAST);
        InstanceStatus first = awaitInstance(status, 7201, InstanceState.RUNNING);
        launcher.byPid(first.pid().getAsLong()).orElseThrow().exit(3);

        InstanceStatus backoff = awaitInstance(status, 7201, InstanceState.BACKOFF);
        assertEquals(3, backoff.lastExit().orElseThrow().code());
        assertTrue(backoff.reason().contains("restart 1 of 10 in 1s"), backoff.reason());
        time.expectNoMessageFor(Duration.ofMillis(900), status);
        assertEquals(1, launcher.startedOn(7201).size());

        time.timePasses(Duration.ofMillis(100));
        InstanceStatus second = awaitInstance(status, 7201, InstanceState.RUNNING);
        assertEquals(1, second.restarts());
        assertEquals(2, launcher.startedOn(7201).size());
        assertTrue(second.pid().getAsLong() != first.pid().getAsLong());
    }

    @Test
    void aRestartsProcessStartsBeforeThePoolSaysAWordAboutTheRestart() {
        // The pool starts the process itself as it spawns the new life's actor: the actor's setup,
        // and with it any start it made, would come after the rest of the pool's handler (the log
        // line, the status, the events), which were on the path from a crash to serving. What the
        // pool logs and what the launcher is asked are written down in the order they happen, on
        // the pool's thread. The restart counter, too, comes after the start.
        List<String> happened = new java.util.concurrent.CopyOnWriteArrayList<>();
        ch.qos.logback.classic.Logger poolLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PoolActor.class);
        ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.AppenderBase<>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
                if (e.getFormattedMessage().contains("-> BACKOFF")) {
                    happened.add("said BACKOFF");
                }
            }
        };
        lines.start();
        poolLog.addAppender(lines);
        try {
            ServiceSettings service = TestConfigs.service("health-check.type = none\ncommand = srv, ports = [7261], "
                    + "restart { min-backoff = 0, random-factor = 0 }");
            io.procpool.internal.metrics.PoolMetrics metrics = new io.procpool.internal.metrics.PoolMetrics();
            io.procpool.spi.ProcessLauncher recording = spec -> {
                happened.add("launched, restarts counted " + RestartsCounted.of(metrics, service.name(), "exit"));
                return launcher.launch(spec);
            };
            TestProbe<ServiceStatus> status = testKit.createTestProbe();
            pool = testKit.spawn(PoolActor.create(service, new PoolEnvironment(recording, probe, Path.of("logs"), metrics,
                    io.procpool.spi.ResourceSampler.NONE), status.getRef()));
            InstanceStatus first = awaitInstance(status, 7261, InstanceState.RUNNING);
            launcher.byPid(first.pid().getAsLong()).orElseThrow().exit(1);
            assertEquals(1, awaitInstance(status, 7261, s -> s.state() == InstanceState.RUNNING && s.restarts() == 1).restarts());
            assertEquals(List.of("launched, restarts counted 0.0", "launched, restarts counted 0.0", "said BACKOFF"), happened);
            assertEquals(1.0, RestartsCounted.of(metrics, service.name(), "exit"));
        } finally {
            poolLog.detachAppender(lines);
        }
    }

    @Test
    void aLauncherThatThrowsFailsThatLaunchAndNotThePool() {
        // The pool asks the launcher itself (the process starts before its actor exists): a
        // launcher that throws must cost that one start, as a failed launch, and nothing else.
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        io.procpool.spi.ProcessLauncher throwingOnce = spec -> {
            if (spec.port() == 7251 && calls.getAndIncrement() == 0) {
                throw new IllegalStateException("launcher broke");
            }
            return launcher.launch(spec);
        };
        ServiceSettings service = TestConfigs.service("health-check.type = none\ncommand = srv, ports = [7251, 7252], " + FAST);
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(service, new PoolEnvironment(throwingOnce, probe, Path.of("logs")), status.getRef()));

        // One status with both: the two changes may come out together.
        ServiceStatus both = StatusProbe.await(status, st -> st.instances().stream().anyMatch(
                i -> i.port() == 7251 && i.state() == InstanceState.BACKOFF) && st.instances().stream().anyMatch(
                i -> i.port() == 7252 && i.state() == InstanceState.RUNNING));
        String reason = both.instances().get(0).reason();
        assertTrue(reason.contains("launcher broke"), reason);
        time.timePasses(Duration.ofSeconds(1));
        InstanceStatus restarted = awaitInstance(status, 7251, InstanceState.RUNNING);
        assertEquals(1, restarted.restarts());
        assertEquals(1, launcher.startedOn(7251).size());
    }

    @Test
    void doublesTheDelayForEachConsecutiveRestart() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7301], " + FAST);
        crash(status, 7301);
        time.timePasses(Duration.ofSeconds(1));
        InstanceStatus backoff = crash(status, 7301);
        assertTrue(backoff.reason().contains("restart 2 of 10 in 2s"), backoff.reason());
        time.expectNoMessageFor(Duration.ofMillis(1900), status);
        time.timePasses(Duration.ofMillis(100));
        assertEquals(2, awaitInstance(status, 7301, InstanceState.RUNNING).restarts());
    }

    @Test
    void aStableRunResetsTheBackoff() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7401], "
                + "restart { min-backoff = 1s, random-factor = 0, reset-after = 5s }");
        crash(status, 7401);
        time.timePasses(Duration.ofSeconds(1));
        InstanceStatus restarted = awaitInstance(status, 7401, InstanceState.RUNNING);
        time.timePasses(Duration.ofSeconds(5));
        launcher.byPid(restarted.pid().getAsLong()).orElseThrow().exit(1);
        InstanceStatus backoff = awaitInstance(status, 7401, InstanceState.BACKOFF);
        assertTrue(backoff.reason().contains("restart 1 of 10 in 1s"), backoff.reason());
    }

    @Test
    void failsTheInstanceWhenTheBudgetIsSpentAndRetriesAfterTheCooldown() {
        launcher.onStart(7501, p -> p.exit(1));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7501], "
                + "restart { min-backoff = 1s, random-factor = 0, max-restarts = 2, cooldown = 1m }");
        awaitInstance(status, 7501, InstanceState.BACKOFF);
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, 7501, InstanceState.STARTING);
        awaitInstance(status, 7501, InstanceState.BACKOFF);
        time.timePasses(Duration.ofSeconds(2));
        InstanceStatus instance = awaitInstance(status, 7501, i -> i.reason().contains("retrying in 1m"));
        assertEquals(InstanceState.FAILED, instance.state());
        assertEquals(2, instance.restarts());
        assertEquals(3, launcher.startedOn(7501).size());
        assertTrue(instance.reason().contains("restart budget spent"), instance.reason());

        launcher.onStart(7501, p -> { });
        time.expectNoMessageFor(Duration.ofSeconds(59), status);
        time.timePasses(Duration.ofSeconds(1));
        InstanceStatus retried = awaitInstance(status, 7501, InstanceState.RUNNING);
        assertEquals(3, retried.restarts());
        assertEquals(4, launcher.startedOn(7501).size());
    }

    @Test
    void zeroCooldownLeavesTheInstanceFailed() {
        launcher.failOn(7601, new LaunchException("command not found: dotnet-script", true));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7601], restart.cooldown = 0");
        InstanceStatus failed = awaitInstance(status, 7601, i -> i.reason().contains("not retried"));
        assertEquals(InstanceState.FAILED, failed.state());
        assertTrue(failed.reason().startsWith("command not found: dotnet-script"), failed.reason());
        time.expectNoMessageFor(Duration.ofHours(1), status);
    }

    @Test
    void aMissingCommandFailsAtOnceWithoutRestartsAndSparesTheOtherPorts() {
        launcher.failOn(7702, new LaunchException("command not found: dotnet-script", true));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7701, 7702], " + FAST);
        ServiceStatus s = StatusProbe.await(status, st -> StatusProbe.instance(st, 7702)
                .map(i -> i.state() == InstanceState.FAILED).orElse(false)
                && StatusProbe.instance(st, 7701).map(InstanceStatus::ready).orElse(false));
        assertEquals(ServiceState.DEGRADED, s.state());
        assertEquals(0, StatusProbe.instance(s, 7702).orElseThrow().restarts());
    }

    @Test
    void stoppingWhileBackingOffStartsNoProcess() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7801], " + FAST);
        crash(status, 7801);
        pool.tell(new PoolActor.Stop("test stop"));
        StatusProbe.await(status, s -> s.state() == ServiceState.STOPPED && s.instances().isEmpty());
        TestProbe<Object> watcher = testKit.createTestProbe();
        watcher.expectTerminated(pool);
        time.timePasses(Duration.ofSeconds(2));
        assertEquals(1, launcher.startedOn(7801).size());
        pool = null;
    }

    @Test
    void stopSignalsTheGroupAndKillsItAtTheDeadline() {
        launcher.onStart(7901, SimulatedProcess::ignorePoliteSignals);
        TestProbe<ServiceStatus> status = start("command = srv, ports = [7901], stop { signal = INT, timeout = 4s }");
        InstanceStatus running = awaitInstance(status, 7901, InstanceState.RUNNING);
        SimulatedProcess p = launcher.byPid(running.pid().getAsLong()).orElseThrow();
        pool.tell(new PoolActor.Stop("test stop"));
        awaitInstance(status, 7901, InstanceState.STOPPING);
        assertEquals(List.of(Signal.INT), p.signals());
        time.expectNoMessageFor(Duration.ofMillis(3900), status);
        time.timePasses(Duration.ofMillis(100));
        StatusProbe.await(status, s -> s.state() == ServiceState.STOPPED && s.instances().isEmpty());
        assertEquals(List.of(Signal.INT, Signal.KILL), p.signals());
        testKit.createTestProbe().expectTerminated(pool);
        pool = null;
    }

    @Test
    void killsWhatACrashedProcessLeftBehindBeforeRestarting() {
        launcher.onStart(8101, SimulatedProcess::leaveRemnants);
        TestProbe<ServiceStatus> status = start("command = srv, ports = [8101], " + FAST);
        SimulatedProcess p = launcher.byPid(awaitInstance(status, 8101, InstanceState.RUNNING).pid().getAsLong()).orElseThrow();
        launcher.onStart(8101, x -> { });
        p.exit(1);
        awaitInstance(status, 8101, InstanceState.BACKOFF);
        status.awaitAssert(() -> {
            assertEquals(List.of(Signal.KILL), p.signals());
            return null;
        });
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, 8101, InstanceState.RUNNING);
    }

    @Test
    void aStopDuringTheLaunchStopsTheProcessOnceItExists() {
        launcher.hold(8201);
        TestProbe<ServiceStatus> status = start("command = srv, ports = [8201]");
        awaitInstance(status, 8201, InstanceState.STARTING);
        pool.tell(new PoolActor.Stop("test stop"));
        launcher.release(8201);
        StatusProbe.await(status, s -> s.state() == ServiceState.STOPPED && s.instances().isEmpty());
        assertEquals(List.of(Signal.TERM), launcher.startedOn(8201).get(0).signals());
        pool = null;
    }

    @Test
    void anUnhealthyInstanceIsRestartedThroughTheBackoffLikeACrash() {
        probe.script(8301, n -> java.util.Optional.of(n == 2 || n == 3 ? SimulatedHealthProbe.fail("HTTP 500 (expected 2xx)")
                : SimulatedHealthProbe.ok()));
        TestProbe<ServiceStatus> status = start("command = srv, ports = [8301], " + FAST + ", health-check { type = http, "
                + "path = \"/h\", interval = 1s, failure-threshold = 2, start-interval = 100ms }");
        awaitInstance(status, 8301, i -> i.state() == InstanceState.STARTING && i.pid().isPresent());
        time.timePasses(Duration.ofMillis(100));
        long firstPid = awaitInstance(status, 8301, InstanceState.HEALTHY).pid().getAsLong();
        time.timePasses(Duration.ofSeconds(1));
        time.timePasses(Duration.ofSeconds(1));
        HealthFigures figures = awaitInstance(status, 8301, InstanceState.UNHEALTHY).health().orElseThrow();
        assertEquals(2, figures.consecutiveFailures());
        assertEquals("HTTP 500 (expected 2xx)", figures.lastError());
        InstanceStatus backoff = awaitInstance(status, 8301, InstanceState.BACKOFF);
        assertTrue(backoff.reason().startsWith("unhealthy: 2 consecutive failed probes")
                && backoff.reason().contains("restart 1 of 10 in 1s"), backoff.reason());
        assertEquals(List.of(Signal.TERM), launcher.byPid(firstPid).orElseThrow().signals());
        time.timePasses(Duration.ofSeconds(1));
        awaitInstance(status, 8301, i -> i.state() == InstanceState.STARTING && i.pid().isPresent());
        time.timePasses(Duration.ofMillis(100));
        InstanceStatus healthy = awaitInstance(status, 8301, InstanceState.HEALTHY);
        assertEquals(1, healthy.restarts());
        assertTrue(healthy.pid().getAsLong() != firstPid);
    }

    /** Crashes the instance on {@code port} once it runs, and returns it in BACKOFF. */
    private InstanceStatus crash(TestProbe<ServiceStatus> status, int port) {
        InstanceStatus running = awaitInstance(status, port, InstanceState.RUNNING);
        launcher.byPid(running.pid().getAsLong()).orElseThrow().exit(1);
        return awaitInstance(status, port, InstanceState.BACKOFF);
    }
}
