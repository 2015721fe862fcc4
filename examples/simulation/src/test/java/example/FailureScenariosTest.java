package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.config.Signal;
import io.procpool.testkit.ProcessScript;
import io.procpool.testkit.Simulation;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Smaller scenarios from docs/simulation.md: slow starts, flaky probes, stubborn processes, a rolling restart. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailureScenariosTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(Simulation.config()).build();

    @Test
    void aSlowStarterIsReadyAsSoonAsItBindsAndIsNeverRestarted() {
        try (Simulation sim = Simulation.create(testKit, """
                services.api { command = "./api", ports = [7000],
                               health-check { path = "/health", start-period = 30s, start-interval = 100ms } }
                """).script("api", ProcessScript.healthy().bindsAfter(Duration.ofSeconds(20))).start()) {
            sim.advance(Duration.ofSeconds(19));
            assertEquals(List.of(), sim.backends("api"));
            sim.advance(Duration.ofSeconds(2));
            assertEquals(List.of("127.0.0.1:7000"), sim.backends("api"));
            assertEquals(0, sim.instance("api", 7000).restarts());
        }
    }

    @Test
    void flakyProbesBelowTheThresholdNeverRestartAnything() {
        try (Simulation sim = Simulation.create(testKit, """
                services.api { command = "./api", ports = [7100],
                               health-check { path = "/health", interval = 1s, failure-threshold = 3, start-period = 0 } }
                """).start()) {
            sim.advance(Duration.ofSeconds(2));
            // Two failures in a row, then a success, over and over: never three in a row.
            sim.probes().script(7100, n -> java.util.Optional.of(n % 3 == 0
                    ? io.procpool.testkit.SimulatedHealthProbe.ok() : io.procpool.testkit.SimulatedHealthProbe.fail("HTTP 503")));
            sim.advance(Duration.ofMinutes(10));
            assertEquals(InstanceState.HEALTHY, sim.instance("api", 7100).state());
            assertEquals(0, sim.instance("api", 7100).restarts());
        }
    }

    @Test
    void aProcessThatIgnoresSigtermIsKilledAtItsStopTimeout() {
        try (Simulation sim = Simulation.create(testKit, """
                services.api { command = "./api", ports = [7200, 7201], min-processes = 1, stop.timeout = 15s }
                """).script("api", ProcessScript.healthy().ignoresStopSignal()).start()) {
            sim.advance(Duration.ofSeconds(1));
            var stubborn = sim.processes().latestOn(7200);
            OpResult restarted = sim.run(pool -> pool.restart("api"));
            assertTrue(restarted.ok(), restarted.message());
            assertEquals(List.of(Signal.TERM, Signal.KILL), stubborn.signals(), "TERM, then SIGKILL at the deadline");
            assertEquals(List.of("127.0.0.1:7201"), sim.backends("api"), "replaced on the spare port first");
        }
    }
}
