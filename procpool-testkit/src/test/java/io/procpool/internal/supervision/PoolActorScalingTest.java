package io.procpool.internal.supervision;

import io.procpool.api.InstanceStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.ScalingEvent;
import io.procpool.api.OpResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.ServiceSettings;
import io.procpool.config.TestConfigs;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.spi.ProcessUsage;
import io.procpool.spi.ResourceSampler;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
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

/** Autoscaling, resource limits and reconfiguration, with scripted samples and manual time. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolActorScalingTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final SimulatedLauncher launcher = new SimulatedLauncher();
    private final SimulatedHealthProbe probe = new SimulatedHealthProbe();
    private final PoolMetrics metrics = new PoolMetrics();
    private ActorRef<PoolActor.Command> pool;
    /** Scripted process-tree usage: cumulative CPU seconds and RSS by pid. */
    private final Map<Long, ProcessUsage> usage = new HashMap<>();
    private long clock;

    private TestProbe<ServiceStatus> start(String body) {
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("health-check.type = none\n" + body),
                new PoolEnvironment(launcher, probe, Path.of("logs"), metrics, ResourceSampler.NONE), status.getRef()));
        return status;
    }

    @AfterEach
    void stopPool() {
        testKit.stop(pool);
    }

    /** One second of load: every running instance used {@code cores} of CPU and holds {@code rssMiB}. */
    private void second(ServiceStatus s, double cores, long rssMiB) {
        clock += 1_000_000_000L;
        for (InstanceStatus i : s.instances()) {
            if (i.pid().isPresent()) {
                long pid = i.pid().getAsLong();
                double cpu = usage.getOrDefault(pid, new ProcessUsage(0, 0, 1)).cpuSeconds() + cores;
                usage.put(pid, new ProcessUsage(cpu, rssMiB << 20, 1));
            }
        }
        pool.tell(new PoolActor.Usage(new ResourceSampler.Sample(Map.copyOf(usage), clock), Duration.ofSeconds(1)));
    }

    private static final String SCALED = "command = srv, ports = [4101, 4102, 4103], min-processes = 1, max-processes = 3, "
            + "scaling { enabled = true, metric = cpu, target = 0.5, up-after = 2s, down-after = 3s, interval = 1s }";

    @Test
    void sustainedLoadScalesUpAfterUpAfterAndQuietScalesDownAfterDownAfter() {
        TestProbe<ScalingEvent> decisions = testKit.createTestProbe();
        testKit.system().eventStream().tell(new EventStream.Subscribe<>(ScalingEvent.class, decisions.getRef()));
        TestProbe<ServiceStatus> status = start(SCALED);
        ServiceStatus one = StatusProbe.await(status, s -> s.ready().size() == 1);
        second(one, 1.0, 10);
        second(one, 1.0, 10);
        time.timePasses(Duration.ofSeconds(1));
        decisions.expectNoMessage(Duration.ofMillis(50));
        second(one, 1.0, 10);
        time.timePasses(Duration.ofSeconds(1));
        ScalingEvent up = decisions.receiveMessage();
        assertEquals(1, up.from());
        assertEquals(2, up.to(), "1 instance at 1.0 core against 0.5 asks for 2");
        assertEquals("cpu", up.metric());
        assertEquals(1.0, up.observed(), 1e-9);
        assertEquals(0.5, up.target(), 1e-9);
        ServiceStatus two = StatusProbe.await(status, s -> s.ready().size() == 2);
        assertEquals(2, two.desired());

        second(two, 0.05, 10);
        for (int i = 0; i < 3; i++) {
            second(two, 0.05, 10);
            time.timePasses(Duration.ofSeconds(1));
        }
        ScalingEvent down = decisions.receiveMessage();
        assertEquals(2, down.from());
        assertEquals(1, down.to());
        assertTrue(down.reason().contains("for 3s"), down.reason());
        StatusProbe.await(status, s -> s.desired() == 1 && s.instances().size() == 1);
    }

    @Test
    void requestsInFlightThroughTheGatewayScaleTheServiceAgainstTargetInFlight() {
        TestProbe<ScalingEvent> decisions = testKit.createTestProbe();
        testKit.system().eventStream().tell(new EventStream.Subscribe<>(ScalingEvent.class, decisions.getRef()));
        // A door whose instances average 25 requests in flight over each interval.
        java.util.concurrent.atomic.AtomicReference<Double> average = new java.util.concurrent.atomic.AtomicReference<>(25.0);
        io.procpool.spi.TrafficDoor door = new io.procpool.spi.TrafficDoor() {
            public java.util.concurrent.CompletionStage<Void> drain(String service, int port) {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            public java.util.OptionalDouble averageInFlight(String service, int port) {
                return java.util.OptionalDouble.of(average.get());
            }
        };
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        pool = testKit.spawn(PoolActor.create(TestConfigs.service("health-check.type = none\n"
                        + "command = srv, ports = [4151, 4152, 4153, 4154], min-processes = 1, max-processes = 4, "
                        + "scaling { enabled = true, metric = in-flight, target-in-flight = 10, up-after = 2s, down-after = 2s, interval = 1s }"),
                new PoolEnvironment(launcher, probe, Path.of("logs"), metrics, ResourceSampler.NONE).withDoor(door), status.getRef()));
        StatusProbe.await(status, s -> s.ready().size() == 1);
        time.timePasses(Duration.ofSeconds(1));
        decisions.expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofSeconds(1));
        ScalingEvent up = decisions.receiveMessage();
        assertEquals("in-flight", up.metric());
        assertEquals(3, up.to(), "25 in flight against 10 per instance asks for ceil(2.5) = 3");
        assertEquals(25.0, up.observed(), 1e-9);
        assertEquals(10.0, up.target(), 1e-9);
        StatusProbe.await(status, s -> s.ready().size() == 3);
        average.set(3.0);
        time.timePasses(Duration.ofSeconds(1));
        time.timePasses(Duration.ofSeconds(1));
        ScalingEvent down = decisions.receiveMessage();
        assertEquals(1, down.to(), "3 instances at 3 in flight: 9 in all, one instance holds it");
    }

    @Test
    void anInstanceOverItsMemoryLimitIsReplacedOnASparePortFirst() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [4201, 4202], min-processes = 1, "
                + "limits { max-rss = 50MiB, for = 2s }");
        ServiceStatus one = StatusProbe.await(status, s -> s.ready().size() == 1);
        long hog = one.instances().get(0).pid().getAsLong();
        second(one, 0.1, 60);
        second(one, 0.1, 61);
        List<ServiceStatus> seen = StatusProbe.collect(status, s -> s.operation().isEmpty() && s.ready().size() == 1
                && s.ready().get(0).port() == 4202);
        assertTrue(seen.size() > 3, "every status of the replacement was seen: " + seen.size());
        assertTrue(seen.stream().allMatch(s -> s.ready().size() >= 1), "never without a ready instance");
        assertTrue(seen.stream().anyMatch(s -> s.operation().map(o -> o.contains("RSS 61.0MiB over max-rss 50.0MiB")).orElse(false)),
                "the reason shows while it is replaced: " + seen.stream().map(ServiceStatus::operation).toList());
        assertNotEquals(hog, seen.get(seen.size() - 1).ready().get(0).pid().getAsLong());
        assertTrue(new String(scrape()).contains("procpool_restarts_total{reason=\"resource\",service=\"svc\"} 1.0"));
    }

    @Test
    void changedCountsPortsAndProbesAreAdjustedInPlace() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [4301, 4302], min-processes = 2");
        ServiceStatus two = StatusProbe.await(status, s -> s.ready().size() == 2);
        List<Long> pids = two.instances().stream().map(i -> i.pid().getAsLong()).toList();
        ServiceSettings next = TestConfigs.service("health-check.type = none\ncommand = srv, ports = [4301, 4302, 4303], "
                + "min-processes = 3, max-processes = 3, stop.timeout = 3s");
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Reconfigure(next, reply.getRef()));
        assertEquals("svc: adjusted in place", reply.receiveMessage().message());
        ServiceStatus three = StatusProbe.await(status, s -> s.ready().size() == 3);
        assertEquals(pids, three.instances().stream().limit(2).map(i -> i.pid().getAsLong()).toList(), "running ones untouched");
        assertEquals(4303, three.instances().get(2).port());
    }

    @Test
    void aChangedCommandRollsEveryInstanceOverToIt() {
        TestProbe<ServiceStatus> status = start("command = \"srv --v1\", ports = [4401, 4402], min-processes = 2");
        StatusProbe.await(status, s -> s.ready().size() == 2);
        ServiceSettings next = TestConfigs.service("health-check.type = none\ncommand = \"srv --v2\", ports = [4401, 4402], "
                + "min-processes = 2");
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Reconfigure(next, reply.getRef()));
        assertTrue(reply.receiveMessage().ok());
        List<ServiceStatus> seen = StatusProbe.collect(status, s -> s.operation().isEmpty() && s.ready().size() == 2
                && s.ready().stream().allMatch(i -> i.command().equals(List.of("srv", "--v2"))));
        assertTrue(seen.stream().allMatch(s -> s.ready().size() >= 1), "rolled one at a time");
        assertEquals(List.of("srv", "--v2"), launcher.latestOn(4401).spec().command());
        assertEquals(List.of("srv", "--v2"), launcher.latestOn(4402).spec().command());
    }

    @Test
    void aPortRemovedWhileARollingRestartStillHasToReachItIsLeftOutOfTheRoll() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [4501, 4502, 4503], min-processes = 3");
        // The roll restarts 4501 first (no spare port) and waits there; 4503, still queued, leaves
        // the configuration meanwhile.
        TestProbe<OpResult> restarted = rollHeldAt(status, 4501);
        assertEquals("svc: adjusted in place", reconfigure("ports = [4501, 4502], min-processes = 2").message());
        launcher.release(4501);
        OpResult done = restarted.receiveMessage(java.time.Duration.ofSeconds(10));
        assertTrue(done.ok(), done.message());
        assertEquals(2, launcher.startedOn(4501).size());
        assertEquals(2, launcher.startedOn(4502).size());
        assertEquals(1, launcher.startedOn(4503).size(), "the removed port is not restarted");
        ServiceStatus after = StatusProbe.await(status, s -> s.operation().isEmpty() && s.ready().size() == 2
                && s.instances().size() == 2); // 4503 shows until its process is gone
        assertEquals(List.of(4501, 4502), after.instances().stream().map(i -> i.port()).toList());
    }

    @Test
    void aPortRemovedWhileARollingRestartIsReplacingItEndsThatStepAndTheRollGoesOn() {
        TestProbe<ServiceStatus> status = start("command = srv, ports = [4601, 4602, 4603], min-processes = 3");
        // The roll reaches 4603 last and waits there; 4603 leaves the configuration.
        TestProbe<OpResult> restarted = rollHeldAt(status, 4603);
        reconfigure("ports = [4601, 4602], min-processes = 2");
        // Before the fix the roll waited for ever for an instance on a port that no longer exists.
        OpResult done = restarted.receiveMessage(java.time.Duration.ofSeconds(10));
        assertTrue(done.ok(), done.message());
        launcher.release(4603);
        ServiceStatus after = StatusProbe.await(status, s -> s.operation().isEmpty() && s.ready().size() == 2
                && s.instances().size() == 2);
        assertEquals(List.of(4601, 4602), after.instances().stream().map(i -> i.port()).toList());
    }

    /**
     * Once all three instances are ready, a rolling restart that gets as far as {@code port} and
     * waits there: the new launch on it is held. The restart's answer goes to the probe returned.
     */
    private TestProbe<OpResult> rollHeldAt(TestProbe<ServiceStatus> status, int port) {
        StatusProbe.await(status, s -> s.ready().size() == 3);
        launcher.hold(port);
        TestProbe<OpResult> restarted = testKit.createTestProbe();
        pool.tell(new PoolActor.Restart(restarted.getRef()));
        // The launcher itself, not a status: the last status may come before the launch is made.
        status.awaitAssert(() -> {
            assertEquals(2, launcher.startedOn(port).size());
            return null;
        });
        return restarted;
    }

    /** Reconfigures the pool's service to {@code body} (command srv, no probe); the answer. */
    private OpResult reconfigure(String body) {
        TestProbe<OpResult> reply = testKit.createTestProbe();
        pool.tell(new PoolActor.Reconfigure(TestConfigs.service("health-check.type = none\ncommand = srv, " + body),
                reply.getRef()));
        return reply.receiveMessage();
    }

    private byte[] scrape() {
        try {
            return metrics.scrape();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
