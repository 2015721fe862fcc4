package io.procpool.internal.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.config.StatusRange;
import io.procpool.config.TestConfigs;
import io.procpool.spi.ProbeResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolMetricsTest {

    private static final PoolSettings SETTINGS = TestConfigs.pool("""
            services {
              web { command = w, ports = [8000], health-check.path = "/h" }
              bare { command = b, ports = [8010], health-check.type = none }
            }
            """);

    private static PoolStatus statusOf(ServiceSettings... services) {
        return new PoolStatus(List.of(services).stream().map(ServiceStatus::disabled).toList(), 0);
    }

    private static String scrape(PoolMetrics metrics) throws Exception {
        return new String(metrics.scrape(), StandardCharsets.UTF_8);
    }

    @Test
    void probeFailureCausesFollowTheProbersWording() {
        assertEquals(PoolMetrics.ProbeFailure.TIMEOUT, PoolMetrics.ProbeFailure.of(ProbeResult.timedOut(Duration.ofMillis(300))));
        assertEquals(PoolMetrics.ProbeFailure.TIMEOUT, PoolMetrics.ProbeFailure.of("no answer within 1.1s"));
        assertEquals(PoolMetrics.ProbeFailure.TIMEOUT, PoolMetrics.ProbeFailure.of("still running after 1000ms (killed)"));
        assertEquals(PoolMetrics.ProbeFailure.REFUSED, PoolMetrics.ProbeFailure.of(ProbeResult.connectionFailure("Connection refused", "x")));
        assertEquals(PoolMetrics.ProbeFailure.CONNECTION, PoolMetrics.ProbeFailure.of(ProbeResult.connectionFailure("Connection reset", "x")));
        assertEquals(PoolMetrics.ProbeFailure.CONNECTION, PoolMetrics.ProbeFailure.of("connection closed without a response"));
        assertEquals(PoolMetrics.ProbeFailure.STATUS,
                PoolMetrics.ProbeFailure.of(ProbeResult.unexpectedStatus(500, StatusRange.parse("2xx").orElseThrow())));
        assertEquals(PoolMetrics.ProbeFailure.RESPONSE, PoolMetrics.ProbeFailure.of("not an HTTP response"));
        assertEquals(PoolMetrics.ProbeFailure.RESPONSE, PoolMetrics.ProbeFailure.of("bad Content-Length"));
        assertEquals(PoolMetrics.ProbeFailure.EXIT, PoolMetrics.ProbeFailure.of("exited with 1: disk full"));
        assertEquals(PoolMetrics.ProbeFailure.OTHER, PoolMetrics.ProbeFailure.of("procpool is shutting down"));
    }

    @Test
    void aServiceNamedByAStatusStartsAtZeroAndAProbeFailureCountsByCause() throws Exception {
        PoolMetrics metrics = new PoolMetrics();
        metrics.publish(statusOf(SETTINGS.services().get("web")));
        String fresh = scrape(metrics);
        assertTrue(fresh.contains("procpool_restarts_total{reason=\"unhealthy\",service=\"web\"} 0.0"), fresh);
        assertTrue(fresh.contains("procpool_health_check_failures_total{cause=\"timeout\",service=\"web\"} 0.0"), fresh);
        assertFalse(fresh.contains("service=\"bare\""), "not named yet");

        metrics.probed("web", Duration.ofMillis(3), "connection refused");
        metrics.probed("web", Duration.ofMillis(1), null);
        String after = scrape(metrics);
        assertTrue(after.contains("procpool_health_check_failures_total{cause=\"refused\",service=\"web\"} 1.0"), after);
        assertTrue(after.contains("procpool_health_check_duration_seconds_count{service=\"web\"} 2"), after);
    }

    @Test
    void aServiceAReloadAddsGetsItsZerosAndOneWithoutAProbeHasNoProbeFailures() throws Exception {
        PoolMetrics metrics = new PoolMetrics();
        metrics.publish(statusOf(SETTINGS.services().get("web")));
        metrics.publish(statusOf(SETTINGS.services().get("web"), SETTINGS.services().get("bare")));
        String text = scrape(metrics);
        for (PoolMetrics.RestartReason r : PoolMetrics.RestartReason.values()) {
            assertTrue(text.contains("procpool_restarts_total{reason=\"" + r.label() + "\",service=\"bare\"} 0.0"), text);
        }
        assertFalse(text.contains("procpool_health_check_failures_total{cause=\"timeout\",service=\"bare\"}"), text);
    }

    @Test
    void aClusterNodeAnswersForTheWholeClustersCounts() throws Exception {
        PoolMetrics metrics = new PoolMetrics();
        metrics.publish(io.procpool.internal.admin.Statuses.pool());
        io.procpool.internal.clustering.ClusterView view = new io.procpool.internal.clustering.ClusterView("10.0.0.1:25520", "10.0.0.1",
                () -> 0L);
        view.report(new io.procpool.internal.clustering.ClusterView.NodeReport("n2", "10.0.0.2:25520", "10.0.0.2", Map.of("search", 1),
                List.of(new io.procpool.internal.clustering.ClusterView.RemoteInstance("search", 8000, 77, "HEALTHY", 0, 1000, ""))));
        view.unplaced("search", 1);
        metrics.followCluster(view::merge);
        String text = scrape(metrics);
        assertTrue(text.contains("procpool_cluster_nodes 2.0"), text);
        assertTrue(text.contains("procpool_cluster_instances{node=\"10.0.0.2:25520\",service=\"search\",state=\"HEALTHY\"} 1.0"), text);
        assertTrue(text.contains("procpool_cluster_instances{node=\"10.0.0.1:25520\",service=\"search\",state=\"STARTING\"} 1.0"), text);
        assertTrue(text.contains("procpool_cluster_desired_instances{service=\"search\"} 3.0"), text);
        assertTrue(text.contains("procpool_cluster_unplaced_instances{service=\"search\"} 1.0"), text);
        assertTrue(text.contains("procpool_cluster_unplaced_instances{service=\"auth\"} 0.0"), text);
        // This node's own series stay its own.
        assertTrue(text.contains("procpool_instances{service=\"search\",state=\"HEALTHY\"} 1.0"), text);
    }
}
