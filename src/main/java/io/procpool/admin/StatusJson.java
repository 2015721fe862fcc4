package io.procpool.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.procpool.supervision.InstanceStatus;
import io.procpool.supervision.PoolStatus;
import io.procpool.supervision.ServiceStatus;

/** The JSON shapes of the admin API, built from the supervision tree's immutable snapshots. */
public final class StatusJson {

    static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {
    }

    /** {@code {"services": {NAME: {...}}}}. */
    public static ObjectNode pool(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode services = root.putObject("services");
        for (ServiceStatus s : status.services()) {
            services.set(s.name(), service(s));
        }
        return root;
    }

    /** {@code {"state": ..., "desired": N, "instances": [...]}}. */
    public static ObjectNode service(ServiceStatus s) {
        ObjectNode node = JSON.createObjectNode();
        node.put("state", s.state().name());
        node.put("desired", s.desired());
        ArrayNode instances = node.putArray("instances");
        for (InstanceStatus i : s.instances()) {
            instances.add(instance(i));
        }
        return node;
    }

    /** One instance: port, pid, state, restarts, uptime, last exit and the reason of its last change. */
    public static ObjectNode instance(InstanceStatus i) {
        ObjectNode node = JSON.createObjectNode();
        node.put("port", i.port());
        if (i.pid().isPresent()) {
            node.put("pid", i.pid().getAsLong());
        } else {
            node.putNull("pid");
        }
        node.put("state", i.state().name());
        node.put("restarts", i.restarts());
        node.put("uptime_ms", i.uptimeMillis());
        if (i.lastExit().isPresent()) {
            node.put("last_exit", i.lastExit().get().code());
        } else {
            node.putNull("last_exit");
        }
        node.put("reason", i.reason());
        if (i.health().isPresent()) {
            ObjectNode health = node.putObject("health");
            health.put("last_latency_ms", i.health().get().lastLatencyMs());
            health.put("consecutive_failures", i.health().get().consecutiveFailures());
            if (i.health().get().lastError() == null) {
                health.putNull("last_error");
            } else {
                health.put("last_error", i.health().get().lastError());
            }
        } else {
            node.putNull("health");
        }
        return node;
    }

    /** {@code {SERVICE: ["127.0.0.1:PORT", ...]}}: the ready instances of every enabled service. */
    public static ObjectNode backends(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        for (ServiceStatus s : status.services()) {
            if (s.state() == io.procpool.supervision.ServiceState.DISABLED) {
                continue;
            }
            ArrayNode list = root.putArray(s.name());
            s.instances().stream().filter(InstanceStatus::ready).forEach(i -> list.add("127.0.0.1:" + i.port()));
        }
        return root;
    }
}
