package io.procpool.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.procpool.api.InstanceState;
import io.procpool.api.PoolEvent;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The API's JSON of the pool's figures and events. */
class StatusJsonTest {

    @Test
    void everyTimeIsUtcToTheMillisecondAlwaysTheSameWidth() {
        assertEquals("2026-12-07T20:57:46.000Z", StatusJson.time(Instant.parse("2026-12-07T20:57:46Z")));
        assertEquals("2026-12-07T20:57:46.285Z", StatusJson.time(Instant.parse("2026-12-07T20:57:46.285935690Z")));
        PoolEvent e = new PoolEvent(Instant.parse("2026-12-07T21:00:57.285935690Z"), "web", 8000, OptionalLong.of(7),
                InstanceState.STARTING, InstanceState.HEALTHY, "probe passed");
        assertEquals("2026-12-07T21:00:57.285Z", StatusJson.event(e).path("time").asText());
    }
}
