package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway end to end: a real manager in front of real processes, traffic from real sockets,
 * every planned stop and crash under load.
 */
class GatewayIT {

    private static final String PROBE = "health-check { path = \"/health\", interval = 200ms, timeout = 500ms, start-interval = 50ms }";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private Manager manager;
    private int gatewayPort;
    private int[] ports;
    /** How many instances the pool starts with. */
    private int running = 2;

    @BeforeEach
    void setUp() throws Exception {
        manager = new Manager(dir);
        gatewayPort = Manager.freePort();
        ports = new int[] {Manager.freePort(), Manager.freePort()};
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
    }

    private Path deliveries() {
        return dir.resolve("deliveries.txt");
    }

    /** A pool with the gateway on and service {@code web} on {@code ports}, {@code extra} added to the service. */
    private void startPool(String extra, String... jvm) throws Exception {
        StringBuilder portList = new StringBuilder();
        for (int p : ports) {
            portList.append(portList.length() == 0 ? "" : ", ").append(p);
        }
        manager.writeConfig("""
                gateway { enabled = true, port = %d, queue-timeout = 10s }
                services.web {
                  command = %s
                  ports = [%s]
                  %s
                  stop.timeout = 5s
                  %s
                }
                """.formatted(gatewayPort, Manager.fake("--deliveries " + deliveries()), portList, PROBE, extra));
        String[] args = new String[jvm.length + 3];
        System.arraycopy(jvm, 0, args, 0, jvm.length);
        args[jvm.length] = "run";
        args[jvm.length + 1] = "--config";
        args[jvm.length + 2] = "pool.conf";
        manager.start(args);
        for (int i = 0; i < running; i++) {
            manager.awaitInstance("web", ports[i], "HEALTHY", Duration.ofSeconds(30));
        }
        Await.until(Duration.ofSeconds(10), "the gateway serves web", () -> get("/web/").statusCode() == 200);
    }

    private URI gateway(String path) {
        return URI.create("http://127.0.0.1:" + gatewayPort + path);
    }

    private HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(gateway(path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> admin(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + manager.adminPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Runs {@code event} under load through the gateway; asserts that no request failed. */
    private void underLoad(String what, ThrowingRunnable event) throws Exception {
        Load load = new Load(gateway("/web/"), 6, Duration.ofSeconds(90));
        try {
            Await.until(Duration.ofSeconds(10), "load flows", () -> load.ok() > 20);
            event.run();
            long before = load.ok();
            Await.until(Duration.ofSeconds(10), "load flows after " + what, () -> load.ok() > before + 20);
        } finally {
            load.stop();
        }
        assertEquals(0, load.failed(), what + ": " + load);
        assertTrue(load.ok() > 40, load.toString());
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void eachServiceIsReachableUnderItsNameWithThePrefixStrippedAndForwardedHeaders() throws Exception {
        startPool("");
        HttpResponse<String> r = get("/web/some/path?q=1");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Manager.JSON.readTree(r.body());
        assertEquals("/some/path?q=1", body.path("path").asText());
        assertEquals(String.valueOf(r.body().length()), r.headers().firstValue("Content-Length").orElse("none"));
        assertEquals("127.0.0.1", body.path("forwarded_for").asText());
        assertEquals("127.0.0.1:" + gatewayPort, body.path("forwarded_host").asText());
        String metrics = admin("GET", "/metrics").body();
        assertTrue(metrics.contains("procpool_gateway_requests_total{code=\"200\",service=\"web\"}")
                || metrics.contains("procpool_gateway_requests_total{service=\"web\",code=\"200\"}"), metrics);
        assertTrue(metrics.contains("procpool_gateway_in_flight{"), metrics);
        JsonNode instance = Manager.JSON.readTree(admin("GET", "/status").body()).path("services").path("web").path("instances").get(0);
        assertEquals(0, instance.path("in_flight").asInt(-1), "in flight in the status: " + instance);
        HttpResponse<String> none = get("/nothing/here");
        assertEquals(404, none.statusCode());
        JsonNode listed = Manager.JSON.readTree(none.body());
        assertEquals("/web", listed.path("routes").get(0).path("path-prefix").asText(), none.body());
    }

    @Test
    void aRollingRestartUnderLoadFailsNoRequest() throws Exception {
        startPool("");
        underLoad("rolling restart", () -> assertEquals(200, admin("POST", "/services/web/restart").statusCode()));
    }

    @Test
    void aSigkillOfOneOfTwoInstancesUnderLoadFailsNoRequest() throws Exception {
        startPool("");
        long pid = manager.awaitInstance("web", ports[0], "HEALTHY", Duration.ofSeconds(5));
        underLoad("SIGKILL of one instance", () -> Manager.signal(pid, "KILL"));
    }

    @Test
    void aScaleDownUnderLoadFailsNoRequest() throws Exception {
        running = 1;
        startPool("min-processes = 1");
        assertEquals(200, admin("POST", "/services/web/scale?instances=2").statusCode());
        manager.awaitInstance("web", ports[1], "HEALTHY", Duration.ofSeconds(30));
        underLoad("scale-down", () -> assertEquals(200, admin("POST", "/services/web/scale?instances=1").statusCode()));
    }

    @Test
    void aReloadThatRollsTheServiceUnderLoadFailsNoRequest() throws Exception {
        startPool("");
        underLoad("reload that rolls the service", () -> {
            String conf = Files.readString(dir.resolve("pool.conf"));
            Files.writeString(dir.resolve("pool.conf"), conf.replace("stop.timeout = 5s", "stop.timeout = 5s\n  env { ROLLED = yes }"));
            HttpResponse<String> r = admin("POST", "/reload");
            assertEquals(200, r.statusCode(), r.body());
        });
    }

    @Test
    void aStoppedServiceIsAnsweredAtOnceAndServesAgainOnceStarted() throws Exception {
        // queue-timeout is 10 s: a request held for an instance would end in the timeout's 503.
        startPool("");
        assertEquals(200, admin("POST", "/services/web/stop").statusCode());
        HttpResponse<String> stopped = get("/web/");
        assertEquals(503, stopped.statusCode(), stopped.body());
        assertTrue(stopped.body().contains("service 'web' is stopped; start it with `poolctl start web`"), stopped.body());
        assertTrue(stopped.headers().firstValue("Retry-After").isEmpty(), "nothing but an operator starts it again");
        assertEquals(200, admin("POST", "/services/web/start").statusCode());
        Await.until(Duration.ofSeconds(30), "the gateway serves web again", () -> get("/web/").statusCode() == 200);
    }

    @Test
    void theOnlyInstanceSigkilledUnderLoadIsHeldThenServed() throws Exception {
        ports = new int[] {ports[0]};
        running = 1;
        startPool("");
        long pid = manager.awaitInstance("web", ports[0], "HEALTHY", Duration.ofSeconds(5));
        underLoad("SIGKILL of the only instance", () -> Manager.signal(pid, "KILL"));
    }

    @Test
    void aRollingRestartWaitsForTheRequestInFlightBeforeItStopsTheInstance() throws Exception {
        // One instance, rolled in place: without the drain its SIGTERM would cut the POST in flight
        // (a 502: a POST that may have been written is never sent again).
        ports = new int[] {ports[0]};
        running = 1;
        startPool("");
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(
                gateway("/web/slow?ms=3000")).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until(Duration.ofSeconds(10), "the POST is in flight to the instance", () -> manager.instance("web", ports[0])
                .map(i -> i.path("in_flight").asInt()).orElse(0) == 1);
        HttpResponse<String> roll = admin("POST", "/services/web/restart");
        assertEquals(200, roll.statusCode(), roll.body());
        HttpResponse<String> answer = slow.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(manager.output().contains("; draining"), "the instance was drained before its stop");
        assertEquals(1, Files.readAllLines(deliveries()).size(), "delivered once");
    }

    @Test
    void aPostToAnInstanceThatDiesMidRequestIsAnswered502AndDeliveredOnce() throws Exception {
        startPool("");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway("/web/die")).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("payload")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(502, r.statusCode(), r.body());
        List<String> lines = Files.readAllLines(deliveries());
        assertEquals(1, lines.size(), "delivered once: " + lines);
    }

    @Test
    void aGigabyteUploadAndDownloadPassWithBoundedMemory() throws Exception {
        // The manager's whole heap is far below a gigabyte: a body held whole would not fit.
        startPool("", "-Xmx96m");
        long size = 1L << 30;
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(gateway("/web/upload")).timeout(Duration.ofMinutes(3))
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(size)), size))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, up.statusCode(), up.body());
        assertEquals(size, Manager.JSON.readTree(up.body()).path("bytes").asLong());
        assertEquals(false, Manager.JSON.readTree(up.body()).path("chunked").asBoolean(true), "sent with its Content-Length, as it came");
        HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(gateway("/web/bytes?n=" + size)).timeout(Duration.ofMinutes(3))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, down.statusCode());
        assertEquals(String.valueOf(size), down.headers().firstValue("Content-Length").orElse("none"), "passed back as it came");
        long read = 0;
        try (InputStream in = down.body()) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                read += n;
            }
        }
        assertEquals(size, read);
        assertTrue(manager.runs().get(0).isAlive(), "the manager lives");
    }

    @Test
    void serverSentEventsPassAsTheyComeAndWebSocketsAreProxied() throws Exception {
        startPool("");
        Path gate = dir.resolve("gate");
        HttpResponse<java.util.stream.Stream<String>> sse = http.send(HttpRequest.newBuilder(gateway("/web/sse?gate=" + gate))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, sse.statusCode());
        assertEquals("text/event-stream", sse.headers().firstValue("Content-Type").orElse(""));
        java.util.Iterator<String> lines = sse.body().iterator();
        // The instance sends the second event only once the first has arrived here: a gateway that
        // held the stream back would never let it.
        assertEquals("data: first", lines.next());
        Files.writeString(gate, "go");
        List<String> rest = new java.util.ArrayList<>();
        lines.forEachRemaining(rest::add);
        assertTrue(rest.contains("data: second"), rest.toString());

        java.util.concurrent.CompletableFuture<String> echoed = new java.util.concurrent.CompletableFuture<>();
        java.net.http.WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + gatewayPort + "/web/ws"),
                new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                        echoed.complete(data.toString());
                        return null;
                    }
                }).get(10, java.util.concurrent.TimeUnit.SECONDS);
        ws.sendText("hello through the gateway", true);
        assertEquals("hello through the gateway", echoed.get(10, java.util.concurrent.TimeUnit.SECONDS));
        ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void anInstanceThatDoesNotAnswerInTimeGives504AndTheNextRequestIsServed() throws Exception {
        startPool("route.request-timeout = 1s");
        HttpResponse<String> slow = get("/web/slow?ms=4000");
        assertEquals(504, slow.statusCode(), slow.body());
        assertTrue(slow.body().contains("route.request-timeout"), slow.body());
        for (int i = 0; i < 4; i++) {
            assertEquals(200, get("/web/").statusCode(), "served after the timeout");
        }
    }

    /** {@code size} zero bytes, made as they are read. */
    private static final class Zeros extends InputStream {
        private long left;

        Zeros(long size) {
            left = size;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
