package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.ServiceState;
import io.procpool.testkit.ProcessScript;
import io.procpool.testkit.Simulation;
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

/**
 * A hundred instances in a crash storm, simulated: the restart delays follow the backoff, the
 * restart budget turns them FAILED, the ready set empties, and after the cooldown they all come
 * back. Seven and a half minutes of virtual time.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashStormTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(Simulation.config()).build();

    private static final String POOL = """
            services.storm {
              command = "./worker --port {port}"
              ports = [%s]                                   # a hundred instances
              health-check { type = http, path = "/health", interval = 2s }
              restart { min-backoff = 1s, max-backoff = 1m, random-factor = 0, reset-after = 60s,
                        max-restarts = 3, cooldown = 5m }
            }
            """.formatted(IntStream.range(9000, 9100).mapToObj(Integer::toString).collect(Collectors.joining(", ")));

    @Test
    void aHundredInstancesInACrashStorm() {
        long wall = System.nanoTime();
        // Every process crashes 10 s after it starts: a storm that never lets up.
        try (Simulation sim = Simulation.create(testKit, POOL)
                .script("storm", ProcessScript.healthy().exitsAfter(Duration.ofSeconds(10), 1))
                .start()) {
            sim.advance(Duration.ofSeconds(5));
            assertEquals(100, sim.backends("storm").size(), "all ready before the storm");

            sim.advance(Duration.ofMinutes(2));
            // The budget: 3 restarts without a run of 60 s, then FAILED; none is ready any more.
            assertEquals(ServiceState.FAILED, sim.service("storm").state());
            for (InstanceStatus i : sim.service("storm").instances()) {
                assertEquals(InstanceState.FAILED, i.state());
                assertEquals(3, i.restarts());
            }
            assertEquals(List.of(), sim.backends("storm"));

            // The backoff: each run lasts 10 s, then waits 1 s, 2 s, 4 s before the next.
            List<Duration> starts = sim.launchTimes("storm", 9042);
            List<Duration> gaps = new ArrayList<>();
            for (int n = 1; n < starts.size(); n++) {
                gaps.add(starts.get(n).minus(starts.get(n - 1)));
            }
            assertEquals(List.of(Duration.ofSeconds(11), Duration.ofSeconds(12), Duration.ofSeconds(14)), gaps);

            // The storm is over; after the 5 minute cooldown every instance comes back.
            sim.script("storm", ProcessScript.healthy());
            sim.advance(Duration.ofMinutes(5));
            assertEquals(100, sim.backends("storm").size());
            assertEquals(ServiceState.RUNNING, sim.service("storm").state());
            assertTrue(sim.now().compareTo(Duration.ofMinutes(7)) > 0);
            System.out.printf("crash storm: simulated %s of virtual time in %d ms of wall time%n", sim.now(),
                    (System.nanoTime() - wall) / 1_000_000);
        }
    }
}
