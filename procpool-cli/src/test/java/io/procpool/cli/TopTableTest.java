package io.procpool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts of poolctl top: reading /metrics and computing CPU%. */
class TopTableTest {

    @Test
    void usageIsReadFromTheInstancesCpuAndRssSeriesWhateverTheLabelOrder() {
        Map<String, TopTable.Usage> u = TopTable.usage("""
                # HELP procpool_instance_cpu_seconds_total CPU time
                # TYPE procpool_instance_cpu_seconds_total counter
                procpool_instance_cpu_seconds_total{port="8000",service="search"} 1.25
                procpool_instance_cpu_seconds_total{service="auth",port="8010"} 3.0E-1
                procpool_instance_rss_bytes{port="8000",service="search"} 2.5165824E7
                procpool_instances{service="search",state="HEALTHY"} 1.0
                jvm_memory_used_bytes{area="heap"} 1234.0
                """);
        assertEquals(new TopTable.Usage(1.25, 25165824), u.get("search:8000"));
        assertEquals(0.3, u.get("auth:8010").cpuSeconds());
        assertTrue(Double.isNaN(u.get("auth:8010").rssBytes()), "a series that is missing stays unknown");
        assertEquals(2, u.size());
    }

    @Test
    void cpuPercentIsOverTheIntervalForTheSameProcessElseOverItsUptime() {
        TopTable.Sample before = new TopTable.Sample(41, 10.0, 1_000_000_000L);
        TopTable.Sample now = new TopTable.Sample(41, 10.5, 2_000_000_000L);
        assertEquals("50.0", TopTable.percent(before, now, 60_000), "half a core over the last second");
        TopTable.Sample restarted = new TopTable.Sample(42, 0.5, 2_000_000_000L);
        assertEquals("25.0", TopTable.percent(before, restarted, 2_000), "a new process: its CPU time over its uptime");
        assertEquals("-", TopTable.percent(null, restarted, 0), "neither an earlier sample nor an uptime");
    }

    @Test
    void theTableKeepsThisSampleForTheNextOne() throws Exception {
        var services = Json.read("""
                {"search": {"state": "RUNNING", "desired": 1, "instances": [
                  {"port": 8000, "pid": 41, "state": "HEALTHY", "restarts": 2, "uptime_ms": 4000}]}}
                """);
        Map<String, TopTable.Sample> samples = new HashMap<>();
        String first = TopTable.render(services, Map.of("search:8000", new TopTable.Usage(1.0, 3 << 20)), samples, 0);
        assertEquals("""
                SERVICE  STATE        PORT  PID  INSTANCE  CPU%  RSS   RESTARTS  UPTIME
                search   RUNNING 1/1  8000  41   HEALTHY   25.0  3.0M  2         4s
                """, first);
        String second = TopTable.render(services, Map.of("search:8000", new TopTable.Usage(2.0, 3 << 20)), samples, 2_000_000_000L);
        assertTrue(second.contains("HEALTHY   50.0"), second);
    }

    @Test
    void theHeadersTimeShowsSecondsAtAWholeMinuteToo() {
        java.net.URI base = java.net.URI.create("http://127.0.0.1:9900");
        assertEquals("procpool at http://127.0.0.1:9900   18:14:00   every 2s   q quits",
                TopCommand.header(base, java.time.LocalTime.of(18, 14, 0, 999_000_000), java.time.Duration.ofSeconds(2)));
        assertEquals("procpool at http://127.0.0.1:9900   09:05:07   every 2s   q quits",
                TopCommand.header(base, java.time.LocalTime.of(9, 5, 7), java.time.Duration.ofSeconds(2)));
    }

    @Test
    void intervalsAreDurationsOfAtLeast100ms() {
        assertEquals(java.time.Duration.ofMillis(1500), TopCommand.parseInterval("1.5s"));
        assertEquals(java.time.Duration.ofMillis(250), TopCommand.parseInterval("250ms"));
        assertEquals(java.time.Duration.ofSeconds(2), TopCommand.parseInterval("2"));
        assertEquals(null, TopCommand.parseInterval("50ms"));
        assertEquals(null, TopCommand.parseInterval("soon"));
    }
}
