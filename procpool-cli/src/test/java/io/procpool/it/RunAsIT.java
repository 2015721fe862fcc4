package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-service process keys through the real command line, with its defaults (children die
 * with the manager: setpriv sets the death signal and switches the user in one exec): a service
 * run as {@code nobody} with umask 077, stderr in a file of its own, every line timestamped.
 */
class RunAsIT {

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
    void aServiceRunsAsNobodyWithItsUmaskAndTimestampedStderrOfItsOwn() throws Exception {
        Assumptions.assumeTrue(status(ProcessHandle.current().pid(), "Uid").startsWith("0\t"), "needs root");
        int port = Manager.freePort();
        manager.writeConfig("services.quiet { command = [sh, -c, \"echo to-out; echo to-err >&2; exec sleep 300\"],"
                + " ports = [" + port + "], health-check.type = none, user = nobody, umask = \"077\","
                + " log { stderr = separate, timestamps = true } }");
        Process run = manager.run();
        long pid = Await.value(Duration.ofSeconds(15), "quiet started", () -> manager.instance("quiet", port)
                .filter(i -> i.path("pid").isNumber() && List.of("RUNNING", "HEALTHY").contains(i.path("state").asText()))
                .map(i -> i.path("pid").asLong()).orElse(null));
        Await.until(Duration.ofSeconds(5), "the command itself running", () -> cmdline(pid).startsWith("sleep"));
        assertEquals("65534\t65534\t65534\t65534", status(pid, "Uid"));
        assertEquals("0077", status(pid, "Umask"));

        String stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ";
        JsonNode err = Await.value(Duration.ofSeconds(5), "stderr through the API", () -> {
            JsonNode tail = get("services/quiet/instances/" + port + "/log?stream=stderr&lines=1");
            return tail != null && tail.path("lines").size() == 1 && tail.path("lines").get(0).asText().endsWith("to-err")
                    ? tail : null;
        });
        assertTrue(err.path("lines").get(0).asText().matches(stamp + "to-err"), err.toString());
        assertTrue(err.path("file").asText().endsWith("quiet-" + port + ".err.log"), err.toString());
        String out = Files.readString(dir.resolve("state/logs/quiet-" + port + ".log"));
        assertTrue(out.lines().anyMatch(l -> l.matches(stamp + "to-out")), out);
        assertTrue(out.lines().noneMatch(l -> l.endsWith("to-err")), out);

        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(15)), manager.output());
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + manager.adminPort + "/" + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Manager.JSON.readTree(r.body()) : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String status(long pid, String name) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(name + ":"))
                    .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse("");
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String cmdline(long pid) {
        try {
            String[] words = Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0");
            return Path.of(words[0]).getFileName() + (words.length > 1 ? " " + words[1] : "");
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }
}
