package io.procpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The health-check block of a service: which probe kind it names and the keys each kind owns. */
class HealthReaderTest {

    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    private PoolSettings load(String name, String text) throws Exception {
        return files.load(name, text);
    }

    private ConfigError onlyError(String text) throws Exception {
        return ConfigFiles.only(files.errors("p.conf", text));
    }

    @Test
    void healthCheckObjectFormInheritsUnsetKeys() throws Exception {
        HealthSettings h = load("p.conf", """
                pool.services.a { command = a, ports = [1], health-check { path = "/h", interval = 500ms, type = http } }
                """).services().get("a").health();
        HttpProbe http = (HttpProbe) h.probe();
        assertEquals("/h", http.path());
        assertEquals(Duration.ofMillis(500), h.interval());
        assertEquals(Duration.ofSeconds(1), h.timeout());
        assertTrue(http.expectStatus().contains(204));
        assertFalse(http.expectStatus().contains(500));
    }

    @Test
    void noHealthPathMeansATcpProbe() throws Exception {
        assertEquals(new TcpProbe(), load("p.conf", "pool.services.a { command = a, ports = [1] }").services().get("a").health().probe());
    }

    @Test
    void anExecProbeRunsItsCommandInTheServicesDirectoryWithItsEnvironment() throws Exception {
        Files.createDirectories(dir.resolve("srv"));
        ExecProbe exec = (ExecProbe) load("p.conf", """
                pool.services.a {
                  command = a, ports = [8000], working-dir = srv, env { MODE = check }
                  health-check { type = exec, command = "./check --port {port}", timeout = 2s }
                }
                """).services().get("a").health().probe();
        assertEquals(List.of("./check", "--port", "8000"), exec.commandFor(8000));
        assertEquals(dir.resolve("srv"), exec.workingDir());
        assertEquals(Map.of("MODE", "check", "PORT", "8000"), exec.envFor(8000));
        assertEquals("exec ./check --port {port}", exec.summary());
    }

    @Test
    void aProbeKindsKeysAreItsOwnAndAnExecProbeNeedsACommand() throws Exception {
        ConfigError missing = onlyError("""
                pool.services.a { command = a, ports = [1], health-check { type = exec } }
                """);
        assertEquals("health-check.command", missing.key());
        assertTrue(missing.message().startsWith("is needed for an exec probe"), missing.message());
        ConfigError wrongKind = onlyError("""
                pool.services.a { command = a, ports = [1], health-check { type = tcp, path = "/h" } }
                """);
        assertEquals("health-check.path", wrongKind.key());
        assertEquals("is a key of http probes, and this probe is tcp (health-check.type)", wrongKind.message());
        ConfigError unknown = onlyError("""
                pool.services.a { command = a, ports = [1], health-check { type = grpc } }
                """);
        assertEquals("must be http, tcp, exec, none, got \"grpc\"", unknown.message());
    }
}
