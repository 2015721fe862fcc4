package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health probes over real processes: a 500, a frozen process, a slow binder, the ready set. */
class HealthIT {

    private static final String PROBE = "health-check { path = \"/health\", interval = 500ms, timeout = 300ms, "
            + "failure-threshold = 3, start-period = %s }";

    @TempDir
    Path dir;

    private Manager manager;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    @Test
    void anInstanceAnswering500IsReplacedAndNeverListedAsABackend() throws Exception {
        int port = Manager.freePort();
        // A start period the fake service's start fits in on a loaded machine (python3 has taken
        // over 2 s there): an instance replaced before it ever served would prove nothing.
        manager.writeConfig("services.bad { command = " + Manager.fake("--status 500") + ", ports = [" + port + "], "
                + PROBE.formatted("5s") + " }");
        manager.run();
        long first = manager.awaitInstance("bad", port, "STARTING", Duration.ofSeconds(15));
        Await.value(Duration.ofSeconds(15), "it serves (500s)", () -> Manager.servingPid(port));
        long second = Await.value(Duration.ofSeconds(20), "a new pid", () -> manager.instance("bad", port)
                .map(i -> i.path("pid").asLong()).filter(p -> p != 0 && p != first).orElse(null));
        assertNotEquals(first, second);
        JsonNode instance = manager.instance("bad", port).orElseThrow();
        assertTrue(instance.path("restarts").asInt() >= 1, instance.toString());
        assertEquals("[]", backends().path("bad").toString());
        String out = manager.output();
        assertTrue(out.contains("UNHEALTHY") && out.contains("HTTP 500"), out);
    }

    @Test
    void aFrozenInstanceIsReplacedAndTheFrozenOneIsGone() throws Exception {
        int port = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + port + "], "
                + PROBE.formatted("10s") + " }");
        manager.run();
        long frozen = manager.awaitInstance("web", port, "HEALTHY", Duration.ofSeconds(15));
        assertEquals("[\"127.0.0.1:" + port + "\"]", backends().path("web").toString());
        Manager.signal(frozen, "STOP");
        long replacement = Await.value(Duration.ofSeconds(10), "a new HEALTHY pid", () -> manager.instance("web", port)
                .filter(i -> i.path("state").asText().equals("HEALTHY") && i.path("pid").asLong() != frozen)
                .map(i -> i.path("pid").asLong()).orElse(null));
        Await.until(Duration.ofSeconds(5), "the frozen process is gone", () -> !Manager.alive(frozen));
        assertEquals(replacement, Manager.servingPid(port));
        JsonNode health = manager.instance("web", port).orElseThrow().path("health");
        assertTrue(health.path("last_latency_ms").asDouble() > 0, health.toString());
    }

    @Test
    void anExecProbeDecidesByItsCommandsExit() throws Exception {
        int port = Manager.freePort();
        Path ready = dir.resolve("ready-" + port);
        // The service serves at once; the probe says healthy only once the file exists.
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + port + "], "
                + "health-check { type = exec, command = [\"test\", \"-f\", \"" + ready + "\"], interval = 300ms, "
                + "start-interval = 100ms, start-period = 30s } }");
        manager.run();
        long pid = manager.awaitInstance("web", port, "STARTING", Duration.ofSeconds(15));
        Await.value(Duration.ofSeconds(5), "it serves", () -> Manager.servingPid(port));
        assertEquals("STARTING", manager.instance("web", port).orElseThrow().path("state").asText(), "not ready without the file");
        java.nio.file.Files.writeString(ready, "");
        assertEquals(pid, manager.awaitInstance("web", port, "HEALTHY", Duration.ofSeconds(10)));
        assertTrue(manager.output().contains("probing exec test -f " + ready), manager.output());
    }

    @Test
    void aLateBinderBecomesHealthyWithoutARestart() throws Exception {
        int port = Manager.freePort();
        manager.writeConfig("services.slow { command = " + Manager.fake("--bind-delay 3") + ", ports = [" + port + "], "
                + PROBE.formatted("10s") + " }");
        manager.run();
        manager.awaitInstance("slow", port, "STARTING", Duration.ofSeconds(15));
        assertEquals("[]", backends().path("slow").toString());
        Await.value(Duration.ofSeconds(10), "it binds", () -> Manager.servingPid(port));
        manager.awaitInstance("slow", port, "HEALTHY", Duration.ofSeconds(2));
        JsonNode instance = manager.instance("slow", port).orElseThrow();
        assertEquals(0, instance.path("restarts").asInt());
        assertEquals(0, instance.path("health").path("consecutive_failures").asInt());
        assertEquals("[\"127.0.0.1:" + port + "\"]", backends().path("slow").toString());
    }

    private JsonNode backends() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + manager.adminPort + "/backends")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return Manager.JSON.readTree(r.body());
    }
}
