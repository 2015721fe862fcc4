package io.procpool.internal.feeds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.procpool.config.HealthSettings;
import io.procpool.config.HttpProbe;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import java.time.Duration;
import java.util.List;

/**
 * The ready set of every enabled service in the formats proxies read, so that a proxy can follow
 * procpool without glue: procpool's own JSON, a YARP {@code ReverseProxy} section, Traefik's
 * dynamic configuration (for its HTTP provider), nginx {@code upstream} blocks, HAProxy
 * {@code backend} sections and Envoy's endpoint discovery (EDS) response. Pure functions of a
 * {@link PoolStatus}; served by {@code GET /backends} and written by the feeds.
 *
 * <p>The proxy formats leave readiness to procpool: nginx gets {@code max_fails=0} and HAProxy
 * no {@code check}, so that a proxy's passive marking never takes an instance out that procpool's
 * probes say is ready (nginx's default, one failure marks a server down for 10 s, turned a rolling
 * restart into 10 s of 502 for every request: issue 13).
 */
public final class BackendFormats {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The {@code keepalive} of a generated nginx upstream unless told otherwise. */
    public static final int NGINX_KEEPALIVE = 32;

    private BackendFormats() {
    }

    /** The formats, by their {@code ?format=} name. */
    public enum Format {
        JSON, YARP, TRAEFIK, NGINX, HAPROXY, ENVOY;

        /** The format named {@code name}, case-insensitively; null for none. */
        public static Format named(String name) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(name)) {
                    return f;
                }
            }
            return null;
        }
    }

    /** Every format's name, as {@code ?format=} takes it. */
    public static String names() {
        return java.util.Arrays.stream(Format.values()).map(f -> f.name().toLowerCase(java.util.Locale.ROOT))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * {@code status} in {@code format}, as text.
     *
     * @param nginxKeepalive idle connections each nginx worker keeps per upstream (0: none)
     */
    public static String render(Format format, PoolStatus status, int nginxKeepalive) {
        return switch (format) {
            case JSON -> json(status).toString();
            case YARP -> yarp(status).toPrettyString();
            case TRAEFIK -> traefik(status).toPrettyString();
            case ENVOY -> envoy(status, 0).toPrettyString();
            case NGINX -> nginx(status, nginxKeepalive);
            case HAPROXY -> haproxy(status);
        };
    }

    private static List<ServiceStatus> enabled(PoolStatus status) {
        return status.services().stream().filter(s -> s.state() != ServiceState.DISABLED).toList();
    }

    /** {@code {SERVICE: ["HOST:PORT", ...]}}. */
    public static ObjectNode json(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        for (ServiceStatus s : enabled(status)) {
            ArrayNode list = root.putArray(s.name());
            s.ready().forEach(i -> list.add(i.address()));
        }
        return root;
    }

    /**
     * A YARP configuration section: {@code {"ReverseProxy": {"Clusters": {NAME: {"Destinations":
     * {...}, "HealthCheck": {"Active": {...}}}}}}}, with the service's probe as the cluster's active
     * health check. Routes stay the proxy's own business.
     */
    public static ObjectNode yarp(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode clusters = root.putObject("ReverseProxy").putObject("Clusters");
        for (ServiceStatus s : enabled(status)) {
            ObjectNode cluster = clusters.putObject(s.name());
            ObjectNode destinations = cluster.putObject("Destinations");
            for (InstanceStatus i : s.ready()) {
                destinations.putObject(name(s, i)).put("Address", "http://" + i.address() + "/");
            }
            HealthSettings h = s.settings().health();
            // Only an HTTP probe has a YARP equivalent; the others stay procpool's own business.
            if (h.probe() instanceof HttpProbe http) {
                ObjectNode active = cluster.putObject("HealthCheck").putObject("Active");
                active.put("Enabled", true);
                active.put("Interval", timeSpan(h.interval()));
                active.put("Timeout", timeSpan(h.timeout()));
                active.put("Policy", "ConsecutiveFailures");
                int q = http.path().indexOf('?');
                active.put("Path", q < 0 ? http.path() : http.path().substring(0, q));
                if (q >= 0) {
                    active.put("Query", http.path().substring(q));
                }
            }
        }
        return root;
    }

    /** Traefik dynamic configuration: {@code http.services.NAME.loadBalancer.servers[].url}. */
    public static ObjectNode traefik(PoolStatus status) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode services = root.putObject("http").putObject("services");
        for (ServiceStatus s : enabled(status)) {
            ObjectNode lb = services.putObject(s.name()).putObject("loadBalancer");
            ArrayNode servers = lb.putArray("servers");
            s.ready().forEach(i -> servers.addObject().put("url", "http://" + i.address()));
            HealthSettings h = s.settings().health();
            if (h.probe() instanceof HttpProbe http) {
                lb.putObject("healthCheck")
                        .put("path", http.path())
                        .put("interval", h.interval().toMillis() + "ms")
                        .put("timeout", h.timeout().toMillis() + "ms");
            }
        }
        return root;
    }

    /** nginx {@code upstream} blocks with the default keep-alive (see {@link #nginx(PoolStatus, int)}). */
    public static String nginx(PoolStatus status) {
        return nginx(status, NGINX_KEEPALIVE);
    }

    /**
     * nginx {@code upstream} blocks. Each server line has {@code max_fails=0}: procpool's probes
     * decide who is ready. {@code keepalive} keeps idle connections to the instances (measured
     * with nginx 1.22 over 4 instances of the C sample: 14.6k requests/s without, 38.1k with 32);
     * it needs {@code proxy_http_version 1.1} and an empty {@code Connection} header in the
     * location, as the comment says. nginx refuses an empty upstream, so a service with no ready
     * instance lists its first port marked {@code down}: the configuration stays loadable and the
     * proxy answers 502 until an instance is ready.
     */
    public static String nginx(PoolStatus status, int keepalive) {
        StringBuilder out = new StringBuilder("""
                # generated by procpool: the ready instances of every enabled service.
                # In the location that proxies to an upstream, for its keepalive to work:
                #   proxy_http_version 1.1;  proxy_set_header Connection "";
                """);
        for (ServiceStatus s : enabled(status)) {
            out.append("upstream ").append(s.name()).append(" {\n");
            List<InstanceStatus> ready = s.ready();
            if (ready.isEmpty()) {
                out.append("    server 127.0.0.1:").append(s.settings().ports().get(0)).append(" down;  # none ready\n");
            }
            ready.forEach(i -> out.append("    server ").append(i.address()).append(" max_fails=0;\n"));
            if (keepalive > 0) {
                out.append("    keepalive ").append(keepalive).append(";\n");
            }
            out.append("}\n");
        }
        return out.toString();
    }

    /**
     * HAProxy {@code backend} sections, one per service, a {@code server} line per ready instance
     * and no {@code check} (procpool probes). A connection refused is tried again on another
     * server ({@code retry-on conn-failure} with {@code option redispatch}): nothing was sent.
     * A backend with no server answers 503.
     */
    public static String haproxy(PoolStatus status) {
        StringBuilder out = new StringBuilder("# generated by procpool: the ready instances of every enabled service\n");
        for (ServiceStatus s : enabled(status)) {
            out.append("\nbackend ").append(s.name()).append("\n");
            out.append("    balance leastconn\n");
            out.append("    retries 3\n");
            out.append("    retry-on conn-failure\n");
            out.append("    option redispatch 1\n");
            out.append("    http-reuse safe\n");
            for (InstanceStatus i : s.ready()) {
                out.append("    server ").append(name(s, i)).append(' ').append(i.address()).append("\n");
            }
        }
        return out.toString();
    }

    /**
     * Envoy's endpoint discovery: a {@code DiscoveryResponse} with a {@code ClusterLoadAssignment}
     * per service (the cluster named after it), as a file-based EDS source reads it.
     *
     * @param version the response's {@code version_info}; Envoy applies a file whose version changed
     */
    public static ObjectNode envoy(PoolStatus status, long version) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version_info", Long.toString(version));
        ArrayNode resources = root.putArray("resources");
        for (ServiceStatus s : enabled(status)) {
            ObjectNode cla = resources.addObject();
            cla.put("@type", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
            cla.put("cluster_name", s.name());
            ArrayNode lb = cla.putArray("endpoints").addObject().putArray("lb_endpoints");
            for (InstanceStatus i : s.ready()) {
                lb.addObject().putObject("endpoint").putObject("address").putObject("socket_address")
                        .put("address", i.host()).put("port_value", i.port());
            }
        }
        return root;
    }

    /**
     * An instance's name in a proxy's configuration, unique within its service: {@code NAME-PORT},
     * and {@code NAME-HOST-PORT} for an instance of a cluster node on another host (two machines
     * may use the same port).
     */
    static String name(ServiceStatus s, InstanceStatus i) {
        return i.host().equals(InstanceStatus.LOOPBACK) ? s.name() + "-" + i.port() : s.name() + "-" + i.host() + "-" + i.port();
    }

    /** A .NET TimeSpan literal, {@code 00:00:02.5}. */
    static String timeSpan(Duration d) {
        long ms = d.toMillis();
        String s = String.format(java.util.Locale.ROOT, "%02d:%02d:%02d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
        return ms % 1000 == 0 ? s : s + String.format(java.util.Locale.ROOT, ".%03d", ms % 1000);
    }
}
