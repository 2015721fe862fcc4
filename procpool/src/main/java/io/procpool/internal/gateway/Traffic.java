package io.procpool.internal.gateway;

import io.procpool.api.InstanceStatus;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.Subscription;
import io.procpool.config.GatewaySettings;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.spi.TrafficDoor;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What the gateway knows of the pool: the routes, and per service the backends that may be
 * chosen. It learns every transition as it happens from the pool's event subscription (never by
 * polling the status), and takes a status snapshot once at the start and when the pool's settings
 * change (a reload), for the ports it has heard nothing of since it subscribed. The routes follow
 * {@link Pool#settings()}: one volatile read per request tells whether a reload replaced them. It is also the supervision tree's
 * {@link TrafficDoor}: a planned stop takes the instance out of the choice at once and waits here
 * for its last request.
 */
public final class Traffic implements TrafficDoor, AutoCloseable {

    /** A refused connection keeps an instance out of the choice this long, unless the pool reports it sooner. */
    static final Duration EJECTION = Duration.ofSeconds(1);

    private final GatewaySettings settings;
    private final ServiceTraffic.Timers timers = new ServiceTraffic.Timers() {
        @Override
        public Runnable schedule(Duration delay, Runnable task) {
            return timers().schedule(delay, task);
        }

        @Override
        public void execute(Runnable task) {
            timers().execute(task);
        }
    };
    /** Set when the gateway binds: the actor system's scheduler. */
    private volatile ServiceTraffic.Timers scheduler;
    private final LongSupplier nanos;
    private final AtomicInteger queued = new AtomicInteger();
    private final Map<String, ServiceTraffic> services = new ConcurrentHashMap<>();
    private volatile RouteTable routes = RouteTable.of(java.util.List.of());
    /** Ports the pool has reported since the subscription began ("service:port"): a snapshot does not overwrite them. */
    private final Set<String> heard = ConcurrentHashMap.newKeySet();
    private volatile Subscription subscription;
    private volatile Pool pool;
    private volatile PoolSettings seen;
    private volatile java.util.function.Consumer<String> routed = name -> { };

    /**
     * A view that knows the routes of {@code initial} and no instance yet; the supervision tree
     * may drain through it from the start.
     *
     * @param nanos the monotonic clock
     */
    public Traffic(GatewaySettings settings, Collection<ServiceSettings> initial, LongSupplier nanos) {
        this.settings = settings;
        this.nanos = nanos;
        routes(initial);
    }

    private ServiceTraffic.Timers timers() {
        ServiceTraffic.Timers t = scheduler;
        if (t == null) {
            throw new IllegalStateException("the gateway's traffic view is used before it follows a pool");
        }
        return t;
    }

    /**
     * Follows {@code pool}: its transitions from now on, and a snapshot for what it has not reported.
     *
     * @param timers schedules queue timeouts and the ends of ejections
     */
    void follow(Pool pool, ServiceTraffic.Timers timers) {
        this.scheduler = timers;
        this.pool = pool;
        subscription = pool.subscribe(this::onEvent);
        routeTable();
    }

    /** Takes the routes of {@code services}; services no longer there are closed. */
    void routes(Collection<ServiceSettings> now) {
        Set<String> names = new HashSet<>();
        for (ServiceSettings s : now) {
            if (s.enabled()) {
                names.add(s.name());
                traffic(s.name());
            }
        }
        routes = RouteTable.of(now);
        services.entrySet().removeIf(e -> {
            if (!names.contains(e.getKey())) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    /** The routes in force, taken anew when a reload replaced the pool's settings. */
    RouteTable routeTable() {
        Pool p = pool;
        if (p != null) {
            PoolSettings now = p.settings();
            if (now != seen) {
                seen = now;
                routes(now.services().values());
                snapshot();
            }
        }
        return routes;
    }

    /** The traffic of {@code service}; null when it has no route. */
    ServiceTraffic of(String service) {
        return services.get(service);
    }

    private ServiceTraffic traffic(String service) {
        return services.computeIfAbsent(service, s -> {
            routed.accept(s);
            return new ServiceTraffic(s, new Balancer(settings.balance(), bound -> ThreadLocalRandom.current().nextInt(bound)),
                    queued, settings.maxQueued(), timers, nanos);
        });
    }

    /**
     * Tells {@code listener} every service that has a route, now and whenever one gets one (a
     * reload's new services): the gateway's metrics give each its zeros. It may hear a name twice.
     */
    void onRouted(java.util.function.Consumer<String> listener) {
        routed = listener;
        services.keySet().forEach(listener);
    }

    void onEvent(PoolEvent e) {
        heard.add(e.service() + ":" + e.port());
        // A service a reload has just added may be heard of before its routes are taken; one it
        // has removed is not brought back by its instances' last words (nothing of them is ready).
        ServiceTraffic t = e.to().live() && e.to() != io.procpool.api.InstanceState.STOPPING ? traffic(e.service()) : services.get(e.service());
        if (t != null) {
            t.onState(e.port(), e.to());
        }
    }

    private void snapshot() {
        Pool p = pool;
        if (p == null) {
            return;
        }
        p.status().thenAccept(this::apply);
    }

    void apply(PoolStatus status) {
        for (ServiceStatus s : status.services()) {
            ServiceTraffic t = services.get(s.name());
            if (t == null) {
                continue;
            }
            for (InstanceStatus i : s.instances()) {
                if (!heard.contains(s.name() + ":" + i.port())) {
                    t.onState(i.port(), i.state());
                }
            }
        }
    }

    /** An instance of another cluster node, as its node reports it: where it is reached, its process, and whether it is ready. */
    public record Elsewhere(String host, int port, long pid, boolean ready) {
    }

    /**
     * The instances of the other nodes of a cluster, per service: the ready ones may be chosen
     * beside this node's own. Each call replaces the last; a service not named has none elsewhere.
     */
    public void elsewhere(Map<String, java.util.List<Elsewhere>> byService) {
        services.forEach((name, t) -> {
            Map<String, ServiceTraffic.Remote> now = new java.util.HashMap<>();
            for (Elsewhere e : byService.getOrDefault(name, java.util.List.of())) {
                now.put(e.host() + ":" + e.port(), new ServiceTraffic.Remote(e.host(), e.port(), e.pid(), e.ready()));
            }
            t.onRemote(now);
        });
    }

    /** Another node is about to stop its instance of {@code service} at {@code address} ({@code host:port}): send it nothing new. */
    public CompletionStage<Void> drainElsewhere(String service, String address) {
        ServiceTraffic t = services.get(service);
        return t == null ? CompletableFuture.completedFuture(null) : t.drainRemote(address);
    }

    @Override
    public CompletionStage<Void> drain(String service, int port) {
        ServiceTraffic t = services.get(service);
        return t == null ? CompletableFuture.completedFuture(null) : t.drain(port);
    }

    @Override
    public void stopped(String service, boolean stopped) {
        ServiceTraffic t = services.get(service);
        if (t != null) {
            t.stopped(stopped);
        }
    }

    @Override
    public void removed(String service) {
        // The routes follow at the next request that reads the new settings; until then a request
        // routed to it finds no traffic and is answered that it is not running.
        ServiceTraffic t = services.remove(service);
        if (t != null) {
            t.close();
        }
    }

    @Override
    public java.util.OptionalDouble averageInFlight(String service, int port) {
        ServiceTraffic t = services.get(service);
        Backend b = t == null ? null : t.backends().get(port);
        return b == null ? java.util.OptionalDouble.empty() : b.averageSinceAsked();
    }

    /** Requests in flight through the gateway to {@code service} on {@code port}. */
    public int inFlight(String service, int port) {
        ServiceTraffic t = services.get(service);
        return t == null ? 0 : t.inFlight(port);
    }

    Map<String, ServiceTraffic> services() {
        return services;
    }

    /**
     * A refused connection keeps an instance out for {@link #EJECTION} (or until the pool reports
     * it again), and asks the pool to probe it now: the probe decides its state.
     */
    void refused(ServiceTraffic t, Backend b) {
        t.eject(b, EJECTION);
        Pool p = pool;
        // Another node's instance is probed by its own node, which reports what it finds.
        if (p != null && !b.remote()) {
            p.probeNow(b.service(), b.port());
        }
    }

    @Override
    public void close() {
        Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        services.values().forEach(ServiceTraffic::close);
    }
}
