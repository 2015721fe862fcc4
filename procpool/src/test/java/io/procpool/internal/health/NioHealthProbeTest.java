package io.procpool.internal.health;

import io.procpool.spi.ProbeResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.HealthSettings;
import io.procpool.config.TestConfigs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connection reuse of the default prober: one connection for many probes while the instance
 * keeps it, a new one when it does not, and no failed probe when the instance closed a kept
 * connection in between.
 */
class NioHealthProbeTest {

    private final NioHealthProbe probe;
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    NioHealthProbeTest() throws IOException {
        probe = new NioHealthProbe();
    }

    @AfterEach
    void close() throws Exception {
        probe.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static HealthSettings http(boolean keepAlive) {
        return TestConfigs.service("command = x, ports = [1], health-check { path = \"/h\", timeout = 2s, keep-alive = "
                + keepAlive + " }").health();
    }

    /**
     * A server that answers every request on a connection with {@code answer.apply(n)} (n counts
     * requests on that connection from 1); once {@code closeAfter} were answered on a connection,
     * it reads the next request and closes the connection without an answer (an idle timeout on
     * the instance's side, met by a request already on its way), or, {@code closeWhenIdle}, closes
     * it at once, before any next request (an idle timeout or an exit between two probes).
     */
    private final class KeepAliveServer {
        final ServerSocket socket;
        final AtomicInteger connections = new AtomicInteger();
        /** A permit per connection this server has closed. */
        final java.util.concurrent.Semaphore closed = new java.util.concurrent.Semaphore(0);
        private final boolean closeWhenIdle;

        KeepAliveServer(Function<Integer, String> answer, int closeAfter) throws IOException {
            this(answer, closeAfter, false);
        }

        KeepAliveServer(Function<Integer, String> answer, int closeAfter, boolean closeWhenIdle) throws IOException {
            this.closeWhenIdle = closeWhenIdle;
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            toClose.add(socket);
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        toClose.add(s);
                        connections.incrementAndGet();
                        Thread c = new Thread(() -> serve(s, answer, closeAfter));
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private void serve(Socket s, Function<Integer, String> answer, int closeAfter) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (int n = 1; ; n++) {
                    if (TestHttp.readHead(in).isEmpty()) {
                        return;
                    }
                    out.write(answer.apply(n).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (n == closeAfter) {
                        if (!closeWhenIdle) {
                            TestHttp.readHead(in);
                        }
                        return;
                    }
                }
            } catch (IOException e) {
                // the prober closed it
            } finally {
                closed.release();
            }
        }

        int port() {
            return socket.getLocalPort();
        }
    }

    private ProbeResult probeOnce(int port, HealthSettings settings) throws Exception {
        return probe.probe(port, settings).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /** {@code probes} probes in a row against a server answering {@code answer}: all healthy, over {@code connections}. */
    private void assertProbesHealthyOver(int connections, int probes, String answer, int closeAfter, boolean keepAlive)
            throws Exception {
        KeepAliveServer server = new KeepAliveServer(n -> answer, closeAfter);
        for (int i = 0; i < probes; i++) {
            ProbeResult r = probeOnce(server.port(), http(keepAlive));
            assertTrue(r.healthy(), () -> "got " + r);
        }
        assertEquals(connections, server.connections.get());
    }

    @Test
    void theRequestCacheFindsTheKeyOfAnEarlierProbeAndNoOtherOne() {
        // Its equals and hashCode are written by hand: a mistake there would not fail a probe, it
        // would add a cache entry per probe.
        NioHealthProbe.RequestKey key = new NioHealthProbe.RequestKey(8000, "/healthz", true);
        NioHealthProbe.RequestKey again = new NioHealthProbe.RequestKey(8000, new String("/healthz"), true);
        assertEquals(key, again);
        assertEquals(key.hashCode(), again.hashCode());
        assertFalse(key.equals(new NioHealthProbe.RequestKey(8001, "/healthz", true)));
        assertFalse(key.equals(new NioHealthProbe.RequestKey(8000, "/", true)));
        assertFalse(key.equals(new NioHealthProbe.RequestKey(8000, "/healthz", false)));
        assertFalse(key.equals("/healthz"));
    }

    @Test
    void probesShareOneConnectionWhileTheInstanceKeepsIt() throws Exception {
        assertProbesHealthyOver(1, 5, OK, Integer.MAX_VALUE, true);
    }

    @Test
    void withoutKeepAliveEveryProbeHasItsOwnConnection() throws Exception {
        assertProbesHealthyOver(3, 3, OK, Integer.MAX_VALUE, false);
    }

    @Test
    void aKeptConnectionTheInstanceClosedIsReplacedWithoutAFailedProbe() throws Exception {
        // Every connection serves one answer; the next probe on it is met by a close, and is
        // retried on a new connection within the same probe.
        assertProbesHealthyOver(4, 4, OK, 1, true);
    }

    @Test
    void aKeptConnectionClosedWhileIdleIsFoundAtItsNextUseAndReplacedWithoutAFailedProbe() throws Exception {
        // The instance closes a kept connection between two probes, as an exit or an idle timeout
        // does: the next probe gets a healthy answer on a new connection, however the prober
        // learnt of the close (it watches idle connections; one found closed at use is retried).
        KeepAliveServer server = new KeepAliveServer(n -> OK, 1, true);
        assertTrue(probeOnce(server.port(), http(true)).healthy());
        assertTrue(server.closed.tryAcquire(10, TimeUnit.SECONDS), "the server closed the first connection");
        ProbeResult second = probeOnce(server.port(), http(true));
        assertTrue(second.healthy(), () -> "got " + second);
        assertEquals(2, server.connections.get());
    }

    @Test
    void chunkedAnswersAreReadToTheirEndAndTheConnectionReused() throws Exception {
        assertProbesHealthyOver(1, 3, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nheal\r\n3;x=y\r\nthy\r\n0\r\n\r\n",
                Integer.MAX_VALUE, true);
    }

    @Test
    void anHttp10AnswerOrConnectionCloseIsNotReused() throws Exception {
        KeepAliveServer old = new KeepAliveServer(n -> "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", Integer.MAX_VALUE);
        KeepAliveServer closing = new KeepAliveServer(n -> "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                Integer.MAX_VALUE);
        for (int i = 0; i < 2; i++) {
            assertTrue(probeOnce(old.port(), http(true)).healthy());
            assertTrue(probeOnce(closing.port(), http(true)).healthy());
        }
        assertEquals(2, old.connections.get());
        assertEquals(2, closing.connections.get());
    }

    @Test
    void aFailingStatusOnAKeptConnectionFailsAndTheNextProbeStillWorks() throws Exception {
        KeepAliveServer server = new KeepAliveServer(
                n -> n == 2 ? "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\noops" : OK, Integer.MAX_VALUE);
        assertTrue(probeOnce(server.port(), http(true)).healthy());
        assertEquals("HTTP 500 (expected 2xx)", probeOnce(server.port(), http(true)).error());
        assertTrue(probeOnce(server.port(), http(true)).healthy());
        assertEquals(1, server.connections.get());
    }

    /** Probes of one port that never answers, all asked at once, with their outcomes once all came. */
    private List<ProbeResult> probeAMuteListener(NioHealthProbe prober, int probes) throws Exception {
        // A listener that never accepts: the kernel completes each handshake, nobody answers, so
        // every probe that begins runs to its timeout.
        ServerSocket mute = new ServerSocket(0, probes * 2, InetAddress.getLoopbackAddress());
        toClose.add(mute);
        List<java.util.concurrent.CompletableFuture<ProbeResult>> asked = new java.util.ArrayList<>();
        for (int i = 0; i < probes; i++) {
            asked.add(prober.probe(mute.getLocalPort(), http(false)).toCompletableFuture());
        }
        List<ProbeResult> results = new java.util.ArrayList<>();
        for (var r : asked) {
            results.add(r.get(10, TimeUnit.SECONDS));
        }
        return results;
    }

    @Test
    void probesBeyondTheTurnsWaitAndOnesThatWaitTooLongAreNotRunNotFailed() throws Exception {
        // Four turns held for longer than the test, and a wait of 50 ms at most.
        NioHealthProbe prober = new NioHealthProbe(4, TimeUnit.SECONDS.toNanos(60), TimeUnit.MILLISECONDS.toNanos(50));
        toClose.add(prober);
        List<ProbeResult> results = probeAMuteListener(prober, 10);
        assertEquals(List.of(true, true, true, true, false, false, false, false, false, false),
                results.stream().map(ProbeResult::ran).toList(), "the first come have the turns");
        for (ProbeResult r : results) {
            assertFalse(r.healthy());
            assertTrue(r.ran() ? r.error().equals("timed out after 2000ms") : r.error().startsWith("procpool's prober was behind"),
                    r.error());
        }
    }

    @Test
    void aProbeThatHoldsItsTurnPastTheTurnGivesItBackAndStillRunsToItsTimeout() throws Exception {
        // Four turns of 50 ms, and a wait of 1 s, under the probes' timeout of 2 s: had the first four
        // kept their turns to their timeouts, the other six would have been answered "not run".
        NioHealthProbe prober = new NioHealthProbe(4, TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.SECONDS.toNanos(1));
        toClose.add(prober);
        List<ProbeResult> results = probeAMuteListener(prober, 10);
        for (ProbeResult r : results) {
            assertTrue(r.ran());
            assertEquals("timed out after 2000ms", r.error());
        }
    }

    @Test
    void anInstanceThatFreezesOnAKeptConnectionTimesOut() throws Exception {
        // Answers the first request, never the second: a process that hung between two probes.
        KeepAliveServer server = new KeepAliveServer(n -> {
            if (n == 2) {
                try {
                    Thread.currentThread().join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return OK;
        }, Integer.MAX_VALUE);
        HealthSettings quick = TestConfigs.service("command = x, ports = [1], health-check { path = \"/h\", timeout = 200ms }")
                .health();
        assertTrue(probeOnce(server.port(), quick).healthy());
        ProbeResult frozen = probeOnce(server.port(), quick);
        assertFalse(frozen.healthy());
        assertEquals("timed out after 200ms", frozen.error());
    }
}
