package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.api.OperationEvent;
import io.procpool.api.PoolEvent;
import io.procpool.api.ScalingEvent;
import io.procpool.config.AdminSettings;
import io.procpool.internal.admin.AdminServer;
import io.procpool.internal.admin.FakePool;
import io.procpool.internal.admin.Statuses;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.spi.ProcessUsage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * poolctl's events, logs, signal and top against the real admin API (Pekko HTTP on 127.0.0.1,
 * port 0) in front of a fake pool: what a user sees, how following ends when the manager goes
 * away, and top's refreshing screen driven through a fake terminal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CtlFollowTest {

    private static final String TOKEN = "s3cret";
    private static final Duration DEADLINE = Duration.ofSeconds(15);

    private final ActorTestKit testKit = ActorTestKit.create();
    private final List<String> operations = new CopyOnWriteArrayList<>();
    /** CPU seconds /metrics reports for search:8000 (pid 9000): one more at every scrape. */
    private final AtomicInteger scrapes = new AtomicInteger();
    private int port;

    @BeforeAll
    void bind() throws Exception {
        port = bind(testKit).localAddress().getPort();
    }

    private ServerBinding bind(ActorTestKit kit) throws Exception {
        PoolMetrics metrics = new PoolMetrics(System::nanoTime,
                groups -> Map.of(9000L, new ProcessUsage(scrapes.incrementAndGet(), 24L << 20, 2)));
        metrics.publish(Statuses.pool());
        return AdminServer.bind(kit.system(), new AdminSettings(true, "127.0.0.1", 0, Optional.of(TOKEN)),
                new FakePool(kit.system(), operations), metrics).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    void shutDown() {
        testKit.shutdownTestKit();
    }

    @AfterEach
    void forget() {
        operations.clear();
        TopCommand.screen = new TopCommand.Tty();
    }

    /** One poolctl run: its writers can be read while it runs; {@code exit} completes when it ends. */
    private record Running(StringWriter out, StringWriter err, CompletableFuture<Integer> exit) {
        int awaitExit() throws Exception {
            int code = exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            assertFalse(err.toString().contains("Exception") || err.toString().contains("\tat "), "a stack trace: " + err);
            return code;
        }
    }

    private Running start(StringWriter out, String... args) {
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine cmd = Main.ctlCommandLine(all);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return new Running(out, err, CompletableFuture.supplyAsync(() -> cmd.execute(all)));
    }

    private Running start(String... args) {
        return start(new StringWriter(), args);
    }

    /** Waits (bounded) until {@code done}, doing {@code each} before every look. */
    private static void until(String what, Runnable each, BooleanSupplier done) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            each.run();
            if (done.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + DEADLINE + ": " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    @Test
    void eventsPrintsALinePerEventUntilTheManagerShutsDown() throws Exception {
        ActorTestKit own = ActorTestKit.create();
        int at = bind(own).localAddress().getPort();
        Running text = start("events", "search", "--admin", ":" + at);
        Running json = start("--json", "--admin", ":" + at, "events");
        PoolEvent transition = new PoolEvent(Instant.parse("2026-12-05T10:00:00Z"), "search", 8000, OptionalLong.of(42),
                InstanceState.HEALTHY, InstanceState.BACKOFF, "exited unexpectedly with exit 3 after 2s");
        // The stream subscribes as its answer starts: publish until both clients have printed it.
        until("both clients saw the transition", () -> own.system().eventStream().tell(new EventStream.Publish<>(transition)),
                () -> text.out().toString().contains("BACKOFF") && json.out().toString().contains("BACKOFF"));
        own.system().eventStream().tell(new EventStream.Publish<>(new PoolEvent(Instant.parse("2026-12-05T10:00:01Z"), "auth",
                8010, OptionalLong.empty(), InstanceState.BACKOFF, InstanceState.STARTING, "restarting")));
        own.system().eventStream().tell(new EventStream.Publish<>(new ScalingEvent(Instant.parse("2026-12-05T10:00:02Z"),
                "search", 1, 2, "cpu", 0.91, 0.7, "cpu 0.910 per instance vs target 0.700 for 30s")));
        own.system().eventStream().tell(new EventStream.Publish<>(new OperationEvent(Instant.parse("2026-12-05T10:00:03Z"),
                "search", "rolling restart", Optional.of(OpResult.ok("restarted 2 instance(s) of search")))));
        until("the operation reached both", () -> { },
                () -> text.out().toString().contains("rolling restart") && json.out().toString().contains("rolling restart"));

        // As the manager shuts down: coordinated shutdown ends the event streams (the test kit's own
        // termination does not run it).
        org.apache.pekko.actor.CoordinatedShutdown.get(own.system()).runAll(org.apache.pekko.actor.CoordinatedShutdown.unknownReason())
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        try {
            assertEquals(1, text.awaitExit(), "the manager went away: exit 1 as for one that cannot be reached");
            assertEquals(1, json.awaitExit());
        } finally {
            own.shutdownTestKit(); // only now: the kit's stop aborts connections, where a manager's exit closes them
        }
        // The shutdown ends the streams; in about one run of five (when other tests load the JVM)
        // the server's termination of its connections still overtakes an end, and the client reads
        // a reset instead. Either way it is exit 1 and one line that says why.
        String manager = "http://127.0.0.1:" + at + "/";
        for (Running r : List.of(text, json)) {
            String said = r.err().toString();
            assertTrue(said.equals("poolctl: the manager at " + manager + " ended the event stream (it is shutting down)\n")
                    || said.startsWith("poolctl: lost the connection to the manager at " + manager + ": ") && said.lines().count() == 1,
                    said);
        }

        List<String> lines = List.of(text.out().toString().split("\n"));
        assertEquals("2026-12-05T10:00:00.000Z  search:8000  HEALTHY -> BACKOFF  pid 42  exited unexpectedly with exit 3 after 2s",
                lines.get(0));
        assertTrue(lines.contains("2026-12-05T10:00:02.000Z  search  scaled 1 -> 2  cpu 0.910 per instance vs target 0.700 for 30s"),
                text.out().toString());
        assertTrue(lines.contains("2026-12-05T10:00:03.000Z  search  rolling restart: ok: restarted 2 instance(s) of search"),
                text.out().toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains("auth")), "only the service asked for: " + lines);

        List<JsonNode> events = json.out().toString().lines().map(l -> {
            try {
                return Json.read(l);
            } catch (IOException e) {
                throw new AssertionError("not one JSON event a line: " + l, e);
            }
        }).toList();
        assertEquals("transition", events.get(0).path("event").asText());
        assertEquals(42, events.get(0).path("pid").asInt());
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("transition") && e.path("service").asText().equals("auth")));
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("scaling") && e.path("to").asInt() == 2));
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("operation") && e.path("result").asText().equals("ok")));
    }

    @Test
    void eventsFromAManagerThatDiesReportsTheLostConnection() throws Exception {
        // A manager that dies mid-stream, at the socket: one event, then the connection closes
        // without the stream's end (Pekko ends its streams properly even when its system stops).
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Running run = start("--admin", ":" + server.getLocalPort(), "events");
            try (java.net.Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                        java.nio.charset.StandardCharsets.ISO_8859_1));
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    // the request's head
                }
                String event = "data:{\"time\":\"2026-12-05T10:00:00Z\",\"service\":\"search\",\"port\":8000,\"pid\":42,"
                        + "\"from\":\"STARTING\",\"to\":\"HEALTHY\",\"reason\":\"probe succeeded in 1ms\"}\nevent:transition\n\n";
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(event.length()) + "\r\n" + event + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                until("the event is shown", () -> { }, () -> run.out().toString().contains("STARTING -> HEALTHY"));
            }
            assertEquals(1, run.awaitExit());
            assertTrue(run.err().toString().startsWith("poolctl: lost the connection to the manager at http://127.0.0.1:"
                    + server.getLocalPort() + "/: "), run.err().toString());
            assertEquals(1, run.err().toString().lines().count());
        }
    }

    @Test
    void eventsFromAManagerThatIsNotThereIsExit1() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Running run = start("--admin", "127.0.0.1:" + closed, "events");
        assertEquals(1, run.awaitExit());
        assertEquals("poolctl: no procpool manager answers at http://127.0.0.1:" + closed + "/ (is it running? see --admin)\n",
                run.err().toString());
    }

    @Test
    void logsFollowPrintsNewLinesUntilTheManagerGoesAway() throws Exception {
        ServerBinding own = bind(testKit);
        Running run = start("logs", "search", "8000", "-n", "2", "-f", "--admin", ":" + own.localAddress().getPort());
        until("two polls after the tail", () -> { }, () -> run.out().toString().contains("line 4\n"));
        own.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(1, run.awaitExit());
        assertTrue(run.out().toString().startsWith("line 1\nline 2\nline 3\nline 4\n"), run.out().toString());
        assertTrue(run.err().toString().startsWith("poolctl: "), run.err().toString());
        assertEquals(1, run.err().toString().lines().count(), run.err().toString());
    }

    @Test
    void eventsOfAServiceThePoolDoesNotHaveIsExit1NotAFollowForEver() throws Exception {
        Running run = start("--admin", ":" + port, "events", "nosuch");
        assertEquals(1, run.awaitExit());
        assertTrue(run.err().toString().startsWith("poolctl: no service 'nosuch'"), run.err().toString());
    }

    @Test
    void logsOfAPortTheServiceDoesNotHaveIsExit1WithTheApisReason() throws Exception {
        Running run = start("--admin", ":" + port, "logs", "search", "8999", "-f");
        assertEquals(1, run.awaitExit());
        assertEquals("poolctl: service 'search' has no port 8999\n", run.err().toString());
    }

    @Test
    void signalSendsTheNamedOrNumberedSignalWithTheToken() throws Exception {
        Running hup = start("--admin", ":" + port, "--token", TOKEN, "signal", "search", "hup");
        assertEquals(0, hup.awaitExit(), hup.err().toString());
        assertEquals("search: SIGHUP sent to :8000 pid 9000\n", hup.out().toString());
        Running usr1 = start("signal", "search", "10", "--admin", ":" + port, "--token", TOKEN);
        assertEquals(0, usr1.awaitExit(), usr1.err().toString());
        assertEquals(List.of("signal HUP search", "signal USR1 search"), operations);
    }

    @Test
    void signalRefusalsNameWhatWasWrong() throws Exception {
        Running bogus = start("--admin", ":" + port, "--token", TOKEN, "signal", "search", "BOGUS");
        assertEquals(2, bogus.awaitExit(), "a value the manager rejects (400) is a usage error");
        assertTrue(bogus.err().toString().startsWith("poolctl: unknown signal 'BOGUS': accepted: HUP (1), INT (2), QUIT (3), "
                + "KILL (9), USR1 (10)"), bogus.err().toString());
        Running nope = start("--admin", ":" + port, "--token", TOKEN, "signal", "nope", "HUP");
        assertEquals(1, nope.awaitExit());
        assertEquals("poolctl: no service 'nope'\n", nope.err().toString());
        Running noToken = start("--admin", ":" + port, "signal", "search", "HUP");
        assertEquals(1, noToken.awaitExit());
        assertEquals("poolctl: authorization required: give the manager's admin token (admin.token or admin.token-file in its pool file) with --token, $PROCPOOL_TOKEN or $PROCPOOL_ADMIN_TOKEN\n",
                noToken.err().toString());
        Running wrong = start("--admin", ":" + port, "--token", "guess", "signal", "search", "HUP");
        assertEquals(1, wrong.awaitExit());
        assertTrue(wrong.err().toString().startsWith("poolctl: wrong token"), wrong.err().toString());
        assertEquals(List.of("signal HUP nope"), operations, "refused before the pool was asked, but for the unknown service");
    }

    @Test
    void topPrintsOneTableAndExitsWhenStdoutIsNoTerminal() throws Exception {
        TopCommand.screen = new FakeScreen(false, null);
        Running run = start("--admin", ":" + port, "top");
        assertEquals(0, run.awaitExit(), run.err().toString());
        List<String> lines = run.out().toString().lines().toList();
        assertEquals(List.of("SERVICE", "STATE", "PORT", "PID", "INSTANCE", "CPU%", "RSS", "RESTARTS", "UPTIME"),
                List.of(lines.get(0).split("\\s+")));
        assertEquals(List.of("search", "DEGRADED", "1/2", "8000", "9000", "HEALTHY", "-", "24.0M", "0", "-"),
                List.of(lines.get(1).split("\\s+")), "CPU% needs an uptime or an earlier sample: " + lines);
        assertEquals(List.of("8001", "9001", "STARTING", "-", "-", "0", "-"), List.of(lines.get(2).trim().split("\\s+")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("off ") && l.contains("DISABLED 0/0")), lines.toString());
        assertFalse(run.out().toString().contains("\033"), "no terminal control in a table for scripts");
    }

    @Test
    void topRefreshesInPlaceUntilQAndRestoresTheTerminal() throws Exception {
        CountDownLatch twoFrames = new CountDownLatch(2);
        FakeScreen screen = new FakeScreen(true, twoFrames);
        TopCommand.screen = screen;
        StringWriter out = new StringWriter() {
            @Override
            public void write(String str, int off, int len) {
                super.write(str, off, len);
                if (str.substring(off, off + len).contains("\033[H")) {
                    twoFrames.countDown();
                }
            }
        };
        Running run = start(out, "--admin", ":" + port, "top", "--interval", "100ms");
        assertEquals(0, run.awaitExit(), run.err().toString());
        String shown = out.toString();
        assertTrue(shown.startsWith("\033[?1049h\033[?25l\033[H"), "the alternate screen, no cursor: " + shown);
        assertTrue(shown.endsWith("\033[?25h\033[?1049l"), "the cursor and the main screen back at the end: " + shown);
        assertTrue(screen.restored.get(), "the terminal's mode restored");
        String[] frames = shown.split("\033\\[H");
        assertTrue(frames.length >= 3, "at least two frames: " + frames.length);
        assertTrue(frames[1].startsWith("procpool at http://127.0.0.1:" + port + "/ "), frames[1]);
        assertTrue(frames[1].contains("every 100ms   q quits"), frames[1]);
        String secondRow = frames[2].lines().filter(l -> l.startsWith("search ")).findFirst().orElseThrow();
        assertTrue(secondRow.matches("search\\s+DEGRADED 1/2\\s+8000\\s+9000\\s+HEALTHY\\s+\\d+\\.\\d\\s+24\\.0M.*"),
                "the second frame has a CPU% from the two samples: " + secondRow);
    }

    /** A terminal for top: whether stdout is one, and a key stream that types q once {@code before} is done. */
    private static final class FakeScreen implements TopCommand.Screen {
        private final boolean terminal;
        private final CountDownLatch before;
        final AtomicBoolean restored = new AtomicBoolean();

        FakeScreen(boolean terminal, CountDownLatch before) {
            this.terminal = terminal;
            this.before = before;
        }

        @Override
        public boolean isTerminal() {
            return terminal;
        }

        @Override
        public Runnable cbreak() {
            return () -> restored.set(true);
        }

        @Override
        public InputStream keys() {
            return new InputStream() {
                private boolean typed;

                @Override
                public int read() throws IOException {
                    if (typed) {
                        return -1;
                    }
                    try {
                        if (!before.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                            throw new IOException("top never drew two frames");
                        }
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    typed = true;
                    return 'q';
                }
            };
        }
    }
}
