package io.procpool.internal.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.procpool.api.HealthFigures;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The recent past the dashboard draws when it is opened: per service, one sample of the status
 * every few seconds for the last 15 minutes, and the latest events. Bounded by count, never by
 * memory the pool could grow: {@link #SAMPLES} per service, {@link #EVENTS} events; a service
 * that is gone from the status is dropped at the next sample. It hears the pool's events itself
 * from when it is made ({@link #following}), which is before the pools start when procpool runs
 * its own admin API, so a start's events are in it however late the API binds; the admin server
 * takes its samples. The page reads it once with {@code GET /history} and goes on from
 * {@code /events} and {@code /status}.
 *
 * <p>Thread-safe by its monitor: the sampling stream writes, requests read. It does not promise
 * evenly spaced samples (a status that comes late is recorded late) and keeps nothing across a
 * restart of the manager.
 */
public final class History implements AutoCloseable {

    /** How often the admin server samples the status. */
    static final java.time.Duration INTERVAL = java.time.Duration.ofSeconds(5);
    /** 15 minutes of samples. */
    static final int SAMPLES = (int) (java.time.Duration.ofMinutes(15).toMillis() / INTERVAL.toMillis());
    static final int EVENTS = 200;

    /**
     * One service at one moment: what its chart shows. {@code latencyMs} is NaN without a probe
     * figure; {@code requests} and {@code errors} (answered 5xx) are the gateway's counts so far,
     * -1 without a gateway.
     */
    record Sample(long epochMillis, int ready, int desired, double latencyMs, long restarts, long requests, long errors) {
    }

    private final Map<String, Deque<Sample>> samples = new LinkedHashMap<>();
    /** Kept as they came, written as JSON only when asked for: a start of 500 has a thousand of them. */
    private final Deque<io.procpool.api.Event> events = new ArrayDeque<>();
    /** What feeds {@link #events}; none for a history fed by hand. */
    private volatile io.procpool.api.Subscription feed = () -> { };

    /** An empty history that hears nothing by itself (the tests feed it by hand). */
    History() {
    }

    /** A history that hears every event of {@code pool} from now on, until {@link #close}. */
    public static History following(io.procpool.api.Pool pool) {
        History h = new History();
        h.feed = pool.subscribeAll(h::event);
        return h;
    }

    /** Stops hearing the pool's events. */
    @Override
    public void close() {
        feed.close();
    }

    /**
     * Records every service of {@code status} as of {@code epochMillis}, with the gateway's counts
     * per service ({@link #gatewayCounts}; a service it does not name has had none; empty: there is
     * no gateway), the oldest sample going past {@link #SAMPLES}.
     */
    synchronized void record(long epochMillis, PoolStatus status, java.util.Optional<Map<String, long[]>> gateway) {
        samples.keySet().retainAll(status.services().stream().map(ServiceStatus::name).toList());
        for (ServiceStatus s : status.services()) {
            Deque<Sample> ring = samples.computeIfAbsent(s.name(), n -> new ArrayDeque<>());
            // A disabled service has no route, hence no requests to count.
            ring.addLast(sample(epochMillis, s, gateway.filter(g -> s.settings().enabled())
                    .map(g -> g.getOrDefault(s.name(), new long[2])).orElse(null)));
            if (ring.size() > SAMPLES) {
                ring.removeFirst();
            }
        }
    }

    /** Keeps {@code event}, the oldest going past {@link #EVENTS}. */
    synchronized void event(io.procpool.api.Event event) {
        events.addLast(event);
        if (events.size() > EVENTS) {
            events.removeFirst();
        }
    }

    /** The slowest probe of the service's instances (the one a user waits for), and their restarts. */
    static Sample sample(long epochMillis, ServiceStatus s, long[] gateway) {
        double latency = s.instances().stream().map(InstanceStatus::health).flatMap(java.util.Optional::stream)
                .mapToDouble(HealthFigures::lastLatencyMs).max().orElse(Double.NaN);
        long restarts = s.instances().stream().mapToLong(InstanceStatus::restarts).sum();
        return new Sample(epochMillis, s.ready().size(), s.desired(), latency, restarts,
                gateway == null ? -1 : gateway[0], gateway == null ? -1 : gateway[1]);
    }

    /**
     * Per service, {requests, answered 5xx} through the gateway so far, read from the pool's
     * registry ({@code procpool_gateway_requests_total}); empty without a gateway. Reads that
     * counter alone, not the gauges that walk {@code /proc}.
     */
    static Map<String, long[]> gatewayCounts(io.prometheus.metrics.model.registry.PrometheusRegistry registry) {
        Map<String, long[]> out = new java.util.HashMap<>();
        for (var metric : registry.scrape(name -> name.startsWith("procpool_gateway_requests"))) {
            if (metric instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot counter
                    && counter.getMetadata().getPrometheusName().equals("procpool_gateway_requests")) {
                for (var point : counter.getDataPoints()) {
                    long[] counts = out.computeIfAbsent(point.getLabels().get("service"), k -> new long[2]);
                    counts[0] += (long) point.getValue();
                    counts[1] += String.valueOf(point.getLabels().get("code")).startsWith("5") ? (long) point.getValue() : 0;
                }
            }
        }
        return out;
    }

    /**
     * {@code {"interval_ms": 5000, "services": {NAME: [{"t", "ready", "desired", "latency_ms", "restarts",
     * "requests", "errors"}]}, "events": [...]}}, oldest first; {@code latency_ms} is null without a
     * probe figure, {@code requests} and {@code errors} without a gateway.
     */
    synchronized ObjectNode json() {
        ObjectNode root = StatusJson.JSON.createObjectNode().put("interval_ms", INTERVAL.toMillis());
        ObjectNode services = root.putObject("services");
        samples.forEach((name, ring) -> {
            ArrayNode arr = services.putArray(name);
            for (Sample x : ring) {
                ObjectNode n = arr.addObject().put("t", x.epochMillis()).put("ready", x.ready()).put("desired", x.desired());
                if (Double.isNaN(x.latencyMs())) {
                    n.putNull("latency_ms");
                } else {
                    n.put("latency_ms", x.latencyMs());
                }
                n.put("restarts", x.restarts());
                if (x.requests() < 0) {
                    n.putNull("requests").putNull("errors");
                } else {
                    n.put("requests", x.requests()).put("errors", x.errors());
                }
            }
        });
        ArrayNode arr = root.putArray("events");
        // As the SSE stream shows each, with its type.
        events.forEach(e -> arr.add(StatusJson.anyEvent(e).put("type", StatusJson.eventType(e))));
        return root;
    }
}
