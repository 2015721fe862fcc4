package io.procpool.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.ServiceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The simulation kit itself: virtual time drives the real supervision tree deterministically. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulationTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(Simulation.config()).build();

    private static String ports(int first, int count) {
        return IntStream.range(first, first + count).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    }

    @Test
    void aCrashStormOfAHundredInstancesFollowsTheBackoffAndTheBudget() {
        String body = "services.storm { command = srv, ports = [" + ports(30000, 100) + "], health-check.type = tcp, "
                + "restart { min-backoff = 1s, max-backoff = 1m, random-factor = 0, reset-after = 60s, max-restarts = 3, cooldown = 5m } }";
        try (Simulation sim = Simulation.create(testKit, body)
                .script("storm", ProcessScript.healthy().exitsAfter(Duration.ofSeconds(10), 1)).start()) {
            sim.advance(Duration.ofSeconds(5));
            assertEquals(100, sim.backends("storm").size(), "all ready before the storm");

            sim.advance(Duration.ofMinutes(2));
            assertEquals(ServiceState.FAILED, sim.service("storm").state());
            assertEquals(List.of(), sim.backends("storm"));
            assertTrue(sim.service("storm").instances().stream().allMatch(i -> i.state() == InstanceState.FAILED && i.restarts() == 3));

            // Each run lasts 10 s; the delays before restarts 1, 2, 3 are 1 s, 2 s, 4 s.
            List<Duration> starts = sim.launchTimes("storm", 30042);
            List<Duration> gaps = new ArrayList<>();
            for (int i = 1; i < starts.size(); i++) {
                gaps.add(starts.get(i).minus(starts.get(i - 1)));
            }
            assertEquals(List.of(Duration.ofSeconds(11), Duration.ofSeconds(12), Duration.ofSeconds(14)), gaps);

            // After the cooldown every instance is tried again, with a fresh budget.
            sim.script("storm", ProcessScript.healthy());
            sim.advance(Duration.ofMinutes(5));
            assertEquals(100, sim.backends("storm").size());
            assertEquals(ServiceState.RUNNING, sim.service("storm").state());
        }
    }

    @Test
    void probeScriptsDriveReadinessAndUnhealthyRestarts() {
        String body = "services.web { command = srv, ports = [31000, 31001], health-check { type = http, path = \"/h\", "
                + "interval = 1s, failure-threshold = 3, start-period = 10s, start-interval = 100ms } }";
        // The first two processes (one per port) bind after 3 s and freeze at 20 s; later ones are fine.
        try (Simulation sim = Simulation.create(testKit, body).script("web", n -> n <= 2
                ? ProcessScript.healthy().bindsAfter(Duration.ofSeconds(3)).hangsAfter(Duration.ofSeconds(20))
                : ProcessScript.healthy()).start()) {
            sim.advance(Duration.ofMillis(2900));
            assertEquals(List.of(), sim.backends("web"), "nothing ready before it binds");
            sim.advance(Duration.ofMillis(200));
            assertEquals(List.of("127.0.0.1:31000", "127.0.0.1:31001"), sim.backends("web"), "ready within a start-interval of binding");
            sim.advance(Duration.ofSeconds(16));
            assertEquals(2, sim.backends("web").size());
            assertEquals(0, sim.instance("web", 31000).restarts());
            sim.advance(Duration.ofSeconds(15));
            assertTrue(sim.service("web").instances().stream().allMatch(i -> i.restarts() == 1 && i.state() == InstanceState.HEALTHY),
                    "the frozen ones were restarted: " + sim.service("web").instances());
        }
    }
}
