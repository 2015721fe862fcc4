package io.procpool.internal.supervision;

import io.procpool.internal.metrics.PoolMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a pool's metrics say of its restarts, read as a scrape would. */
final class RestartsCounted {

    private RestartsCounted() {
    }

    /** The value of {@code procpool_restarts_total{service=SERVICE,reason=REASON}}, 0 when absent. */
    static double of(PoolMetrics metrics, String service, String reason) {
        String text;
        try {
            text = new String(metrics.scrape(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher m = Pattern.compile("procpool_restarts_total\\{reason=\"" + Pattern.quote(reason) + "\",service=\""
                + Pattern.quote(service) + "\"} (\\S+)").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
