package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code procpool run} under a stand-in for systemd: a datagram socket this test binds (a small
 * Python receiver that logs every notification with its sender's pid), its address in
 * {@code NOTIFY_SOCKET}, no systemd needed.
 */
class SystemdNotifyIT {

    private static final Path RECEIVER = Path.of("src/test/programs/notify_receiver.py").toAbsolutePath();
    private static final String PROBE = "health-check { path = \"/h\", interval = 500ms }";

    @TempDir
    Path dir;

    private Manager manager;
    private Process receiver;
    private Path log;

    @BeforeEach
    void setUp() throws IOException {
        manager = new Manager(dir);
        log = dir.resolve("notify.log");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            manager.close();
        } finally {
            if (receiver != null) {
                receiver.destroyForcibly();
                receiver.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Binds the stand-in's socket at {@code address} and waits until it listens. */
    private void listen(String address) throws IOException {
        receiver = new ProcessBuilder("python3", RECEIVER.toString(), address, log.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("receiver.out").toFile()).start();
        Await.until(Duration.ofSeconds(10), "the receiver bound " + address, () -> Files.exists(Path.of(log + ".ready")));
    }

    /** Every notification received so far, oldest first. */
    private List<JsonNode> received() {
        List<JsonNode> all = new ArrayList<>();
        try {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    if (line.endsWith("}")) {
                        all.add(Manager.JSON.readTree(line));
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return all;
    }

    private static String state(JsonNode n) {
        return n.path("state").asText();
    }

    /** The index of the first notification at or after {@code from} that contains {@code line}, once it has come. */
    private int await(String line, int from, Duration deadline) {
        return Await.value(deadline, "a notification with " + line + " after #" + from + "; got " + received(), () -> {
            List<JsonNode> all = received();
            for (int i = from; i < all.size(); i++) {
                if (state(all.get(i)).lines().anyMatch(line::equals)) {
                    return i;
                }
            }
            return null;
        });
    }

    @Test
    void readyComesOnceEveryServiceIsReadyThenReloadingAndReadyAroundSighupAndStoppingOnSigterm() throws Exception {
        int fast = Manager.freePort();
        int slow = Manager.freePort();
        manager.writeConfig("services {\n"
                + "  fast { command = " + Manager.fake("") + ", ports = [" + fast + "], " + PROBE + " }\n"
                // sh shows what a child inherits, then becomes the service
                + "  slow { command = [\"sh\", \"-c\", \"env > child-env.txt; exec python3 " + Manager.FAKE_SERVICE
                + " --port {port} --bind-delay 2\"], ports = [" + slow + "], " + PROBE + " }\n}");
        Path socket = dir.resolve("notify.sock");
        listen(socket.toString());
        Process run = manager.startWith(Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "2000000"),
                "run", "--config", "pool.conf");

        int ready = await("READY=1", 0, Duration.ofSeconds(30));
        List<JsonNode> beforeReady = received().subList(0, ready);
        assertTrue(beforeReady.stream().anyMatch(n -> state(n).contains("waiting for: slow 0/1")),
                "it waited for the slow service and said so: " + beforeReady);
        assertTrue(state(received().get(ready)).contains("STATUS=2 of 2 services ready, 2 instances ready"), received().toString());
        assertEquals("HEALTHY", manager.instance("slow", slow).orElseThrow().path("state").asText(), "ready means ready");
        await("WATCHDOG=1", 0, Duration.ofSeconds(10));

        assertFalse(Files.readString(dir.resolve("child-env.txt")).contains("NOTIFY_SOCKET"), "a child does not get the socket");
        assertFalse(Files.readString(dir.resolve("child-env.txt")).contains("WATCHDOG_USEC"), "nor the watchdog");

        Manager.signal(run.pid(), "HUP");
        int reloading = await("RELOADING=1", ready + 1, Duration.ofSeconds(10));
        assertTrue(state(received().get(reloading)).contains("MONOTONIC_USEC="), received().get(reloading).toString());
        await("READY=1", reloading + 1, Duration.ofSeconds(10));

        Manager.signal(run.pid(), "TERM");
        await("STOPPING=1", reloading + 1, Duration.ofSeconds(10));
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(30)), "exit code after SIGTERM");
        for (JsonNode n : received()) {
            assertEquals(run.pid(), n.path("pid").asLong(), "every notification comes from the main pid (NotifyAccess=main): " + n);
        }
    }

    @Test
    void anAbstractSocketAddressIsUsedAndAnUnusableOneIsNoReasonNotToRun() throws Exception {
        int port = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + port + "], " + PROBE + " }");
        String name = "@procpool-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        listen(name);
        Process run = manager.startWith(Map.of("NOTIFY_SOCKET", name), "run", "--config", "pool.conf");
        await("READY=1", 0, Duration.ofSeconds(30));
        Manager.signal(run.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(run, Duration.ofSeconds(30)));

        Process unheard = manager.startWith(Map.of("NOTIFY_SOCKET", dir.resolve("nobody-listens.sock").toString()),
                "run", "--config", "pool.conf");
        manager.awaitInstance("web", port, "HEALTHY", Duration.ofSeconds(30));
        Manager.signal(unheard.pid(), "TERM");
        assertEquals(0, Manager.awaitExit(unheard, Duration.ofSeconds(30)));
        assertTrue(manager.output().contains("cannot notify the service manager"), manager.output());
    }
}
