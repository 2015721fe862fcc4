package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table of {@code poolctl top}: one row per instance, from {@code GET /status} (state, pid,
 * restarts, uptime) and {@code GET /metrics} (CPU time and resident memory of each instance's
 * process tree). CPU% is the share of one core over the time since the previous sample of the
 * same process, as top shows it; for the first sample of a process, over its uptime, as ps does.
 * Pure: the caller fetches, keeps the samples between tables and owns the clock.
 */
final class TopTable {

    private static final List<String> HEADER = List.of("SERVICE", "STATE", "PORT", "PID", "INSTANCE", "CPU%", "RSS",
            "RESTARTS", "UPTIME");
    private static final Pattern SAMPLE = Pattern.compile("^(procpool_instance_cpu_seconds_total|procpool_instance_rss_bytes)"
            + "\\{([^}]*)}\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** What {@code /metrics} says of one instance's process tree. */
    record Usage(double cpuSeconds, double rssBytes) {
    }

    /** One instance's CPU time at a moment of the caller's monotonic clock. */
    record Sample(long pid, double cpuSeconds, long atNanos) {
    }

    private TopTable() {
    }

    /** The instances' usage in a Prometheus text exposition, by {@code "service:port"}; nothing for what it lacks. */
    static Map<String, Usage> usage(String metrics) {
        Map<String, double[]> found = new HashMap<>();
        for (String line : metrics.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            double value;
            try {
                value = Double.parseDouble(m.group(3));
            } catch (NumberFormatException e) {
                continue;
            }
            double[] u = found.computeIfAbsent(labels.get("service") + ":" + labels.get("port"), k -> new double[] {Double.NaN, Double.NaN});
            u[m.group(1).startsWith("procpool_instance_cpu") ? 0 : 1] = value;
        }
        Map<String, Usage> out = new HashMap<>();
        found.forEach((k, v) -> out.put(k, new Usage(v[0], v[1])));
        return out;
    }

    /**
     * The table.
     *
     * @param services the {@code "services"} object of {@code /status}
     * @param usage what {@link #usage} read from {@code /metrics} (empty when it could not be read)
     * @param previous the samples of the previous table, by {@code "service:port"}; replaced by this table's
     * @param nowNanos the caller's monotonic clock now
     */
    static String render(JsonNode services, Map<String, Usage> usage, Map<String, Sample> previous, long nowNanos) {
        Map<String, Sample> next = new HashMap<>();
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode s = e.getValue();
            String serviceState = StatusTable.serviceState(s);
            if (s.path("instances").isEmpty()) {
                rows.add(List.of(e.getKey(), serviceState, "-", "-", "-", "-", "-", "-", "-"));
            }
            boolean first = true;
            for (JsonNode i : s.path("instances")) {
                String key = e.getKey() + ":" + i.path("port").asText();
                Usage u = i.path("pid").isNumber() ? usage.get(key) : null;
                String cpu = "-";
                if (u != null && !Double.isNaN(u.cpuSeconds())) {
                    Sample now = new Sample(i.path("pid").asLong(), u.cpuSeconds(), nowNanos);
                    cpu = percent(previous.get(key), now, i.path("uptime_ms").asLong());
                    next.put(key, now);
                }
                rows.add(List.of(first ? e.getKey() : "", first ? serviceState : "", i.path("port").asText(),
                        i.path("pid").isNumber() ? i.path("pid").asText() : "-", i.path("state").asText(), cpu,
                        u == null || Double.isNaN(u.rssBytes()) ? "-" : bytes(u.rssBytes()), i.path("restarts").asText(),
                        StatusTable.uptime(i.path("uptime_ms").asLong())));
                first = false;
            }
        }
        previous.clear();
        previous.putAll(next);
        return StatusTable.align(rows);
    }

    /** CPU% since {@code before} when it is a sample of the same process, else over the uptime. */
    static String percent(Sample before, Sample now, long uptimeMs) {
        double share;
        if (before != null && before.pid() == now.pid() && now.atNanos() > before.atNanos()) {
            share = (now.cpuSeconds() - before.cpuSeconds()) / ((now.atNanos() - before.atNanos()) / 1e9);
        } else if (uptimeMs > 0) {
            share = now.cpuSeconds() / (uptimeMs / 1000.0);
        } else {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f", Math.max(0, share) * 100);
    }

    /** Bytes for people: 812K, 23.4M, 1.2G. */
    static String bytes(double b) {
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.0fK", b / 1024);
        }
        if (b < 1024.0 * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1fM", b / (1024 * 1024));
        }
        return String.format(Locale.ROOT, "%.1fG", b / (1024.0 * 1024 * 1024));
    }
}
