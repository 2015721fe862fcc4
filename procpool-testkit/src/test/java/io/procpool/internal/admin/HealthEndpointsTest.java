package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.procpool.ProcessPool;
import io.procpool.api.InstanceState;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.config.AdminSettings;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.testkit.SimulatedHealthProbe;
import io.procpool.testkit.SimulatedLauncher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /healthz} and {@code GET /readyz}, the probes of Kubernetes: against a fake pool for
 * the answers of a pool that does or does not answer, and against a real pool on simulated
 * processes for readiness as a slow service starts, and for the metrics of a fresh pool.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class HealthEndpointsTest {

    @JUnit5TestKit
    ActorTestKit testKit = new JUnit5TestKitBuilder().build();

    @TempDir
    Path dir;

    private static final String TOKEN = "s3cret";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final HttpClient http = HttpClient.newHttpClient();

    /** The admin API, with a token, in front of a fake pool whose status questions {@code status} answers. */
    private URI serve(Supplier<CompletionStage<PoolStatus>> status) throws Exception {
        ServerBinding binding = AdminServer.bind(testKit.system(), new AdminSettings(true, "127.0.0.1", 0, Optional.of(TOKEN)),
                new FakePool(testKit.system(), new CopyOnWriteArrayList<>(), status), new PoolMetrics())
                .toCompletableFuture().get();
        return URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/");
    }

    private HttpResponse<String> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        return StatusJson.JSON.readTree(r.body());
    }

    @Test
    void healthzIs200WhenThePoolAnswersAndNeedsNoToken() throws Exception {
        URI base = serve(() -> CompletableFuture.completedFuture(Statuses.pool()));
        HttpResponse<String> r = get(base, "healthz");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("ok", json(r).path("status").asText());
    }

    @Test
    void healthzIs503WhenThePoolDoesNotAnswer() throws Exception {
        URI base = serve(CompletableFuture::new); // never answers: the actors are stuck
        HttpResponse<String> r = get(base, "healthz");
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("the pool did not answer within 2s", json(r).path("error").asText());
    }

    @Test
    void readyzNamesTheServicesThatAreNotReadyWithTheirCounts() throws Exception {
        // Statuses.pool(): search has 1 of its min 1 ready; auth 0 of 1 (BACKOFF); tcp 1 of 1; off disabled.
        URI base = serve(() -> CompletableFuture.completedFuture(Statuses.pool()));
        HttpResponse<String> r = get(base, "readyz");
        assertEquals(503, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(false, body.path("ready").asBoolean(true));
        assertEquals("not ready: auth 0/1", body.path("error").asText());
        assertEquals(1, body.path("not_ready").size(), body.toString());
        JsonNode auth = body.path("not_ready").get(0);
        assertEquals("auth", auth.path("service").asText());
        assertEquals("DEGRADED", auth.path("state").asText());
        assertEquals(0, auth.path("ready").asInt());
        assertEquals(1, auth.path("min").asInt());
    }

    @Test
    void readyzDoesNotWaitForAServiceAnOperatorStopped() throws Exception {
        PoolStatus all = Statuses.pool();
        List<ServiceStatus> services = all.services().stream().map(s -> !s.name().equals("auth") ? s
                : new ServiceStatus("auth", ServiceState.STOPPED, 0, List.of(), s.settings(), Optional.empty())).toList();
        URI base = serve(() -> CompletableFuture.completedFuture(new PoolStatus(services, 0)));
        HttpResponse<String> r = get(base, "readyz");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(true, json(r).path("ready").asBoolean(false));
        assertEquals(0, json(r).path("not_ready").size());
    }

    /** A real pool on simulated processes, its admin API on a free port and its token set. */
    private ProcessPool simulatedPool(SimulatedLauncher launcher) throws Exception {
        return ProcessPool.builder(ConfigFactory.parseString("""
                        pool {
                          admin { port = 0, token = "%s" }
                          services {
                            fast { command = fast, ports = [7501, 7502] }
                            slow { command = slow, ports = [7511], health-check.start-interval = 50ms }
                            idle { command = idle, ports = [7521], enabled = false }
                          }
                        }""".formatted(TOKEN)))
                .baseDir(dir).launcher(launcher).healthProbe(sys -> new SimulatedHealthProbe(launcher)).start();
    }

    private static URI adminOf(ProcessPool pool) {
        return URI.create("http://127.0.0.1:" + pool.adminAddress().orElseThrow().getPort() + "/");
    }

    @Test
    void readyzIs503WhileASlowServiceStartsAndThen200() throws Exception {
        SimulatedLauncher launcher = new SimulatedLauncher().hold(7511);
        try (ProcessPool pool = simulatedPool(launcher)) {
            URI base = adminOf(pool);
            // fast becomes ready while slow's start is held.
            HttpResponse<String> starting = awaitAnswer(base, "readyz", r -> json(r).path("error").asText().equals("not ready: slow 0/1"));
            assertEquals(503, starting.statusCode());
            assertEquals("slow", json(starting).path("not_ready").get(0).path("service").asText());

            launcher.release(7511);
            HttpResponse<String> ready = awaitAnswer(base, "readyz", r -> r.statusCode() == 200);
            assertEquals(true, json(ready).path("ready").asBoolean(false));
            assertEquals(InstanceState.HEALTHY, pool.status().toCompletableFuture().get().services().get(1).instances().get(0).state());
        }
    }

    @Test
    void aFreshPoolsMetricsHaveEveryRestartReasonAndProbeFailureAtZero() throws Exception {
        SimulatedLauncher launcher = new SimulatedLauncher();
        try (ProcessPool pool = simulatedPool(launcher)) {
            HttpResponse<String> r = get(adminOf(pool), "metrics");
            assertEquals(200, r.statusCode());
            for (String service : List.of("fast", "slow", "idle")) {
                for (PoolMetrics.RestartReason reason : PoolMetrics.RestartReason.values()) {
                    assertTrue(r.body().contains("procpool_restarts_total{reason=\"" + reason.label() + "\",service=\"" + service
                            + "\"} 0.0"), service + " " + reason + ":\n" + r.body());
                }
                for (PoolMetrics.ProbeFailure cause : PoolMetrics.ProbeFailure.values()) {
                    assertTrue(r.body().contains("procpool_health_check_failures_total{cause=\"" + cause.label() + "\",service=\""
                            + service + "\"} 0.0"), service + " " + cause + ":\n" + r.body());
                }
            }
            HttpResponse<String> running = awaitAnswer(adminOf(pool), "metrics",
                    m -> m.body().contains("procpool_instance_start_time_seconds{port=\"7511\",service=\"slow\"}"));
            double started = Double.parseDouble(running.body().lines()
                    .filter(l -> l.startsWith("procpool_instance_start_time_seconds{port=\"7511\"")).findFirst().orElseThrow()
                    .replaceAll(".* ", ""));
            double now = System.currentTimeMillis() / 1000.0;
            assertTrue(started > now - 600 && started <= now + 1, "a Unix time of this run: " + started + " vs " + now);
        }
    }

    private interface Check {
        boolean test(HttpResponse<String> r) throws Exception;
    }

    /** Asks {@code path} until {@code done} holds (within {@link #WAIT}); the answer that made it hold. */
    private HttpResponse<String> awaitAnswer(URI base, String path, Check done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(base, path);
            last.set(r);
            if (done.test(r)) {
                return r;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("GET /" + path + " never got there; last answer: " + last.get().statusCode() + " " + last.get().body());
    }
}
