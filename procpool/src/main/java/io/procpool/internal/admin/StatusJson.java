package io.procpool.internal.admin;

import io.procpool.api.ScalingEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.procpool.api.ExitRecord;
import io.procpool.api.HealthFigures;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;

/** The JSON shapes of the admin API, built from the supervision tree's immutable snapshots. */
public final class StatusJson {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Every time the API writes: UTC, to the millisecond, always the same width (Instant's own text drops a zero fraction and may give nanoseconds). */
    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX").withZone(java.time.ZoneOffset.UTC);

    private StatusJson() {
    }

    /**
     * {@code {"services": {NAME: {...}}}}, and on a cluster node {@code "cluster": {"self",
     * "nodes", "unplaced": {NAME: N}, "refused": {NAME: why}}}.
     */
    public static ObjectNode pool(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode services = root.putObject("services");
        for (ServiceStatus s : status.services()) {
            services.set(s.name(), service(s, false, status.atNanos()));
        }
        status.cluster().ifPresent(c -> {
            // Only a cluster node's status has it: a pool alone answers as it always did.
            ObjectNode cluster = root.putObject("cluster");
            cluster.put("self", c.self());
            c.nodes().forEach(cluster.putArray("nodes")::add);
            ObjectNode unplaced = cluster.putObject("unplaced");
            c.unplaced().forEach(unplaced::put);
            ObjectNode refused = cluster.putObject("refused");
            c.refused().forEach(refused::put);
        });
        return root;
    }

    /**
     * {@code {"state": ..., "desired": N, "instances": [...]}}; {@code detailed} adds the settings
     * that matter to an operator and, per instance, its command line, working directory, log file
     * and last exits.
     */
    public static ObjectNode service(ServiceStatus s, boolean detailed, long atNanos) {
        ObjectNode node = JSON.createObjectNode();
        node.put("state", s.state().name());
        node.put("desired", s.desired());
        if (s.operation().isPresent()) {
            node.put("operation", s.operation().get());
        } else {
            node.putNull("operation");
        }
        if (s.lastOperation().isPresent()) {
            node.set("last_operation", operation(s.lastOperation().get()));
        } else {
            node.putNull("last_operation");
        }
        if (detailed) {
            node.put("min_processes", s.settings().minProcesses());
            node.put("max_processes", s.settings().maxProcesses());
            ArrayNode ports = node.putArray("ports");
            s.settings().ports().forEach(ports::add);
            node.put("working_dir", s.settings().workingDir().toString());
            node.put("health_check", s.settings().health().probe().summary());
            ArrayNode dependsOn = node.putArray("depends_on");
            s.settings().dependsOn().forEach(dependsOn::add);
        }
        ArrayNode instances = node.putArray("instances");
        for (InstanceStatus i : s.instances()) {
            ObjectNode inst = instance(i, atNanos);
            if (detailed) {
                ArrayNode cmd = inst.putArray("command");
                i.command().forEach(cmd::add);
                inst.put("working_dir", s.settings().workingDir().toString());
                inst.put("log_file", i.logFile().toString());
                ArrayNode exits = inst.putArray("last_exits");
                i.exits().forEach(e -> exits.add(exit(e)));
            }
            instances.add(inst);
        }
        return node;
    }

    /** One instance: port (and node and host, in a cluster), pid, state, restarts, uptime, last exit, reason and probe figures. */
    public static ObjectNode instance(InstanceStatus i, long atNanos) {
        ObjectNode node = JSON.createObjectNode();
        node.put("port", i.port());
        if (!i.node().isEmpty()) {
            // Only a cluster's status has them: a pool alone answers as it always did.
            node.put("node", i.node());
            node.put("host", i.host());
        }
        if (i.pid().isPresent()) {
            node.put("pid", i.pid().getAsLong());
        } else {
            node.putNull("pid");
        }
        node.put("state", i.state().name());
        node.put("restarts", i.restarts());
        node.put("uptime_ms", i.uptimeMillis(atNanos));
        if (i.lastExit().isPresent()) {
            node.put("last_exit", i.lastExit().get().code());
        } else {
            node.putNull("last_exit");
        }
        node.put("reason", i.reason());
        if (i.health().isPresent()) {
            HealthFigures h = i.health().get();
            ObjectNode health = node.putObject("health");
            health.put("last_latency_ms", h.lastLatencyMs());
            health.put("consecutive_failures", h.consecutiveFailures());
            if (h.lastError() == null) {
                health.putNull("last_error");
            } else {
                health.put("last_error", h.lastError());
            }
        } else {
            node.putNull("health");
        }
        return node;
    }

    private static ObjectNode exit(ExitRecord e) {
        ObjectNode node = JSON.createObjectNode();
        node.put("time", time(e.time()));
        node.put("pid", e.pid());
        node.put("exit_code", e.exit().code());
        if (e.exit().signal().isPresent()) {
            node.put("signal", io.procpool.config.Signal.describe(e.exit().signal().getAsInt()));
        } else {
            node.putNull("signal");
        }
        node.put("cause", e.cause());
        return node;
    }

    /** The event's name on the stream and in the history: {@code scaling}, {@code operation} or {@code transition}. */
    static String eventType(io.procpool.api.Event e) {
        return e instanceof ScalingEvent ? "scaling" : e instanceof io.procpool.api.OperationEvent ? "operation" : "transition";
    }

    /** Any event, as its kind's method below writes it. */
    static ObjectNode anyEvent(io.procpool.api.Event e) {
        if (e instanceof ScalingEvent s) {
            return scaling(s);
        }
        if (e instanceof io.procpool.api.OperationEvent o) {
            return operation(o);
        }
        return event((PoolEvent) e);
    }

    /** {@code {"time", "service", "port", "pid", "from", "to", "reason"}}, and {@code "node"} on a cluster. */
    public static ObjectNode event(PoolEvent e) {
        ObjectNode node = JSON.createObjectNode();
        node.put("time", time(e.time()));
        node.put("service", e.service());
        node.put("port", e.port());
        if (!e.node().isEmpty()) {
            node.put("node", e.node());
        }
        if (e.pid().isPresent()) {
            node.put("pid", e.pid().getAsLong());
        } else {
            node.putNull("pid");
        }
        node.put("from", e.from().name());
        node.put("to", e.to().name());
        node.put("reason", e.reason());
        return node;
    }

    /**
     * {@code {"time", "service", "operation", "result", "message"}}: {@code result} is
     * {@code "started"} (message null) when it begins, then how it ended: {@code "ok"},
     * {@code "failed"}, ... (the outcome, in lower case).
     */
    public static ObjectNode operation(io.procpool.api.OperationEvent e) {
        ObjectNode node = JSON.createObjectNode().put("time", time(e.time())).put("service", e.service())
                .put("operation", e.operation());
        if (e.result().isPresent()) {
            node.put("result", e.result().get().outcome().name().toLowerCase(java.util.Locale.ROOT));
            node.put("message", e.result().get().message());
        } else {
            node.put("result", "started");
            node.putNull("message");
        }
        return node;
    }

    /** {@code {"time", "service", "from", "to", "metric", "observed", "target", "reason"}}. */
    public static ObjectNode scaling(io.procpool.api.ScalingEvent e) {
        return JSON.createObjectNode().put("time", time(e.time())).put("service", e.service()).put("from", e.from())
                .put("to", e.to()).put("metric", e.metric()).put("observed", e.observed()).put("target", e.target())
                .put("reason", e.reason());
    }

    /** {@code {"error": "...", "detail": ["...", ...]}}: every problem of an invalid request. */
    public static ObjectNode error(String error, java.util.List<String> details) {
        ObjectNode node = JSON.createObjectNode().put("error", error);
        ArrayNode arr = node.putArray("detail");
        details.forEach(arr::add);
        return node;
    }

    /** {@code {"error": "...", "detail": ...}}. */
    public static ObjectNode error(String error, String detail) {
        ObjectNode node = JSON.createObjectNode().put("error", error);
        if (detail == null) {
            node.putNull("detail");
        } else {
            node.put("detail", detail);
        }
        return node;
    }

    /** {@code 2026-12-07T20:57:46.000Z}. */
    public static String time(java.time.Instant t) {
        return TIME.format(t);
    }
}
