package io.procpool.internal.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.ExecProbe;
import io.procpool.config.HealthSettings;
import io.procpool.spi.ProbeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The exec probe against real commands: exit 0 is healthy, anything else and a command past its timeout is not. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExecHealthProbeTest {

    @TempDir
    Path dir;

    private final ExecHealthProbe prober = new ExecHealthProbe();

    @AfterAll
    void close() {
        prober.close();
    }

    private ProbeResult probe(List<String> command, Map<String, String> env, Duration timeout) {
        HealthSettings settings = new HealthSettings(new ExecProbe(command, dir, env), Duration.ofSeconds(1), timeout, 3, 1,
                Duration.ZERO, Duration.ofMillis(100));
        return prober.probe(8123, settings).toCompletableFuture().join();
    }

    @Test
    void exitZeroIsHealthy() {
        assertTrue(probe(List.of("true"), Map.of(), Duration.ofSeconds(5)).healthy());
    }

    @Test
    void anotherExitIsUnhealthyAndItsLastLineIsTheReason() {
        ProbeResult r = probe(List.of("sh", "-c", "echo checking; echo 'database down' >&2; exit 3"), Map.of(), Duration.ofSeconds(5));
        assertFalse(r.healthy());
        assertEquals("exited with 3: database down", r.error());
    }

    @Test
    void itRunsInTheServicesDirectoryWithItsEnvironmentThePortAndNoShell() throws Exception {
        Files.writeString(dir.resolve("marker"), "");
        ProbeResult r = probe(List.of("sh", "-c", "test -f marker && test \"$PORT\" = 8123 && test \"$MODE\" = check-8123 "
                + "&& test \"$1\" = '$HOME'", "sh", "$HOME"), Map.of("MODE", "check-{port}"), Duration.ofSeconds(5));
        assertTrue(r.healthy(), r.error());
        ProbeResult port = probe(List.of("sh", "-c", "test \"$1\" = 8123", "sh", "{port}"), Map.of(), Duration.ofSeconds(5));
        assertTrue(port.healthy(), "{port} in a word is the instance's port: " + port.error());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledAndFails() {
        ProbeResult r = probe(List.of("sleep", "30"), Map.of(), Duration.ofMillis(300));
        assertFalse(r.healthy());
        assertEquals("still running after 300ms (killed)", r.error());
    }

    @Test
    void aMissingProgramFailsWithWhyNotAnException() {
        ProbeResult r = probe(List.of("./no-such-check"), Map.of(), Duration.ofSeconds(5));
        assertFalse(r.healthy());
        assertTrue(r.error().contains("no-such-check"), r.error());
    }
}
