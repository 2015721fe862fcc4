package io.procpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The human form of {@code GET /status}: an aligned table, one row per instance. */
final class StatusTable {

    private static final List<String> HEADER = List.of("SERVICE", "STATE", "PORT", "PID", "INSTANCE", "RESTARTS", "UPTIME", "PROBE");

    private StatusTable() {
    }

    /**
     * {@code services} is the {@code "services"} object of {@code /status}. A cluster's status
     * names each instance's node: the table then has a NODE column.
     */
    static String render(JsonNode services) {
        boolean clustered = services.findValue("node") != null;
        List<List<String>> rows = new ArrayList<>();
        rows.add(clustered ? withNode(HEADER, "NODE") : HEADER);
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode s = e.getValue();
            String serviceState = serviceState(s);
            if (s.path("instances").isEmpty()) {
                List<String> row = List.of(e.getKey(), serviceState, "-", "-", "-", "-", "-", "-");
                rows.add(clustered ? withNode(row, "-") : row);
            }
            for (JsonNode i : s.path("instances")) {
                List<String> row = List.of(e.getKey(), serviceState, i.path("port").asText(),
                        i.path("pid").isNull() ? "-" : i.path("pid").asText(), i.path("state").asText(),
                        i.path("restarts").asText(), uptime(i.path("uptime_ms").asLong()), probe(i.path("health")));
                rows.add(clustered ? withNode(row, i.path("node").asText("-")) : row);
            }
        }
        return align(rows);
    }

    /**
     * The lines below the table on a cluster node: its nodes, and what the cluster could not place
     * or this node refuses to run. Nothing for a pool alone ({@code cluster} missing).
     */
    static String cluster(JsonNode cluster) {
        if (!cluster.isObject()) {
            return "";
        }
        List<String> nodes = new ArrayList<>();
        cluster.path("nodes").forEach(n -> nodes.add(n.asText().equals(cluster.path("self").asText()) ? n.asText() + " (this node)"
                : n.asText()));
        StringBuilder out = new StringBuilder("\ncluster: ").append(nodes.size()).append(nodes.size() == 1 ? " node: " : " nodes: ")
                .append(String.join(", ", nodes)).append('\n');
        cluster.path("unplaced").fields().forEachRemaining(e -> out.append(e.getKey()).append(": ").append(e.getValue().asInt())
                .append(" instance(s) unplaced: no node up has a port free for them\n"));
        cluster.path("refused").fields().forEachRemaining(e -> out.append(e.getKey()).append(": this node runs none of it: ")
                .append(e.getValue().asText()).append('\n'));
        return out.toString();
    }

    /** {@code row} with {@code node} before its PORT column. */
    private static List<String> withNode(List<String> row, String node) {
        List<String> out = new ArrayList<>(row);
        out.add(2, node);
        return out;
    }

    /** The lines below the table for one service: commands, log files, last exits, operation. */
    static String details(String service, JsonNode s) {
        StringBuilder out = new StringBuilder();
        if (!s.path("operation").isNull()) {
            out.append("\noperation: ").append(s.path("operation").asText()).append('\n');
        }
        JsonNode last = s.path("last_operation");
        if (last.isObject()) {
            out.append("\nlast operation: ").append(last.path("operation").asText()).append(", ")
                    .append(last.path("result").asText()).append(" at ").append(last.path("time").asText())
                    .append(last.path("message").isNull() ? "" : ": " + last.path("message").asText()).append('\n');
        }
        out.append('\n').append(service).append(": ").append(s.path("min_processes").asInt()).append("..")
                .append(s.path("max_processes").asInt()).append(" instances on ").append(s.path("ports"))
                .append(", working dir ").append(s.path("working_dir").asText()).append(", health ")
                .append(s.path("health_check").asText()).append('\n');
        for (JsonNode i : s.path("instances")) {
            out.append("  :").append(i.path("port").asText()).append("  ").append(i.path("reason").asText()).append('\n');
            if (i.path("command").isEmpty() && i.has("node")) {
                // An instance of another node: its command, log and exits are that node's to show.
                out.append("    on node  ").append(i.path("node").asText()).append(": its command, log and exits are in that node's status\n");
                continue;
            }
            List<String> cmd = new ArrayList<>();
            i.path("command").forEach(c -> cmd.add(c.asText()));
            out.append("    command  ").append(io.procpool.config.CommandLine.render(cmd)).append('\n');
            out.append("    log      ").append(i.path("log_file").asText()).append('\n');
            for (JsonNode x : i.path("last_exits")) {
                out.append("    exited   ").append(x.path("time").asText()).append(" pid ").append(x.path("pid").asText())
                        .append(" ").append(x.path("signal").isNull() ? "exit " + x.path("exit_code").asText() : x.path("signal").asText())
                        .append(": ").append(x.path("cause").asText()).append('\n');
            }
        }
        return out.toString();
    }

    /** A service's state with its ready and desired counts, as both tables show it: {@code RUNNING 2/2}. */
    static String serviceState(JsonNode s) {
        return s.path("state").asText() + " " + ready(s) + "/" + s.path("desired").asInt();
    }

    private static long ready(JsonNode s) {
        long n = 0;
        for (JsonNode i : s.path("instances")) {
            String st = i.path("state").asText();
            n += st.equals("HEALTHY") || st.equals("RUNNING") ? 1 : 0;
        }
        return n;
    }

    static String uptime(long ms) {
        if (ms <= 0) {
            return "-";
        }
        long s = ms / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        }
        if (s < 86400) {
            return s / 3600 + "h" + s / 60 % 60 + "m";
        }
        return s / 86400 + "d" + s / 3600 % 24 + "h";
    }

    private static String probe(JsonNode h) {
        if (h.isNull() || h.isMissingNode()) {
            return "-";
        }
        String latency = String.format(java.util.Locale.ROOT, "%.1fms", h.path("last_latency_ms").asDouble());
        return h.path("last_error").isNull() ? latency : latency + " " + h.path("last_error").asText();
    }

    static String align(List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> r : rows) {
            for (int c = 0; c < r.size(); c++) {
                widths[c] = Math.max(widths[c], r.get(c).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < r.size(); c++) {
                line.append(c == r.size() - 1 ? r.get(c) : String.format("%-" + widths[c] + "s  ", r.get(c)));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
