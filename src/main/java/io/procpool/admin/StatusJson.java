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
        return node;
    }
}
