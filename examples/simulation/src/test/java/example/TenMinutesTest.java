package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceStatus;
import io.procpool.testkit.ProcessScript;
import io.procpool.testkit.Simulation;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Ten minutes of a busy pool, simulated: three services, probes every second, one service whose
 * processes crash every 45 s of uptime. Virtual time, not sleep, drives it.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenMinutesTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(Simulation.config()).build();

    @Test
    void tenMinutesOfAPool() {
        long wall = System.nanoTime();
        try (Simulation sim = Simulation.create(testKit, """
                defaults.health-check { path = "/health", interval = 1s }
                services {
                  search { command = "./search", ports = [8000, 8001, 8002, 8003] }
                  auth   { command = "./auth",   ports = [8010, 8011] }
                  flaky  { command = "./flaky",  ports = [8020, 8021],
                           restart { min-backoff = 1s, random-factor = 0, reset-after = 30s } }
                }
                """).script("flaky", ProcessScript.healthy().exitsAfter(Duration.ofSeconds(45), 1)).start()) {
            sim.advance(Duration.ofMinutes(10));
            assertEquals(4, sim.backends("search").size());
            assertEquals(2, sim.backends("auth").size());
            // A run of 45 s is stable (reset-after 30 s): every crash restarts after 1 s, budget intact.
            for (InstanceStatus i : sim.service("flaky").instances()) {
                assertEquals(13, i.restarts(), "a crash every 46 s over 600 s");
            }
            assertTrue(sim.now().compareTo(Duration.ofMinutes(10)) >= 0);
            System.out.printf("ten minutes: simulated %s of virtual time in %d ms of wall time%n", sim.now(),
                    (System.nanoTime() - wall) / 1_000_000);
        }
    }
}
