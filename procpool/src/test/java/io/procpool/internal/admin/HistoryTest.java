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
        h.record(1_000, Statuses.pool());
        JsonNode search = h.json().path("services").path("search").get(0);
        assertEquals(1_000, search.path("t").asLong());
        assertEquals(1, search.path("ready").asInt());
        assertEquals(2, search.path("desired").asInt());
        assertEquals(1.5, search.path("latency_ms").asDouble());
        assertEquals(0, search.path("restarts").asLong());
        assertTrue(h.json().path("services").path("off").isArray(), "a disabled service has samples too");
        assertTrue(h.json().path("services").path("off").get(0).path("latency_ms").isNull());
        assertEquals(5_000, h.json().path("interval_ms").asLong());
    }

    @Test
    void keepsFifteenMinutesOfSamplesAndDropsTheOldest() {
        History h = new History();
        for (int i = 0; i < History.SAMPLES + 10; i++) {
            h.record(i, Statuses.pool());
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
        h.record(1, Statuses.pool());
        PoolStatus fewer = new PoolStatus(List.of(Statuses.pool().services().get(0)), 0);
        h.record(2, fewer);
        assertEquals(List.of("search"), iterable(h.json().path("services").fieldNames()));
    }

    @Test
    void keepsTheLatestEventsWithTheirType() {
        History h = new History();
        for (int i = 0; i < History.EVENTS + 5; i++) {
            h.event("transition", StatusJson.JSON.createObjectNode().put("n", i));
        }
        JsonNode events = h.json().path("events");
        assertEquals(History.EVENTS, events.size());
        assertEquals(5, events.get(0).path("n").asInt());
        assertEquals("transition", events.get(0).path("type").asText());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
