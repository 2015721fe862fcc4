package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.config.AdminSettings;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.api.InstanceState;
import io.procpool.api.OpResult;
import io.procpool.api.PoolEvent;
import io.procpool.api.Event;
import io.procpool.api.LogTail;
import io.procpool.api.NotFoundException;
import io.procpool.api.Pool;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin API over HTTP, against a real server on 127.0.0.1 port 0 and a fake pool that answers
 * with a fixed status and records the operations it is asked for.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminRoutesTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().build();

    private static final String TOKEN = "s3cret";
    /** What the fake pool was asked, in order: "restart search", "scale search 2", ... */
    private final List<String> operations = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final PoolMetrics metrics = new PoolMetrics();
    private URI base;

    @BeforeAll
    void bind() throws Exception {
        ServerBinding binding = AdminServer.bind(testKit.system(), new AdminSettings(true, "127.0.0.1", 0, Optional.of(TOKEN)),
                new FakePool(testKit.system(), operations), metrics).toCompletableFuture().get();
        base = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        return StatusJson.JSON.readTree(r.body());
    }

    @Test
    void statusListsEveryServiceWithItsInstances() throws Exception {
        HttpResponse<String> r = get("status");
        assertEquals(200, r.statusCode());
        JsonNode search = json(r).path("services").path("search");
        assertEquals("DEGRADED", search.path("state").asText());
        assertEquals(2, search.path("desired").asInt());
        JsonNode first = search.path("instances").get(0);
        assertEquals(8000, first.path("port").asInt());
        assertEquals(9000, first.path("pid").asLong());
        assertEquals("HEALTHY", first.path("state").asText());
        assertEquals(1.5, first.path("health").path("last_latency_ms").asDouble());
        assertTrue(first.path("health").path("last_error").isNull());
        assertEquals("DISABLED", json(r).path("services").path("off").path("state").asText());
    }

    @Test
    void serviceStatusAddsCommandLogFileAndSettings() throws Exception {
        JsonNode search = json(get("status/search"));
        assertEquals("./build/search.cgi", search.path("instances").get(0).path("command").get(0).asText());
        assertTrue(search.path("instances").get(0).path("log_file").asText().endsWith("search-8000.log"));
        assertEquals(3, search.path("max_processes").asInt());
        assertTrue(search.path("instances").get(0).path("last_exits").isArray());
        assertEquals("[]", search.path("depends_on").toString());
    }

    @Test
    void anUnknownServiceIs404() throws Exception {
        HttpResponse<String> r = get("status/nope");
        assertEquals(404, r.statusCode());
        assertEquals("no service 'nope'", json(r).path("error").asText());
    }

    @Test
    void backendsComeInEveryFormatAndAnUnknownFormatIs400() throws Exception {
        assertEquals("[\"127.0.0.1:8000\"]", json(get("backends")).path("search").toString());
        assertTrue(json(get("backends?format=yarp")).has("ReverseProxy"));
        assertTrue(json(get("backends?format=traefik")).path("http").has("services"));
        HttpResponse<String> nginx = get("backends?format=nginx");
        assertTrue(nginx.body().contains("upstream search {"), nginx.body());
        assertTrue(nginx.body().contains("max_fails=0"), nginx.body());
        assertTrue(get("backends?format=haproxy").body().contains("backend search\n"));
        assertTrue(json(get("backends?format=envoy")).path("resources").isArray());
        HttpResponse<String> bad = get("backends?format=squid");
        assertEquals(400, bad.statusCode());
        assertTrue(json(bad).path("detail").asText().contains("haproxy, envoy"), bad.body());
    }

    @Test
    void aTokenChangedByAReloadAppliesToTheNextCall() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Optional<String>> token = new java.util.concurrent.atomic.AtomicReference<>(
                Optional.of("first"));
        ServerBinding binding = AdminServer.bind(testKit.system(), new AdminSettings(true, "127.0.0.1", 0, Optional.of("first")),
                token::get, new FakePool(testKit.system(), operations), metrics, Optional.empty()).toCompletableFuture().get();
        try {
            URI own = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/services/search/restart");
            java.util.function.Function<String, Integer> restartWith = t -> {
                try {
                    return http.send(HttpRequest.newBuilder(own).POST(HttpRequest.BodyPublishers.noBody())
                            .header("Authorization", "Bearer " + t).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            assertEquals(200, restartWith.apply("first"));
            token.set(Optional.of("second")); // what a reload that re-read the token file leaves in the settings
            assertEquals(401, restartWith.apply("first"));
            assertEquals(200, restartWith.apply("second"));
        } finally {
            binding.unbind().toCompletableFuture().get();
        }
    }

    @Test
    void mutatingCallsNeedTheToken() throws Exception {
        int before = operations.size();
        HttpResponse<String> none = post("services/search/restart", null);
        assertEquals(401, none.statusCode());
        assertEquals("authorization required", json(none).path("error").asText());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(401, post("services/search/stop", "wrong").statusCode());
        assertEquals(before, operations.size(), "nothing reached the pool");
        HttpResponse<String> ok = post("services/search/restart", TOKEN);
        assertEquals(200, ok.statusCode());
        assertEquals("done", json(ok).path("message").asText());
        assertEquals("restart search", operations.get(operations.size() - 1));
    }

    @Test
    void aCrossSitePostChangesNothingWithOrWithoutAToken() throws Exception {
        ServerBinding open = AdminServer.bind(testKit.system(), new AdminSettings(true, "127.0.0.1", 0, Optional.empty()),
                new FakePool(testKit.system(), operations), metrics).toCompletableFuture().get();
        try {
            int before = operations.size();
            URI restart = URI.create("http://127.0.0.1:" + open.localAddress().getPort() + "/services/search/restart");
            String self = "http://127.0.0.1:" + open.localAddress().getPort();
            // What a form on another site sends: Origin and Sec-Fetch-Site, no custom header.
            assertEquals(403, send(restart, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site").statusCode());
            assertEquals(403, send(restart, "Origin", "http://evil.example", "X-Procpool-Request", "1").statusCode());
            // The admin host's own page without the header (a form on a page served from it).
            HttpResponse<String> bare = send(restart, "Origin", self, "Sec-Fetch-Site", "same-origin");
            assertEquals(403, bare.statusCode());
            assertTrue(json(bare).path("error").asText().contains("X-Procpool-Request"), bare.body());
            assertEquals(403, send(base.resolve("services/search/restart"), "Origin", "http://evil.example",
                    "Authorization", "Bearer " + TOKEN).statusCode());
            assertEquals(before, operations.size(), "nothing reached the pool");
            assertEquals(200, send(restart, "Origin", self, "Sec-Fetch-Site", "same-origin", "X-Procpool-Request", "1").statusCode());
            assertEquals(200, send(restart).statusCode(), "a program's request (no Origin, no Sec-Fetch-Site) is as before");
            assertEquals(200, send(base.resolve("services/search/restart"), "Origin", base.toString().replaceAll("/$", ""),
                    "Authorization", "Bearer " + TOKEN).statusCode());
        } finally {
            open.unbind().toCompletableFuture().get();
        }
    }

    private HttpResponse<String> send(URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void scaleValidatesItsNumber() throws Exception {
        HttpResponse<String> notANumber = post("services/search/scale?instances=two", TOKEN);
        assertEquals(400, notANumber.statusCode());
        assertTrue(json(notANumber).path("error").asText().contains("whole number"));
        assertEquals(400, post("services/search/scale", TOKEN).statusCode());
        HttpResponse<String> tooMany = post("services/search/scale?instances=9", TOKEN);
        assertEquals(400, tooMany.statusCode());
        assertEquals("instances must be between 1 and 3", json(tooMany).path("error").asText());
        assertEquals(200, post("services/search/scale?instances=2", TOKEN).statusCode());
        assertEquals(404, post("services/nope/stop", TOKEN).statusCode());
    }

    @Test
    void headIsAnsweredWhereverGetIs() throws Exception {
        for (String path : List.of("healthz", "readyz", "status", "metrics")) {
            HttpResponse<String> head = http.send(HttpRequest.newBuilder(base.resolve(path)).method("HEAD",
                    HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(get(path).statusCode(), head.statusCode(), path);
            assertEquals("", head.body(), path);
        }
    }

    @Test
    void wrongMethodsAndUnknownPathsAreJson4xx() throws Exception {
        HttpResponse<String> wrongMethod = get("services/search/restart");
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("method not allowed: GET /services/search/restart", json(wrongMethod).path("error").asText());
        HttpResponse<String> unknown = get("no/such/thing");
        assertEquals(404, unknown.statusCode());
        assertEquals("no such endpoint: GET /no/such/thing (GET / lists the endpoints)", json(unknown).path("error").asText());
        assertEquals(404, get("services/search/instances/abc/log").statusCode());
        assertEquals(400, get("services/search/instances/8000/log?lines=0").statusCode());
        assertEquals(400, get("services/search/instances/8000/log?stream=both").statusCode());
    }

    @Test
    void hugeBodiesAreRefused() throws Exception {
        // The head announces 1 MiB and the body is never sent: an answer to a body on its way could
        // be destroyed by the reset of a server that closes with unread data, and the size declared
        // is what the server must judge by.
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST " + base.getPath() + "services/search/restart HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: " + (1 << 20) + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            String status = in.readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 413"), String.valueOf(status));
        }
    }

    @Test
    void metricsAreInPrometheusTextFormat() throws Exception {
        metrics.restarted("search", PoolMetrics.RestartReason.EXIT);
        metrics.publish(Statuses.pool());
        HttpResponse<String> r = get("metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        assertTrue(r.body().contains("procpool_restarts_total{reason=\"exit\",service=\"search\"} 1.0"), r.body());
        assertTrue(r.body().contains("procpool_instances{service=\"search\",state=\"HEALTHY\"} 1.0"), r.body());
        assertTrue(r.body().contains("jvm_memory_used_bytes"), "JVM basics");
    }

    @Test
    void eventsStreamInstanceTransitionsAsServerSentEvents() throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(base.resolve("events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        PoolEvent event = new PoolEvent(Instant.parse("2026-11-27T10:00:00Z"), "search", 8000, OptionalLong.of(42),
                InstanceState.HEALTHY, InstanceState.BACKOFF, "exited unexpectedly");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String[] sse = publishUntilStreamed(in, event);
            assertEquals("transition", sse[0]);
            JsonNode e = StatusJson.JSON.readTree(sse[1]);
            assertEquals("search", e.path("service").asText());
            assertEquals("HEALTHY", e.path("from").asText());
            assertEquals("BACKOFF", e.path("to").asText());
            assertEquals(42, e.path("pid").asLong());

            // Scaling decisions go out on the same stream, under their own name.
            testKit.system().eventStream().tell(new EventStream.Publish<>(new io.procpool.api.ScalingEvent(
                    Instant.parse("2026-11-27T10:00:01Z"), "search", 1, 3, "cpu", 1.4, 0.6, "cpu 1.4 vs 0.6")));
            String[] next;
            do {
                next = readEvent(in); // transitions published above may still be queued before it
            } while (next != null && next[0].equals("transition"));
            assertEquals("scaling", next == null ? null : next[0]);
            JsonNode scaling = StatusJson.JSON.readTree(next[1]);
            assertEquals(1, scaling.path("from").asInt());
            assertEquals(3, scaling.path("to").asInt());
        }
    }

    /**
     * Publishes {@code event} until the stream carries it (the subscription happens as the response
     * starts, so the first publications may come too early); the first event read, as {name, data}.
     */
    private String[] publishUntilStreamed(BufferedReader in, Object event) throws Exception {
        String[] sse = null;
        for (int attempt = 0; attempt < 50 && sse == null; attempt++) {
            testKit.system().eventStream().tell(new EventStream.Publish<>(event));
            sse = readEvent(in);
        }
        return sse;
    }

    /** The next event of the stream as {name, data} (up to the blank line that ends it), or null. */
    private static String[] readEvent(BufferedReader in) throws Exception {
        String name = null;
        String data = null;
        for (int i = 0; i < 8; i++) {
            String line = in.readLine();
            if (line == null) {
                return null;
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                data = line.substring(5);
            } else if (line.isEmpty() && data != null) {
                return new String[] {name, data};
            }
        }
        return null;
    }

    @Test
    void operationsStreamAsServerSentEventsWhenTheyBeginAndEnd() throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(base.resolve("events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        io.procpool.api.OperationEvent ended = new io.procpool.api.OperationEvent(Instant.parse("2026-12-05T10:00:00Z"), "search",
                "rolling restart", Optional.of(OpResult.failed("rolling restart of search stopped after 0 of 1: no progress")));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String[] sse = publishUntilStreamed(in, ended);
            assertEquals("operation", sse[0]);
            JsonNode e = StatusJson.JSON.readTree(sse[1]);
            assertEquals("rolling restart", e.path("operation").asText());
            assertEquals("failed", e.path("result").asText());
            assertEquals("rolling restart of search stopped after 0 of 1: no progress", e.path("message").asText());
        }
    }

    @Test
    void theStatusShowsTheLastOperationAndHowItEnded() throws Exception {
        JsonNode search = json(get("status")).path("services").path("search");
        assertEquals("ok", search.path("last_operation").path("result").asText());
        assertEquals("restarted 1 instance(s) of search", search.path("last_operation").path("message").asText());
        assertTrue(json(get("status")).path("services").path("auth").path("last_operation").isNull());
    }

    @Test
    void anOperationThatOutlastsItsWaitIsAnsweredWithJsonNotADroppedConnection() throws Exception {
        HttpResponse<String> r = post("services/hung/restart", TOKEN);
        assertEquals(503, r.statusCode());
        assertEquals("restart of hung still under way after 10m; it goes on (GET /status/hung follows it)",
                json(r).path("error").asText());
    }

    @Test
    void aRestartThatNeedNotWaitIsAcceptedOnceItHasBegun() throws Exception {
        HttpResponse<String> r = post("services/search/restart?wait=false", TOKEN);
        assertEquals(202, r.statusCode());
        assertEquals("done; GET /status/search follows it", json(r).path("message").asText());
        assertEquals("beginRestart search", operations.get(operations.size() - 1));
    }

    @Test
    void anInstancesLogTailIsItsLinesAndAnUnknownPortIs404() throws Exception {
        JsonNode tail = json(get("services/search/instances/8000/log?lines=1"));
        assertEquals("[\"line 1\"]", tail.path("lines").toString());
        assertEquals("logs/search-8000.log", tail.path("file").asText());
        HttpResponse<String> unknown = get("services/search/instances/9999/log");
        assertEquals(404, unknown.statusCode());
        assertEquals("service 'search' has no port 9999", json(unknown).path("error").asText());
    }

    @Test
    void aLogIsFollowedFromTheEndOfTheLastAnswer() throws Exception {
        JsonNode tail = json(get("services/search/instances/8000/log?lines=2"));
        assertEquals(14, tail.path("end").asLong());
        JsonNode next = json(get("services/search/instances/8000/log?after=" + tail.path("end").asLong()));
        assertEquals("[\"line 3\"]", next.path("lines").toString());
        assertEquals(21, next.path("end").asLong());
        HttpResponse<String> both = get("services/search/instances/8000/log?lines=2&after=14");
        assertEquals(400, both.statusCode());
        assertEquals("give lines or after, not both", json(both).path("error").asText());
        HttpResponse<String> negative = get("services/search/instances/8000/log?after=-1");
        assertEquals(400, negative.statusCode());
        assertEquals("after must be a byte offset (a whole number from 0)", json(negative).path("error").asText());
        assertEquals(404, get("services/search/instances/9999/log?after=0").statusCode());
    }

    @Test
    void signalTakesANameOrANumberAndNamesTheAcceptedOnesWhenItIsNeither() throws Exception {
        operations.clear();
        HttpResponse<String> hup = post("services/search/signal?sig=SIGHUP", TOKEN);
        assertEquals(200, hup.statusCode(), hup.body());
        assertEquals("search: SIGHUP sent to :8000 pid 9000", json(hup).path("message").asText());
        assertEquals(200, post("services/search/signal?sig=12", TOKEN).statusCode());
        assertEquals(List.of("signal HUP search", "signal USR2 search"), operations);

        HttpResponse<String> unknown = post("services/search/signal?sig=RELOAD", TOKEN);
        assertEquals(400, unknown.statusCode());
        assertEquals("unknown signal 'RELOAD'", json(unknown).path("error").asText());
        assertEquals("accepted: HUP (1), INT (2), QUIT (3), KILL (9), USR1 (10), USR2 (12), ALRM (14), TERM (15), CONT (18), "
                + "TTIN (21), TTOU (22), WINCH (28)", json(unknown).path("detail").asText());
        assertEquals(400, post("services/search/signal?sig=99", TOKEN).statusCode(), "a number without a name");
        HttpResponse<String> missing = post("services/search/signal", TOKEN);
        assertEquals(400, missing.statusCode());
        assertEquals("sig is required", json(missing).path("error").asText());
        assertEquals(401, post("services/search/signal?sig=HUP", null).statusCode());
        HttpResponse<String> nope = post("services/nope/signal?sig=HUP", TOKEN);
        assertEquals(404, nope.statusCode());
        assertEquals("no service 'nope'", json(nope).path("error").asText());
        assertEquals(List.of("signal HUP search", "signal USR2 search", "signal HUP nope"), operations);
    }

    @Test
    void stderrIsAskedForWithStreamAndIs404WhereThereIsNoSuchFile() throws Exception {
        assertEquals(200, get("services/search/instances/8000/log?stream=stdout").statusCode());
        HttpResponse<String> stderr = get("services/search/instances/8000/log?stream=stderr");
        assertEquals(404, stderr.statusCode());
        assertEquals("no separate stderr log for search:8000", json(stderr).path("error").asText());
    }

    @Test
    void reloadWithoutAFileIsAConflict() throws Exception {
        assertEquals(409, post("reload", TOKEN).statusCode());
    }

    @Test
    void theIndexListsTheEndpointsAndEachIsServed() throws Exception {
        JsonNode endpoints = json(get("")).path("endpoints");
        assertEquals(16, endpoints.size(), endpoints.toString());
        for (JsonNode e : endpoints) {
            String shown = e.asText();
            String path = shown.substring(shown.indexOf(' ') + 2).replaceAll("\\?.*|\\[.*", "")
                    .replace("SERVICE", "search").replace("PORT", "8000");
            if (shown.startsWith("GET ") && !path.equals("events")) {
                assertTrue(get(path).statusCode() != 404, shown + " is listed and served");
            } else if (shown.startsWith("POST ")) {
                assertEquals(401, post(path, null).statusCode(), shown + " is listed and served (and guarded)");
            }
        }
    }

    @Test
    void aBrowserAtTheRootGetsTheDashboardAndEveryOtherClientTheEndpointList() throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base).header("Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<script src=\"/ui/app.js\""), page.body());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
        for (String accept : new String[] {"*/*", "application/json"}) {
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(base).header("Accept", accept).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(json(list).path("endpoints").isArray(), accept);
        }
        assertEquals(page.body(), get("ui/").body());
        assertTrue(get("ui/app.js").headers().firstValue("Content-Type").orElse("").contains("javascript"));
        assertTrue(get("ui/app.css").headers().firstValue("Content-Type").orElse("").startsWith("text/css"));
        assertEquals(404, get("ui/reference.conf").statusCode());
        HttpResponse<String> bare = get("ui");
        assertEquals(301, bare.statusCode());
        assertEquals("/ui/", bare.headers().firstValue("Location").orElse(""));
    }

    @Test
    void theDashboardWeighsLessThan150KB() throws Exception {
        long total = 0;
        for (String f : new String[] {"ui/", "ui/app.js", "ui/app.css"}) {
            total += get(f).body().getBytes(StandardCharsets.UTF_8).length;
        }
        assertTrue(total < 150 * 1024, total + " bytes");
    }

    @Test
    void historyHoldsTheSampledStatusAndTheEvents() throws Exception {
        testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
            try {
                JsonNode h = json(get("history"));
                assertEquals(5_000, h.path("interval_ms").asLong());
                assertEquals(2, h.path("services").path("search").get(0).path("desired").asInt());
                return null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    /** Sends raw bytes (a request the JDK's client would refuse to write); the status line and the body. */
    private String[] raw(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", base.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            return new String[] {answer.substring(0, answer.indexOf("\r\n")), answer.substring(answer.indexOf("\r\n\r\n") + 4)};
        }
    }

    @Test
    void anUnknownMethodIsAClientErrorNotAServerError() throws Exception {
        String[] answer = raw("BREW /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals("HTTP/1.1 405 Method Not Allowed", answer[0]);
        assertEquals("method not allowed", StatusJson.JSON.readTree(answer[1]).path("error").asText());
    }

    @Test
    void anUnknownHttpVersionIsABadRequest() throws Exception {
        assertTrue(raw("GET /status HTTP/9.9\r\nHost: x\r\n\r\n")[0].startsWith("HTTP/1.1 400"));
    }

    @Test
    void restartRejectsAWaitThatIsNeitherTrueNorFalse() throws Exception {
        int before = operations.size();
        HttpResponse<String> r = post("services/search/restart?wait=banana", TOKEN);
        assertEquals(400, r.statusCode());
        assertEquals("wait must be true or false", json(r).path("error").asText());
        assertEquals(before, operations.size(), "nothing was restarted");
    }
}
