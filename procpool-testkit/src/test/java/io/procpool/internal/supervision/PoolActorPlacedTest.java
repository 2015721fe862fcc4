package io.procpool.internal.supervision;

import static io.procpool.internal.supervision.StatusProbe.awaitInstance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.api.ServiceStatus;
import io.procpool.config.ServiceSettings;
import io.procpool.config.Signal;
import io.procpool.config.TestConfigs;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import io.procpool.testkit.SimulatedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

/**
 * A pool on a cluster node ({@link PoolActor#placed}): it runs what the cluster places on the node,
 * within the node's ports, and kills everything at once when the node was downed.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolActorPlacedTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private SimulatedLauncher launcher;
    private ActorRef<PoolActor.Command> pool;

    private TestProbe<ServiceStatus> start() {
        // 3 ports here (the counts are the cluster's: the pool ignores them); a drain and a long
        // stop that a kill must skip.
        ServiceSettings service = TestConfigs.service("health-check.type = none\ncommand = srv, ports = [7601, 7602, 7603], "
                + "min-processes = 2, max-processes = 3, drain { delay = 5s, timeout = 10s }, stop.timeout = 30s");
        TestProbe<ServiceStatus> status = testKit.createTestProbe();
        launcher = new SimulatedLauncher();
        pool = testKit.spawn(PoolActor.placed(service, new PoolEnvironment(launcher, new SimulatedHealthProbe(), Path.of("logs")),
                status.getRef()));
        return status;
    }

    @AfterEach
    void stopPool() {
        if (pool != null) {
            testKit.stop(pool);
        }
    }

    @Test
    void runsNothingUntilPlacedThenWhatIsPlacedWithinItsPorts() {
        TestProbe<ServiceStatus> status = start();
        ServiceStatus first = status.receiveMessage();
        assertEquals(0, first.desired());
        time.expectNoMessageFor(Duration.ofSeconds(1), status);
        assertTrue(launcher.started().isEmpty(), "min-processes is the cluster's, not this node's");

        pool.tell(new PoolActor.Place(2, "test"));
        ServiceStatus two = StatusProbe.await(status, s -> s.ready().size() == 2);
        assertEquals(2, two.desired());

        pool.tell(new PoolActor.Place(5, "test"));
        ServiceStatus all = StatusProbe.await(status, s -> s.ready().size() == 3);
        assertEquals(3, all.desired(), "at most one per port of this node");

        TestProbe<OpResult> answer = testKit.createTestProbe();
        pool.tell(new PoolActor.Scale(2, answer.getRef()));
        OpResult refused = answer.receiveMessage();
        assertEquals(OpResult.Outcome.INVALID, refused.outcome());
        assertTrue(refused.message().contains("min-processes..max-processes count across the nodes"), refused.message());
    }

    @Test
    void aDownedNodeKillsEveryInstanceAtOnceAndRestartsNone() {
        TestProbe<ServiceStatus> status = start();
        pool.tell(new PoolActor.Place(3, "test"));
        StatusProbe.await(status, s -> s.ready().size() == 3);
        List<SimulatedProcess> running = launcher.started();
        running.forEach(SimulatedProcess::ignorePoliteSignals);

        pool.tell(new PoolActor.KillAll("downed"));
        // No drain.delay, no stop signal, no stop.timeout: SIGKILL without any time passing.
        StatusProbe.await(status, s -> s.instances().stream().allMatch(i -> i.state() == InstanceState.STOPPED) && s.desired() == 0);
        for (SimulatedProcess p : running) {
            assertEquals(List.of(Signal.KILL), p.signals(), "pid " + p.pid());
        }
        time.expectNoMessageFor(Duration.ofMinutes(1), status);
        assertEquals(3, launcher.started().size(), "nothing restarted");

        // Placed again (the node came back): it runs again.
        pool.tell(new PoolActor.Place(1, "back"));
        assertEquals(InstanceState.RUNNING, awaitInstance(status, 7601, InstanceState.RUNNING).state());
    }
}
