package io.procpool.internal.gateway;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's Prometheus metrics, in the pool's registry. The labelled series a request
 * touches are looked up once per service and code and kept (the client library's own lookup
 * builds a label array and a map key per call).
 */
final class GatewayMetrics {

    private final Counter requests;
    private final Histogram duration;
    private final Counter retries;
    private final Map<String, CounterDataPoint> requestSeries = new ConcurrentHashMap<>();
    private final Map<String, DistributionDataPoint> durationSeries = new ConcurrentHashMap<>();

    GatewayMetrics(PrometheusRegistry registry, Traffic traffic) {
        // No exemplars, as in PoolMetrics: nothing to put in them, and a thread woken per request.
        requests = Counter.builder().name("procpool_gateway_requests_total")
                .help("Requests answered by the gateway, by service and status code (the gateway's own 404, 502, 503, 504 included)")
                .labelNames("service", "code")
                .withoutExemplars()
                .register(registry);
        duration = Histogram.builder().name("procpool_gateway_request_duration_seconds")
                .help("Time from a request's arrival to its answer's head, retries and queueing included")
                .labelNames("service")
                .classicOnly()
                .withoutExemplars()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        retries = Counter.builder().name("procpool_gateway_retries_total")
                .help("Requests tried again on another instance, by the failure that caused it (connect, after-write)")
                .labelNames("service", "reason")
                .withoutExemplars()
                .register(registry);
        // Every routed service starts at 0 for every reason; the codes of requests are not known before they are answered.
        traffic.onRouted(service -> {
            for (Retry.Failure f : Retry.RETRIED) {
                retries.initLabelValues(service, f.label());
            }
        });
        GaugeWithCallback.builder().name("procpool_gateway_in_flight")
                .help("Requests the gateway has in flight to each instance")
                .labelNames("service", "port")
                .callback(cb -> traffic.services().forEach((name, t) -> t.backends().forEach((port, b) ->
                        cb.call(b.inFlight(), name, Integer.toString(port)))))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_gateway_queued")
                .help("Requests waiting for a ready instance of each service")
                .labelNames("service")
                .callback(cb -> traffic.services().forEach((name, t) -> cb.call(t.waiting(), name)))
                .register(registry);
    }

    void answered(String service, int code, long nanos) {
        requestSeries.computeIfAbsent(service + " " + code, k -> requests.labelValues(service, Integer.toString(code))).inc();
        durationSeries.computeIfAbsent(service, k -> duration.labelValues(service)).observe(nanos / 1e9);
    }

    void retried(String service, Retry.Failure failure) {
        retries.labelValues(service, failure.label()).inc();
    }
}
