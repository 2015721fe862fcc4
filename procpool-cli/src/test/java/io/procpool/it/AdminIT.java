package io.procpool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API and poolctl end to end, over real processes. */
class AdminIT {

    private static final String PROBE = "health-check { path = \"/health\", interval = 500ms, timeout = 300ms }";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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

    private URI admin(String path) {
        return URI.create("http://127.0.0.1:" + manager.adminPort + "/" + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(admin(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(admin(path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Long> pids(String service) {
        List<Long> out = new ArrayList<>();
        manager.status().ifPresent(s -> s.path("services").path(service).path("instances")
                .forEach(i -> out.add(i.path("pid").asLong())));
        return out;
    }

    private int healthy(String service) {
        int[] n = {0};
        manager.status().ifPresent(s -> s.path("services").path(service).path("instances")
                .forEach(i -> n[0] += i.path("state").asText().equals("HEALTHY") ? 1 : 0));
        return n[0];
    }

    @Test
    void aRollingRestartReplacesEveryPidAndTheBackendsNeverRunDry() throws Exception {
        int a = Manager.freePort();
        int b = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + ", " + b + "], " + PROBE + " }");
        manager.run();
        Await.until(Duration.ofSeconds(15), "both HEALTHY", () -> healthy("web") == 2);
        List<Long> before = pids("web");

        AtomicBoolean rolling = new AtomicBoolean(true);
        AtomicInteger fewest = new AtomicInteger(Integer.MAX_VALUE);
        AtomicInteger samples = new AtomicInteger();
        CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
            while (rolling.get()) {
                try {
                    JsonNode backends = Manager.JSON.readTree(get("backends").body());
                    fewest.accumulateAndGet(backends.path("web").size(), Math::min);
                    samples.incrementAndGet();
                    Thread.onSpinWait();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        HttpResponse<String> r = post("services/web/restart", null);
        rolling.set(false);
        watcher.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        List<Long> after = pids("web");
        assertTrue(after.stream().noneMatch(before::contains), before + " -> " + after);
        assertTrue(samples.get() > 5, "the backends were watched during the roll");
        assertTrue(fewest.get() >= 1, "a moment without any backend");
    }

    /** The instance on {@code port} of {@code service} once it is FAILED with {@code restarts} restarts. */
    private JsonNode awaitFailed(String service, int port, int restarts) {
        return Await.value(Duration.ofSeconds(20), service + ":" + port + " FAILED after " + restarts + " restarts",
                () -> manager.instance(service, port).filter(i -> i.path("state").asText().equals("FAILED")
                        && i.path("restarts").asInt() == restarts && i.path("reason").asText().contains("retrying in 5m"))
                        .orElse(null));
    }

    @Test
    void aFailedServiceIsStartedAgainAtOnceByRestartAndByStart() throws Exception {
        int crash = Manager.freePort();
        int slow = Manager.freePort();
        manager.writeConfig("services {\n"
                + "  crasher { command = \"sh -c 'exit 3'\", ports = [" + crash + "], health-check.type = none,\n"
                + "            restart { max-restarts = 2, min-backoff = 50ms, cooldown = 5m } }\n"
                + "  slow { command = " + Manager.fake("--bind-delay 1.5") + ", ports = [" + slow + "], " + PROBE + " }\n}");
        manager.run();
        awaitFailed("crasher", crash, 2);
        manager.awaitInstance("slow", slow, "HEALTHY", Duration.ofSeconds(20));

        // poolctl restart, as a user types it: answered (the old roll hung for 30 s, then lost the
        // connection), and the instance runs again with a fresh budget, which it spends by itself.
        long t0 = System.nanoTime();
        Process restart = manager.start("ctl", "restart", "crasher", "--admin=127.0.0.1:" + manager.adminPort);
        assertEquals(0, Manager.awaitExit(restart, Duration.ofSeconds(30)), manager.output());
        long restartMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(manager.output().contains("restarted 1 instance(s) of crasher; restarted at once, not ready: :" + crash
                + " (was FAILED)"), manager.output());
        assertTrue(restartMs < 10_000, "poolctl restart took " + restartMs + " ms");
        JsonNode again = awaitFailed("crasher", crash, 5);
        assertTrue(again.path("reason").asText().contains("restart budget spent (2 restarts"), again.toString());

        Process start = manager.start("ctl", "start", "crasher", "--admin", ":" + manager.adminPort);
        assertEquals(0, Manager.awaitExit(start, Duration.ofSeconds(30)), manager.output());
        assertTrue(manager.output().contains("crasher: started :" + crash + " again (FAILED), with a fresh restart budget"),
                manager.output());
        awaitFailed("crasher", crash, 8);
        JsonNode crasher = manager.status().orElseThrow().path("services").path("crasher");
        assertEquals("service start", crasher.path("last_operation").path("operation").asText(), crasher.toString());

        // Two restarts at once: the second is answered at once, with what is under way.
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post("services/slow/restart", null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until(Duration.ofSeconds(10), "the roll is under way", () -> manager.status()
                .map(st -> !st.path("services").path("slow").path("operation").isNull()).orElse(false));
        HttpResponse<String> second = post("services/slow/restart", null);
        assertEquals(409, second.statusCode(), second.body());
        assertTrue(Manager.JSON.readTree(second.body()).path("error").asText().contains("is under way"), second.body());
        HttpResponse<String> done = first.get(60, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
    }

    @Test
    void poolctlSignalReachesEveryRunningInstanceWhichKeepsRunning() throws Exception {
        int a = Manager.freePort();
        int b = Manager.freePort();
        Path signals = dir.resolve("signals.txt");
        manager.writeConfig("services.web { command = " + Manager.fake("--signals " + signals) + ", ports = [" + a + ", "
                + b + "], " + PROBE + " }");
        manager.run();
        long pidA = manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        long pidB = manager.awaitInstance("web", b, "HEALTHY", Duration.ofSeconds(15));

        // The global option before the command, as supervisorctl and kubectl take it (issue 14).
        Process hup = manager.start("ctl", "--admin", ":" + manager.adminPort, "signal", "web", "HUP");
        assertEquals(0, Manager.awaitExit(hup, Duration.ofSeconds(30)), manager.output());
        assertTrue(manager.output().contains("web: SIGHUP sent to :" + a + " pid " + pidA + ", :" + b + " pid " + pidB),
                manager.output());
        Process usr1 = manager.start("ctl", "signal", "web", "10", "--admin", ":" + manager.adminPort);
        assertEquals(0, Manager.awaitExit(usr1, Duration.ofSeconds(30)), manager.output());
        Await.until(Duration.ofSeconds(10), "both processes recorded SIGHUP and SIGUSR1", () -> {
            try {
                List<String> got = Files.exists(signals) ? Files.readAllLines(signals) : List.of();
                return got.containsAll(List.of(pidA + " SIGHUP", pidB + " SIGHUP", pidA + " SIGUSR1", pidB + " SIGUSR1"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(List.of(pidA, pidB), pids("web"), "they handled it and run on");
        assertEquals(2, healthy("web"));

        Process bogus = manager.start("ctl", "--admin", ":" + manager.adminPort, "signal", "web", "RELOAD");
        assertEquals(2, Manager.awaitExit(bogus, Duration.ofSeconds(30)), "a value the manager rejects is a usage error");
        assertTrue(manager.output().startsWith("poolctl: unknown signal 'RELOAD': accepted: HUP (1), "), manager.output());

        Process top = manager.start("ctl", "--admin", ":" + manager.adminPort, "top");
        assertEquals(0, Manager.awaitExit(top, Duration.ofSeconds(30)), manager.output());
        List<String> table = manager.output().lines().toList();
        assertTrue(table.get(0).startsWith("SERVICE  STATE"), table.toString());
        assertTrue(table.get(1).matches("web\\s+RUNNING 2/2\\s+" + a + "\\s+" + pidA + "\\s+HEALTHY\\s+\\d+\\.\\d\\s+\\d+\\.\\dM.*"),
                "CPU% and RSS of a real process: " + table);
    }

    @Test
    void scalingFollowsTheRequestAndOutOfRangeIsRefused() throws Exception {
        int a = Manager.freePort();
        int b = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + ", " + b + "], "
                + "min-processes = 1, max-processes = 2, " + PROBE + " }");
        manager.run();
        Await.until(Duration.ofSeconds(15), "one HEALTHY", () -> healthy("web") == 1);
        assertEquals(200, post("services/web/scale?instances=2", null).statusCode());
        Await.until(Duration.ofSeconds(5), "two HEALTHY", () -> healthy("web") == 2);
        assertEquals(200, post("services/web/scale?instances=1", null).statusCode());
        Await.until(Duration.ofSeconds(5), "one instance", () -> pids("web").size() == 1);
        List<Long> one = pids("web");
        HttpResponse<String> nine = post("services/web/scale?instances=9", null);
        assertEquals(400, nine.statusCode());
        assertTrue(nine.body().contains("between 1 and 2"), nine.body());
        assertEquals(one, pids("web"));
        assertEquals(1, manager.status().orElseThrow().path("services").path("web").path("desired").asInt());
    }

    @Test
    void aSigkillShowsInMetricsAndInTheEventStreamWithinASecond() throws Exception {
        int a = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + "], " + PROBE + " }");
        manager.run();
        long pid = manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));

        HttpResponse<InputStream> events = http.send(HttpRequest.newBuilder(admin("events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        List<JsonNode> seen = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
            long t0 = System.nanoTime();
            Manager.signal(pid, "KILL");
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    JsonNode e = Manager.JSON.readTree(line.substring(5));
                    seen.add(e);
                    if (e.path("to").asText().equals("HEALTHY")) {
                        break;
                    }
                }
            }
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(tookMs < 5000, "events took " + tookMs + " ms");
        }
        assertEquals("HEALTHY", seen.get(0).path("from").asText(), seen.toString());
        assertEquals("BACKOFF", seen.get(0).path("to").asText());
        assertEquals(pid, seen.get(0).path("pid").asLong());
        assertEquals("HEALTHY", seen.get(seen.size() - 1).path("to").asText());
        assertNotEquals(pid, seen.get(seen.size() - 1).path("pid").asLong());

        String metrics = get("metrics").body();
        Pattern sample = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\",?)*})? [-+0-9.eE]+|NaN|[+-]Inf$");
        for (String line : metrics.split("\n")) {
            assertTrue(line.startsWith("#") || line.isEmpty() || sample.matcher(line).matches(), "not Prometheus text: " + line);
        }
        assertTrue(metrics.contains("procpool_restarts_total{reason=\"exit\",service=\"web\"} 1.0"), metrics);
        assertTrue(metrics.contains("procpool_instances{service=\"web\",state=\"HEALTHY\"} 1.0"), metrics);
        assertTrue(Pattern.compile("procpool_instance_rss_bytes\\{port=\"" + a + "\",service=\"web\"} [1-9]").matcher(metrics).find(), metrics);
    }

    @Test
    void withATokenAPostWithoutItIsRefusedAndChangesNothing() throws Exception {
        int a = Manager.freePort();
        manager.writeConfig("admin.token = \"t0ken\"\nservices.web { command = " + Manager.fake("") + ", ports = [" + a + "], "
                + PROBE + " }");
        manager.run();
        long pid = manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        HttpResponse<String> refused = post("services/web/restart", null);
        assertEquals(401, refused.statusCode());
        assertEquals(401, post("services/web/stop", "guess").statusCode());
        assertEquals(List.of(pid), pids("web"));
        Process ctl = manager.start("ctl", "restart", "web", "--config", "pool.conf");
        assertEquals(0, Manager.awaitExit(ctl, Duration.ofSeconds(60)), manager.output());
        assertTrue(manager.output().contains("restarted 1 instance(s) of web"), manager.output());
        assertNotEquals(List.of(pid), pids("web"));
    }

    @Test
    void poolctlPrintsATableAndSaysClearlyWhenNoManagerRuns() throws Exception {
        int a = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("") + ", ports = [" + a + "], " + PROBE + " }");
        manager.run();
        manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        Process status = manager.start("ctl", "status", "--admin", "http://127.0.0.1:" + manager.adminPort);
        assertEquals(0, Manager.awaitExit(status, Duration.ofSeconds(30)));
        String table = manager.output();
        assertTrue(table.contains("SERVICE") && table.contains("HEALTHY") && table.contains(Integer.toString(a)), table);

        Process nginx = manager.start("ctl", "backends", "--format", "nginx", "--admin", "http://127.0.0.1:" + manager.adminPort);
        assertEquals(0, Manager.awaitExit(nginx, Duration.ofSeconds(30)));
        assertTrue(manager.output().contains("server 127.0.0.1:" + a + " max_fails=0;"), manager.output());
        for (String format : List.of("yarp", "traefik")) {
            JsonNode doc = Manager.JSON.readTree(get("backends?format=" + format).body());
            assertTrue(doc.toString().contains("127.0.0.1:" + a), doc.toString());
        }

        int nobody = Manager.freePort();
        Process unreachable = manager.start("ctl", "status", "--admin", "http://127.0.0.1:" + nobody);
        assertEquals(1, Manager.awaitExit(unreachable, Duration.ofSeconds(30)));
        assertTrue(manager.output().contains("no procpool manager answers at http://127.0.0.1:" + nobody), manager.output());
        Process usage = manager.start("ctl", "scale", "web");
        assertEquals(2, Manager.awaitExit(usage, Duration.ofSeconds(30)));
    }

    @Test
    void theLogEndpointServesAnInstancesOutput() throws Exception {
        int a = Manager.freePort();
        manager.writeConfig("services.web { command = " + Manager.fake("--chatty 5") + ", ports = [" + a + "], " + PROBE + " }");
        manager.run();
        manager.awaitInstance("web", a, "HEALTHY", Duration.ofSeconds(15));
        JsonNode log = Manager.JSON.readTree(get("services/web/instances/" + a + "/log?lines=3").body());
        assertEquals(3, log.path("lines").size(), log.toString());
        assertTrue(log.path("lines").toString().contains("listening on " + a), log.toString());
        assertTrue(Files.exists(Path.of(log.path("file").asText())));
    }
}
