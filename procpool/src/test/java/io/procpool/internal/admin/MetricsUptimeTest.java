package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.internal.metrics.PoolMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MetricsUptimeTest {

    /** Uptimes are read off the pool's own clock (virtual in a simulation), not the JVM's. */
    @Test
    void uptimeIsMeasuredWithThePoolsClock() throws Exception {
        PoolMetrics metrics = new PoolMetrics(() -> 9_000_000_000L, groups -> java.util.Map.of());
        InstanceStatus started2s = new InstanceStatus(8000, OptionalLong.of(1234), InstanceState.HEALTHY, 0, 2_000_000_000L,
                Optional.empty(), "started", Optional.empty(), List.of("srv"), Path.of("search-8000.log"), List.of());
        metrics.publish(new PoolStatus(List.of(new ServiceStatus("search", ServiceState.RUNNING, 1, List.of(started2s),
                Statuses.SETTINGS.services().get("search"), Optional.empty())), 9_000_000_000L));
        String text = new String(metrics.scrape(), StandardCharsets.UTF_8);
        assertTrue(text.contains("procpool_instance_uptime_seconds{port=\"8000\",service=\"search\"} 7.0"), text);
    }
}
