package io.procpool.internal.metrics;

import io.procpool.internal.BuildInfo;
import io.procpool.spi.ProcessUsage;
import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * procpool's Prometheus metrics, in a registry of their own (so that two pools embedded in one
 * JVM do not collide). Counters and the probe histogram are fed by the pools as things happen;
 * the gauges are read at scrape time from the latest {@link PoolStatus} the root published, and
 * the CPU and memory figures from the platform's reading of the process table, one pass for all
 * instances.
 *
 * <p>Every counter whose label values are known starts at 0 (restarts by service and reason,
 * probe failures by service and cause) as soon as a status names the service, a reload's new
 * services included: {@code rate()} and {@code increase()} then see the first event as a rise
 * from 0 instead of a series that appears.
 *
 * <p>Thread-safe: pools write from their actors, scrapes read from HTTP threads.
 */
public final class PoolMetrics {

    /** Why an instance was restarted, the {@code reason} label of {@code procpool_restarts_total}. */
    public enum RestartReason {
        EXIT, UNHEALTHY, MANUAL, RESOURCE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final java.util.concurrent.atomic.AtomicBoolean jvmRegistered = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicReference<PoolStatus> latest = new AtomicReference<>(new PoolStatus(List.of(), 0));
    /** Why a probe failed, the {@code cause} label of {@code procpool_health_check_failures_total}. */
    public enum ProbeFailure {
        /** No answer within the probe's timeout (or an exec probe still running at its timeout). */
        TIMEOUT,
        /** Nothing listens on the port. */
        REFUSED,
        /** The connection broke: reset, or closed without a whole response. */
        CONNECTION,
        /** An HTTP answer with a status outside {@code expect-status}. */
        STATUS,
        /** An answer that is not valid HTTP. */
        RESPONSE,
        /** An exec probe exited non-zero. */
        EXIT,
        /** Anything else (procpool shutting down, a probe that could not run). */
        OTHER;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * The cause of a failure, from its reason as procpool's probers word it (see
         * {@link io.procpool.spi.ProbeResult}); a prober of another wording lands in OTHER.
         */
        public static ProbeFailure of(String error) {
            String e = error == null ? "" : error.toLowerCase(java.util.Locale.ROOT);
            if (e.contains("timed out") || e.contains("no answer within") || e.contains("still running after")) {
                return TIMEOUT;
            }
            if (e.contains("connection refused")) {
                return REFUSED;
            }
            if (e.startsWith("http ")) {
                return STATUS;
            }
            if (e.startsWith("exited with")) {
                return EXIT;
            }
            if (e.contains("connection") || e.contains("incomplete response") || e.contains("broken pipe")) {
                return CONNECTION;
            }
            if (e.contains("not an http response") || e.startsWith("bad ") || e.contains("body too long")
                    || e.contains("bytes after the end") || e.contains("response line too long")) {
                return RESPONSE;
            }
            return OTHER;
        }
    }

    private final Counter restarts;
    private final Counter probeFailures;
    private final Counter probesNotRun;
    private final Histogram probeDuration;
    /** Services whose counters have their zeros. */
    private final java.util.Set<String> declared = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Unix time in nanoseconds minus the pool's clock, taken once: start times stay put between scrapes. */
    private final long wallMinusClock;

    /** The clock of the pool's uptimes (monotonic nanoseconds): an instance's uptime is read off it at scrape time. */
    private final LongSupplier clock;
    private final java.util.function.Function<java.util.Collection<Long>, Map<Long, ProcessUsage>> usage;

    /** Metrics with the real clock and no process table (tests). */
    public PoolMetrics() {
        this(System::nanoTime, groups -> Map.of());
    }

    /**
     * @param clock the monotonic clock the pool measures uptimes with (virtual in a simulation)
     * @param usage what the instances' process groups cost, read at scrape time (the platform's
     *     reading; nothing in a simulation)
     */
    public PoolMetrics(LongSupplier clock, java.util.function.Function<java.util.Collection<Long>, Map<Long, ProcessUsage>> usage) {
        this.clock = clock;
        this.usage = usage;
        this.wallMinusClock = System.currentTimeMillis() * 1_000_000L - clock.getAsLong();
        // No exemplars on any metric: procpool has no trace context to put in them, and a counter
        // that keeps them hands its samples to the library's scheduler thread, which every restart
        // then woke on the path from a crash to serving (bench/analysis.md, "Fifth pass").
        restarts = Counter.builder().name("procpool_restarts_total")
                .help("Restarts of instances, by cause: exit (unexpected exit), unhealthy (failed probes), "
                        + "manual (rolling restart), resource (over a limit)")
                .labelNames("service", "reason")
                .withoutExemplars()
                .register(registry);
        probeFailures = Counter.builder().name("procpool_health_check_failures_total")
                .help("Failed health probes, by cause: timeout, refused, connection, status, response, exit, other")
                .labelNames("service", "cause")
                .withoutExemplars()
                .register(registry);
        probesNotRun = Counter.builder().name("procpool_health_checks_not_run_total")
                .help("Health probes procpool's prober was too busy to run in time; they count neither for nor against "
                        + "an instance, which is probed again at its next interval")
                .labelNames("service")
                .withoutExemplars()
                .register(registry);
        probeDuration = Histogram.builder().name("procpool_health_check_duration_seconds")
                .help("Duration of health probes, failed ones included")
                .labelNames("service")
                .classicOnly()
                .withoutExemplars()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
                .register(registry);
        GaugeWithCallback.builder().name("procpool_instances")
                .help("Instances by service and state")
                .labelNames("service", "state")
                .callback(cb -> eachService((s, counts) -> counts.forEach((state, n) -> cb.call(n, s.name(), state.name()))))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_instance_uptime_seconds")
                .help("How long each instance's current process has been running")
                .labelNames("service", "port")
                .callback(cb -> eachLiveInstance((s, i) -> cb.call(i.uptimeMillis(clock.getAsLong()) / 1000.0, s.name(),
                        Integer.toString(i.port()))))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_instance_start_time_seconds")
                .help("Unix time at which each instance's current process started (time() minus it is its uptime)")
                .labelNames("service", "port")
                .callback(cb -> eachLiveInstance((s, i) -> cb.call(startTimeSeconds(i), s.name(), Integer.toString(i.port()))))
                .register(registry);
        CounterWithCallback.builder().name("procpool_instance_cpu_seconds_total")
                .help("CPU time (user + system) of each instance's live process tree")
                .labelNames("service", "port")
                .callback(cb -> eachUsage((s, i, u) -> cb.call(u.cpuSeconds(), s.name(), Integer.toString(i.port()))))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_instance_rss_bytes")
                .help("Resident memory of each instance's live process tree")
                .labelNames("service", "port")
                .callback(cb -> eachUsage((s, i, u) -> cb.call(u.rssBytes(), s.name(), Integer.toString(i.port()))))
                .register(registry);
        BuildInfo build = BuildInfo.current();
        Info.builder().name("procpool_build_info")
                .help("The procpool build that runs: its version and the commit it was built from")
                .labelNames("version", "commit")
                .register(registry)
                .setLabelValues(build.version(), build.commit());
    }

    /**
     * On a cluster node: the whole cluster's gauges, read at scrape time from {@code merge} of the
     * latest status (the cluster's view, {@code ClusterView.merge}). The per-instance series above
     * stay this node's own: each node is scraped for its processes, and any one of them answers
     * for the cluster's counts.
     */
    public void followCluster(java.util.function.UnaryOperator<PoolStatus> merge) {
        GaugeWithCallback.builder().name("procpool_cluster_nodes")
                .help("Nodes of the cluster this node sees (itself and every other that answers)")
                .callback(cb -> cb.call(merge.apply(latest.get()).cluster().map(c -> c.nodes().size()).orElse(1)))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_cluster_instances")
                .help("Instances across the cluster, by service, node and state")
                .labelNames("service", "node", "state")
                .callback(cb -> {
                    for (ServiceStatus s : merge.apply(latest.get()).services()) {
                        Map<List<String>, Long> counts = new java.util.HashMap<>();
                        s.instances().forEach(i -> counts.merge(List.of(i.node(), i.state().name()), 1L, Long::sum));
                        counts.forEach((k, n) -> cb.call(n, s.name(), k.get(0), k.get(1)));
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("procpool_cluster_desired_instances")
                .help("Instances each service should run across the cluster")
                .labelNames("service")
                .callback(cb -> merge.apply(latest.get()).services().forEach(s -> cb.call(s.desired(), s.name())))
                .register(registry);
        GaugeWithCallback.builder().name("procpool_cluster_unplaced_instances")
                .help("Instances the cluster wants but no node has a port free for, by service")
                .labelNames("service")
                .callback(cb -> {
                    PoolStatus now = merge.apply(latest.get());
                    Map<String, Integer> unplaced = now.cluster().map(io.procpool.api.ClusterStatus::unplaced).orElse(Map.of());
                    now.services().forEach(s -> cb.call(unplaced.getOrDefault(s.name(), 0), s.name()));
                })
                .register(registry);
    }

    /** The registry, for the metrics of the pool's doors (the gateway's). */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Counts one restart of an instance of {@code service}. */
    public void restarted(String service, RestartReason reason) {
        restarts.labelValues(service, reason.label()).inc();
    }

    /** Records one probe's duration. */
    public void probed(String service, Duration duration) {
        probeDuration.labelValues(service).observe(duration.toNanos() / 1e9);
    }

    /** Records one probe: its duration, and its failure when {@code error} is not null. */
    public void probed(String service, Duration duration, String error) {
        probed(service, duration);
        if (error != null) {
            probeFailures.labelValues(service, ProbeFailure.of(error).label()).inc();
        }
    }

    /** Counts one probe of {@code service} that the prober did not run ({@link io.procpool.spi.ProbeResult#notRun}). */
    public void probeNotRun(String service) {
        probesNotRun.labelValues(service).inc();
    }

    /** The root's latest view of the pool, read at scrape time; a service it names for the first time gets its zeros. */
    public void publish(PoolStatus status) {
        latest.set(status);
        for (ServiceStatus s : status.services()) {
            if (!declared.contains(s.name())) {
                declare(s);
            }
        }
    }

    private void declare(ServiceStatus s) {
        for (RestartReason r : RestartReason.values()) {
            restarts.initLabelValues(s.name(), r.label());
        }
        if (s.settings() != null && !(s.settings().health().probe() instanceof io.procpool.config.NoProbe)) {
            for (ProbeFailure f : ProbeFailure.values()) {
                probeFailures.initLabelValues(s.name(), f.label());
            }
            probesNotRun.initLabelValues(s.name());
        }
        declared.add(s.name());
    }

    private double startTimeSeconds(InstanceStatus i) {
        return Math.round((i.startedNanos() + wallMinusClock) / 1_000_000.0) / 1000.0;
    }

    /**
     * The Prometheus text exposition of every metric. The JVM's own (heap, threads, GC) join at the
     * first scrape: they start JMX, about 100 classes and 60 ms of CPU that a cold start need not
     * wait for (docs/benchmarks.md, "Where a cold start goes").
     */
    public byte[] scrape() throws IOException {
        if (jvmRegistered.compareAndSet(false, true)) {
            JvmMetrics.builder().register(registry);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toByteArray();
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    private void eachService(java.util.function.BiConsumer<ServiceStatus, Map<InstanceState, Long>> f) {
        for (ServiceStatus s : latest.get().services()) {
            Map<InstanceState, Long> counts = new java.util.EnumMap<>(InstanceState.class);
            for (InstanceState state : InstanceState.values()) {
                counts.put(state, 0L); // every state always present: series do not come and go
            }
            s.instances().forEach(i -> counts.merge(i.state(), 1L, Long::sum));
            f.accept(s, counts);
        }
    }

    private void eachLiveInstance(java.util.function.BiConsumer<ServiceStatus, InstanceStatus> f) {
        for (ServiceStatus s : latest.get().services()) {
            s.instances().stream().filter(i -> i.pid().isPresent()).forEach(i -> f.accept(s, i));
        }
    }

    private interface UsageConsumer {
        void accept(ServiceStatus s, InstanceStatus i, ProcessUsage u);
    }

    private void eachUsage(UsageConsumer f) {
        List<Long> groups = latest.get().services().stream().flatMap(s -> s.instances().stream())
                .filter(i -> i.pid().isPresent()).map(i -> i.pid().getAsLong()).toList();
        Map<Long, ProcessUsage> usage = this.usage.apply(groups);
        eachLiveInstance((s, i) -> {
            ProcessUsage u = usage.get(i.pid().getAsLong());
            if (u != null) {
                f.accept(s, i, u);
            }
        });
    }
}
