package io.procpool.internal.health;

import io.procpool.spi.HealthProbe;
import io.procpool.spi.ProbeResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.HealthSettings;
import io.procpool.config.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every prober must do, checked for both real ones against a scripted server on loopback:
 * the verdict and the reason for each way an instance can answer, or not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthProbeContractTest {

    private final ActorTestKit kit = ActorTestKit.create();
    private final NioHealthProbe nio;
    private final PekkoHealthProbe pekko = new PekkoHealthProbe(kit.system());

    HealthProbeContractTest() throws IOException {
        nio = new NioHealthProbe();
    }

    @AfterAll
    void shutdown() {
        nio.close();
        kit.shutdownTestKit();
    }

    Stream<HealthProbe> probes() {
        return Stream.of(nio, pekko);
    }

    private static HealthSettings http(String path, String extra) {
        return TestConfigs.service("command = x, ports = [1], health-check { path = \"" + path + "\", timeout = 300ms"
                + (extra.isEmpty() ? "" : ", " + extra) + " }").health();
    }

    private static HealthSettings tcp() {
        return TestConfigs.service("command = x, ports = [1], health-check { type = tcp, timeout = 300ms }").health();
    }

    /** A one-connection-at-a-time server that hands every accepted socket to {@code handler}. */
    private static final class Server implements AutoCloseable {
        final ServerSocket socket;
        final Thread thread;
        final List<String> requests = new CopyOnWriteArrayList<>();
        final List<Socket> held = new CopyOnWriteArrayList<>();

        /** @param handler gets this server and each accepted connection */
        Server(BiConsumer<Server, Socket> handler) throws IOException {
            socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        handler.accept(this, socket.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "test-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        /** Reads the request head, records its first line, answers {@code response} and closes. */
        static BiConsumer<Server, Socket> answering(String response) {
            return (server, s) -> {
                try (s) {
                    server.requests.add(TestHttp.readHead(s.getInputStream()));
                    OutputStream out = s.getOutputStream();
                    out.write(response.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (IOException e) {
                    // the prober hung up: fine
                }
            };
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static Server serving(String response) throws IOException {
        return new Server(Server.answering(response));
    }

    /** Accepts and holds every connection, never reads or answers: a hung process. */
    private static Server holding() throws IOException {
        return new Server((server, s) -> server.held.add(s));
    }

    private static ProbeResult await(java.util.concurrent.CompletionStage<ProbeResult> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void anExpectedStatusIsHealthyAndThePathIsRequested(HealthProbe probe) throws Exception {
        try (Server server = serving("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")) {
            ProbeResult r = await(probe.probe(server.port(), http("/?q=health", "")));
            assertTrue(r.healthy(), () -> "got " + r);
            assertNull(r.error());
            assertTrue(r.latency().toNanos() > 0);
            assertTrue(server.requests.get(0).startsWith("GET /?q=health HTTP/1.1\r\n"), server.requests.get(0));
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void anUnexpectedStatusFailsAndSaysWhich(HealthProbe probe) throws Exception {
        try (Server server = serving("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) {
            ProbeResult r = await(probe.probe(server.port(), http("/h", "")));
            assertFalse(r.healthy());
            assertEquals("HTTP 503 (expected 2xx)", r.error());
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void expectStatusDecidesWhatIsHealthy(HealthProbe probe) throws Exception {
        try (Server server = serving("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) {
            assertTrue(await(probe.probe(server.port(), http("/h", "expect-status = \"200,401\""))).healthy());
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void aClosedPortIsRefused(HealthProbe probe) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ProbeResult r = await(probe.probe(port, http("/h", "")));
        assertFalse(r.healthy());
        assertEquals("connection refused", r.error());
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void anInstanceThatNeverAnswersTimesOut(HealthProbe probe) throws Exception {
        try (Server server = holding()) {
            ProbeResult r = await(probe.probe(server.port(), http("/h", "")));
            assertFalse(r.healthy());
            assertEquals("timed out after 300ms", r.error());
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void aConnectionClosedWithoutAnAnswerFails(HealthProbe probe) throws Exception {
        try (Server server = new Server((self, s) -> {
            try {
                s.close();
            } catch (IOException e) {
                // closed anyway
            }
        })) {
            assertFailsAtOnce(await(probe.probe(server.port(), http("/h", ""))));
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void tcpIsHealthyOnceAccepted(HealthProbe probe) throws Exception {
        try (Server server = holding()) {
            assertTrue(await(probe.probe(server.port(), tcp())).healthy());
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void manyProbesAtOnceEachGetTheirOwnAnswer(HealthProbe probe) throws Exception {
        try (Server ok = serving("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
             Server bad = serving("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) {
            List<CompletableFuture<ProbeResult>> good = new ArrayList<>();
            List<CompletableFuture<ProbeResult>> failing = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                good.add(probe.probe(ok.port(), http("/h", "timeout = 5s")).toCompletableFuture());
                failing.add(probe.probe(bad.port(), http("/h", "timeout = 5s")).toCompletableFuture());
            }
            for (CompletableFuture<ProbeResult> f : good) {
                assertTrue(await(f).healthy());
            }
            for (CompletableFuture<ProbeResult> f : failing) {
                assertEquals("HTTP 500 (expected 2xx)", await(f).error());
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the probers outlive each test
    @MethodSource("probes")
    void garbageIsNotAnHttpResponse(HealthProbe probe) throws Exception {
        try (Server server = serving("SSH-2.0-OpenSSH_9.2\r\n")) {
            assertFailsAtOnce(await(probe.probe(server.port(), http("/h", ""))));
        }
    }

    /** A failure the prober recognised as such, not one it only noticed at its deadline (300 ms). */
    private static void assertFailsAtOnce(ProbeResult r) {
        assertFalse(r.healthy());
        assertFalse(r.error().startsWith("timed out"), r.error());
        assertTrue(r.latency().compareTo(java.time.Duration.ofMillis(300)) < 0, r.latency() + ": " + r.error());
    }
}
