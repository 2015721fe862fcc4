package io.procpool.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.TestConfigs;
import io.procpool.process.Signal;
import io.procpool.testkit.FakeLauncher;
import io.procpool.testkit.FakeProcess;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** One instance on its own (no supervision around it), against fake processes and manual time. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InstanceActorTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

    private final ManualTime time = ManualTime.get(testKit.system());
    private final FakeLauncher launcher = new FakeLauncher();

    private ActorRef<InstanceActor.Command> spawn(int port, String body, TestProbe<InstanceActor.Event> parent) {
        return testKit.spawn(InstanceActor.create(TestConfigs.service("command = \"srv {port}\", ports = [" + port + "], " + body),
                port, Path.of("logs"), launcher, parent.getRef()));
    }

    private static InstanceActor.StateChanged expectState(TestProbe<InstanceActor.Event> parent, InstanceState state) {
        InstanceActor.StateChanged e = parent.expectMessageClass(InstanceActor.StateChanged.class);
        assertEquals(state, e.state(), e.toString());
        return e;
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
    void anUnexpectedExitIsReportedAndFailsTheActor() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9201, "", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        launcher.startedOn(9201).get(0).exit(2);
        InstanceActor.StateChanged backoff = expectState(parent, InstanceState.BACKOFF);
        assertEquals(2, backoff.exit().orElseThrow().code());
        assertTrue(backoff.reason().startsWith("exited unexpectedly with exit 2"), backoff.reason());
        parent.expectTerminated(instance);
    }

    @Test
    void reportsAStableRunAfterResetAfter() {
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9301, "restart.reset-after = 10s", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        time.expectNoMessageFor(Duration.ofMillis(9900), parent);
        time.timePasses(Duration.ofMillis(100));
        assertEquals(instance, parent.expectMessageClass(InstanceActor.StableRun.class).instance());
        testKit.stop(instance);
    }

    @Test
    void aStopWaitsForTheWholeGroupAndKillsItsStragglersAtTheDeadline() {
        launcher.onStart(9401, FakeProcess::leaveRemnants);
        TestProbe<InstanceActor.Event> parent = testKit.createTestProbe();
        ActorRef<InstanceActor.Command> instance = spawn(9401, "stop.timeout = 2s", parent);
        expectState(parent, InstanceState.STARTING);
        expectState(parent, InstanceState.RUNNING);
        FakeProcess p = launcher.startedOn(9401).get(0);
        instance.tell(InstanceActor.Stop.INSTANCE);
        expectState(parent, InstanceState.STOPPING);
        time.expectNoMessageFor(Duration.ofMillis(1900), parent);
        assertEquals(List.of(Signal.TERM), p.signals());
        time.timePasses(Duration.ofMillis(100));
        expectState(parent, InstanceState.STOPPED);
        assertEquals(List.of(Signal.TERM, Signal.KILL), p.signals());
        parent.expectTerminated(instance);
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
