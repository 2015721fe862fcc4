package io.procpool.internal.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.procpool.internal.BuildInfo;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BuildInfoMetricTest {

    @Test
    void theScrapeNamesTheVersionAndTheCommitThatRun() throws Exception {
        String text = new String(new PoolMetrics().scrape(), StandardCharsets.UTF_8);
        BuildInfo build = BuildInfo.current();
        String line = "procpool_build_info{commit=\"" + build.commit() + "\",version=\"" + build.version() + "\"} 1";
        assertTrue(text.contains(line), "no line " + line + " in:\n" + text);
    }
}
