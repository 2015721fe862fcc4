package io.procpool.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.config.PoolSettings;
import io.procpool.config.TestConfigs;
import io.procpool.internal.metrics.PoolMetrics;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    private static final String WEB = "web { command = w, ports = [18100] }";

    @Test
    void everyRoutedServiceStartsWithItsRetriesAtZeroAReloadsNewOnesToo() throws Exception {
        PoolSettings before = TestConfigs.pool("gateway.enabled = true\nservices { " + WEB + " }");
        PoolSettings after = TestConfigs.pool("gateway.enabled = true\nservices { " + WEB
                + "\n api { command = a, ports = [18110] } }");
        PoolMetrics metrics = new PoolMetrics();
        Traffic traffic = GatewayServer.traffic(before);
        new GatewayMetrics(metrics.registry(), traffic);
        traffic.routes(after.services().values());
        String text = new String(metrics.scrape(), StandardCharsets.UTF_8);
        for (String service : new String[] {"web", "api"}) {
            for (Retry.Failure f : Retry.RETRIED) {
                assertTrue(text.contains("procpool_gateway_retries_total{reason=\"" + f.label() + "\",service=\"" + service + "\"} 0.0"),
                        service + " " + f + ":\n" + text);
            }
        }
        assertTrue(!text.contains("reason=\"timeout\""), "a timeout is never retried: " + text);
    }

    @Test
    void theReasonsThatStartAtZeroAreThoseARetryMayFollow() {
        for (Retry.Failure f : Retry.Failure.values()) {
            assertEquals(Retry.RETRIED.contains(f), Retry.again(f, "GET", true, 1, 0), f.toString());
        }
    }
}
