package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.procpool.api.PoolStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryTest {

    @Test
    void eachSampleHoldsReadyDesiredSlowestProbeAndRestartsPerService() {
        History h = new History();
        h.record(1_000, Statuses.pool(), java.util.Optional.empty());
        JsonNode search = h.json().path("services").path("search").get(0);
        assertEquals(1_000, search.path("t").asLong());
        assertEquals(1, search.path("ready").asInt());
        assertEquals(2, search.path("desired").asInt());
        assertEquals(1.5, search.path("latency_ms").asDouble());
        assertEquals(0, search.path("restarts").asLong());
        assertTrue(h.json().path("services").path("off").isArray(), "a disabled service has samples too");
        assertTrue(h.json().path("services").path("off").get(0).path("latency_ms").isNull());
        assertEquals(5_000, h.json().path("interval_ms").asLong());
        assertTrue(search.path("requests").isNull(), "no gateway, no request counts");
    }

    @Test
    void theGatewaysRequestsAndServerErrorsAreCountedPerService() {
        var registry = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        var requests = io.prometheus.metrics.core.metrics.Counter.builder().name("procpool_gateway_requests_total")
                .labelNames("service", "code").register(registry);
        requests.labelValues("search", "200").inc(7);
        requests.labelValues("search", "502").inc(2);
        requests.labelValues("search", "404").inc();
        History h = new History();
        h.record(1, Statuses.pool(), java.util.Optional.of(History.gatewayCounts(registry)));
        JsonNode search = h.json().path("services").path("search").get(0);
        assertEquals(10, search.path("requests").asLong());
        assertEquals(2, search.path("errors").asLong());
        assertEquals(0, h.json().path("services").path("auth").get(0).path("requests").asLong(), "auth has had none");
        assertEquals(0, h.json().path("services").path("auth").get(0).path("errors").asLong());
        assertTrue(h.json().path("services").path("off").get(0).path("requests").isNull(), "a disabled service has no route");
    }

    @Test
    void keepsFifteenMinutesOfSamplesAndDropsTheOldest() {
        History h = new History();
        for (int i = 0; i < History.SAMPLES + 10; i++) {
            h.record(i, Statuses.pool(), java.util.Optional.empty());
        }
        JsonNode search = h.json().path("services").path("search");
        assertEquals(180, History.SAMPLES);
        assertEquals(History.SAMPLES, search.size());
        assertEquals(10, search.get(0).path("t").asLong());
        assertEquals(History.SAMPLES + 9, search.get(History.SAMPLES - 1).path("t").asLong());
    }

    @Test
    void aServiceGoneFromTheStatusIsDropped() {
        History h = new History();
        h.record(1, Statuses.pool(), java.util.Optional.empty());
        PoolStatus fewer = new PoolStatus(List.of(Statuses.pool().services().get(0)), 0);
        h.record(2, fewer, java.util.Optional.empty());
        assertEquals(List.of("search"), iterable(h.json().path("services").fieldNames()));
    }

    @Test
    void keepsTheLatestEventsWithTheirType() {
        History h = new History();
        for (int i = 0; i < History.EVENTS + 5; i++) {
            h.event(new io.procpool.api.PoolEvent(java.time.Instant.EPOCH, "search", 8000 + i, java.util.OptionalLong.of(i),
                    io.procpool.api.InstanceState.STARTING, io.procpool.api.InstanceState.HEALTHY, "probe succeeded"));
        }
        h.event(new io.procpool.api.OperationEvent(java.time.Instant.EPOCH, "search", "restart", java.util.Optional.empty()));
        JsonNode events = h.json().path("events");
        assertEquals(History.EVENTS, events.size());
        assertEquals(8006, events.get(0).path("port").asInt());
        assertEquals("transition", events.get(0).path("type").asText());
        assertEquals("HEALTHY", events.get(0).path("to").asText());
        assertEquals("operation", events.get(History.EVENTS - 1).path("type").asText());
        assertEquals("started", events.get(History.EVENTS - 1).path("result").asText());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
