package io.procpool;

import com.typesafe.config.Config;
import io.procpool.api.Pool;
import io.procpool.config.PoolSettings;
import io.procpool.internal.Dispatchers;
import io.procpool.internal.admin.AdminServer;
import io.procpool.internal.admin.History;
import io.procpool.internal.feeds.Feeds;
import io.procpool.internal.gateway.GatewayServer;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.gateway.Traffic;
import io.procpool.internal.health.ProbeRouter;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.internal.process.PlatformLauncher;
import io.procpool.internal.linux.NotifySocket;
import io.procpool.internal.tuning.Prewarm;
import io.procpool.internal.supervision.PoolClient;
import io.procpool.internal.supervision.PoolEnvironment;
import io.procpool.internal.systemd.Notifications;
import io.procpool.internal.systemd.SystemdEnvironment;
import io.procpool.internal.systemd.SystemdNotifier;
import io.procpool.internal.supervision.PoolSupervisor;
import io.procpool.internal.tuning.RestartWarmup;
import io.procpool.internal.tuning.SystemTuning;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.Platform;
import io.procpool.spi.ProcessLauncher;
import io.procpool.spi.ResourceSampler;
import io.procpool.spi.TrafficDoor;
import java.io.IOException;
import java.net.BindException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.LoggerFactory;

/**
 * The steps of {@link ProcessPool.Builder#start}, each named: take the state dir, make the
 * environment the tree runs against (with the gateway's traffic view when it is enabled), start
 * the tree, bind the admin API and the gateway, warm the restart path up; and undo a start that
 * failed half way.
 */
final class Startup {

    private static final AtomicLong POOLS = new AtomicLong();

    /** The actor system the tree runs in, its root, and whether the pool owns the system. */
    record Runtime(ActorSystem<?> system, ActorRef<PoolSupervisor.Command> root, boolean owned) {
    }

    private Startup() {
    }

    /** {@link ProcessPool#prewarm}: the library's parts, and what each does. */
    static void prewarm(Runnable logging) {
        java.util.Map<Prewarm.Part, Prewarm.ThrowingRunnable> work = new java.util.EnumMap<>(Prewarm.Part.class);
        work.put(Prewarm.Part.LOGGING, logging::run);
        work.put(Prewarm.Part.REFERENCE_CONFIG, () -> com.typesafe.config.ConfigFactory.defaultReference(Startup.class.getClassLoader()));
        work.put(Prewarm.Part.NATIVE, io.procpool.internal.linux.LinuxPlatform::bindNatives);
        work.put(Prewarm.Part.STATE_JSON, io.procpool.internal.process.StateFile::warm);
        // Pekko HTTP asks for the default context even for plain HTTP (its TLS placebo's session).
        work.put(Prewarm.Part.TLS, () -> javax.net.ssl.SSLContext.getDefault().createSSLEngine().getSession());
        Prewarm.start(work);
    }

    /** Takes the state dir (stopping what a killed earlier run left there), with a message that names the key. */
    static PlatformLauncher takeStateDir(PoolSettings settings, Platform platform) throws IOException {
        Prewarm.before(Prewarm.Part.STATE_JSON);
        try {
            PlatformLauncher launcher = PlatformLauncher.open(settings.stateDir(), platform, settings.longestStop(),
                    PoolSupervisor.stopBudget(settings));
            // Which way children start, and what sets their death signal (procpool-pdeathsig or setpriv): said once.
            LoggerFactory.getLogger(Startup.class).info("children start through {}", launcher.mechanism());
            return launcher;
        } catch (PlatformLauncher.StateDirLockedException e) {
            platform.close();
            throw e;
        } catch (IOException e) {
            platform.close();
            String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                    .toLowerCase(java.util.Locale.ROOT) + (e.getMessage() == null ? "" : ": " + e.getMessage());
            throw new IOException("cannot use the state dir " + settings.stateDir() + " (" + settings.named("state-dir") + " in "
                    + settings.source() + "): " + why, e);
        }
    }

    /** The seams the tree runs against, for the actor system it runs in. */
    static Function<ActorSystem<?>, PoolEnvironment> environment(PoolSettings settings, ProcessLauncher launcher,
                                                              PlatformLauncher os, Function<ActorSystem<?>, HealthProbe> probe,
                                                              ProbeRouter prober, ResourceSampler resources, LongSupplier clock,
                                                              PoolMetrics metrics, TrafficDoor door) {
        ProcessLauncher processes = launcher != null ? launcher : os;
        return sys -> new PoolEnvironment(processes, probe != null ? probe.apply(sys) : prober, settings.logDir(), metrics,
                resources != null ? resources : os == null ? ResourceSampler.NONE
                        : ResourceSampler.of(os.platform(), sys.dispatchers().lookup(
                                Dispatchers.blocking())),
                clock).withDoor(door);
    }

    /** What a cluster node knows of the other nodes, when {@code cluster.enabled} is on. */
    static Optional<ClusterView> clusterView(PoolSettings settings, LongSupplier clock) {
        return settings.cluster().enabled()
                ? Optional.of(new ClusterView(settings.cluster().self().toString(), settings.cluster().advertiseHost(), clock))
                : Optional.empty();
    }

    /**
     * The door the tree drains through: the gateway's (or none), and on a cluster node every other
     * node's gateway too.
     */
    static TrafficDoor door(Optional<Traffic> gateway, Optional<ClusterView> cluster) {
        TrafficDoor local = gateway.<TrafficDoor>map(t -> t).orElse(TrafficDoor.NONE);
        return cluster.map(v -> v.door(local)).orElse(local);
    }

    /**
     * A cluster node's gateway routes to the other nodes' ready instances as they report them,
     * and drains one when its node is about to stop it.
     */
    static void gatewayAcrossTheCluster(Traffic traffic, ClusterView view) {
        view.here(traffic::drainElsewhere);
        view.listen(reports -> {
            java.util.Map<String, java.util.List<Traffic.Elsewhere>> byService = new java.util.HashMap<>();
            for (ClusterView.NodeReport r : reports) {
                for (ClusterView.RemoteInstance i : r.instances()) {
                    byService.computeIfAbsent(i.service(), x -> new java.util.ArrayList<>()).add(new Traffic.Elsewhere(r.host(), i.port(),
                            i.pid(), i.state().equals("HEALTHY") || i.state().equals("RUNNING")));
                }
            }
            traffic.elsewhere(byService);
        });
    }

    /** The gateway's view of the traffic, when it is enabled: made before the tree, which drains through it. */
    static Optional<Traffic> traffic(PoolSettings settings) {
        return settings.gateway().enabled() ? Optional.of(GatewayServer.traffic(settings)) : Optional.empty();
    }

    /** The gateway, when enabled; a port that cannot be had is an error that names the key. */
    static Optional<ServerBinding> bindGateway(Runtime runtime, PoolSettings settings, Pool pool, Optional<Traffic> traffic,
                                               PoolMetrics metrics) throws BindException {
        if (traffic.isEmpty()) {
            return Optional.empty();
        }
        Prewarm.before(Prewarm.Part.TLS);
        return Optional.of(bound(GatewayServer.bind(runtime.system(), settings, pool, traffic.get(), metrics), gateway(settings)));
    }

    /** The admin API's address and key, for a message that says which port could not be had. */
    private static String admin(PoolSettings settings) {
        return "the admin API on " + settings.admin().host() + ":" + settings.admin().port() + " (" + settings.named("admin")
                + " in " + settings.source() + ")";
    }

    private static String gateway(PoolSettings settings) {
        return "the gateway on " + settings.gateway().host() + ":" + settings.gateway().port() + " (" + settings.named("gateway")
                + " in " + settings.source() + ")";
    }

    private static BindException cannotBind(String what, Throwable cause) {
        BindException b = new BindException("cannot bind " + what + ": " + cause.getMessage());
        b.initCause(cause);
        return b;
    }

    private static ServerBinding bound(CompletionStage<ServerBinding> binding, String what) throws BindException {
        try {
            return binding.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw cannotBind(what, e.getCause() == null ? e : e.getCause());
        }
    }

    /** The supervision tree, idle: in an actor system of the pool's own, or as a system actor of the application's. */
    static Runtime startTree(ActorSystem<?> system, Config config, PoolSettings settings,
                             Function<ActorSystem<?>, PoolEnvironment> env) {
        if (system != null) {
            ActorRef<PoolSupervisor.Command> root = system.systemActorOf(PoolSupervisor.create(settings, env.apply(system)),
                    "procpool-" + POOLS.incrementAndGet(), Props.empty());
            return new Runtime(system, root, false);
        }
        ActorSystem<PoolSupervisor.Command> own = ActorSystem.create(
                Behaviors.setup(ctx -> PoolSupervisor.create(settings, env.apply(ctx.getSystem()))), "procpool",
                SystemTuning.ownSystem(PoolSupervisor.stopBudget(settings), settings.shutdownDrain(), config));
        return new Runtime(own, own, true);
    }

    /**
     * Whether the admin API's and the gateway's ports can be had, tried with a plain socket before
     * anything starts: their servers bind after the children start, and a port taken by another
     * program is an error with nothing started. A port 0 (any free one) needs no check.
     */
    static void claimable(PoolSettings settings) throws BindException {
        if (settings.admin().enabled()) {
            claimable(settings.admin().host(), settings.admin().port(), admin(settings));
        }
        if (settings.gateway().enabled()) {
            claimable(settings.gateway().host(), settings.gateway().port(), gateway(settings));
        }
    }

    private static void claimable(String host, int port, String what) throws BindException {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (IOException e) {
            throw cannotBind(what, e);
        }
    }

    /**
     * At most this long the servers' bind waits for the pools' first launches. A start slower than
     * that (thousands of instances) binds after it, beside the launches still to come, as every
     * start did before the wait: the admin API is never more than this late.
     */
    static final Duration FIRST_STARTS_WAIT = Duration.ofSeconds(2);

    /** Returns once {@code launched} is done, or after {@link #FIRST_STARTS_WAIT}. */
    static void awaitFirstStarts(CompletionStage<Void> launched) {
        try {
            launched.toCompletableFuture().get(FIRST_STARTS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Bind now: the wait only orders the work, it decides nothing.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The dashboard's history, following {@code pool}'s events from now on, when the admin API is
     * enabled: made before the pools start, so that it has their start however late the API binds.
     */
    static Optional<History> history(PoolSettings settings, Pool pool) {
        return settings.admin().enabled() ? Optional.of(History.following(pool)) : Optional.empty();
    }

    /**
     * The admin API, when enabled, with {@code history} ({@link #history}'s, there whenever the API is
     * enabled); a port that cannot be had is an error that names the key.
     */
    static Optional<ServerBinding> bindAdmin(Runtime runtime, PoolSettings settings, Pool pool, PoolMetrics metrics,
                                             Optional<Traffic> gateway, Optional<History> history) throws BindException {
        if (!settings.admin().enabled()) {
            return Optional.empty();
        }
        // Not a silent "no admin API": the history is made with the API's settings before the start.
        History made = history.orElseThrow(() -> new IllegalStateException("the admin API is enabled but has no history"));
        Prewarm.before(Prewarm.Part.TLS);
        // The token is the latest reload's: a rotated token file applies at once.
        return Optional.of(bound(AdminServer.bind(runtime.system(), settings.admin(), () -> pool.settings().admin().token(), pool, metrics,
                gateway.map(t -> (java.util.function.ToIntBiFunction<String, Integer>) t::inFlight), made), admin(settings)));
    }

    /** The proxy feeds: written now and on every change of the ready set. */
    static Feeds startFeeds(Runtime runtime, Pool pool) {
        return Feeds.start(pool, runtime.system().dispatchers().lookup(Dispatchers.blocking()));
    }

    /** The systemd notifier and the socket it sends on. */
    record Systemd(ActorRef<SystemdNotifier.Command> notifier, Notifications socket) {
        /** After the pool's close: the notifier goes with a system of the pool's own, else it is stopped. */
        void close(Runtime runtime) {
            if (!runtime.owned()) {
                notifier.tell(SystemdNotifier.Stop.INSTANCE);
            }
            socket.close();
        }
    }

    /**
     * Tells systemd how the pool is doing, when procpool runs under it ({@code NOTIFY_SOCKET}); every
     * reload, whichever door asked for it, is bracketed by {@code RELOADING=1} and {@code READY=1}.
     * A socket that cannot be made is a warning: the pool runs without it.
     */
    static Optional<Systemd> notifySystemd(Runtime runtime, PoolClient client, PoolSettings settings) {
        SystemdEnvironment env = SystemdEnvironment.of(System.getenv(), ProcessHandle.current().pid());
        if (env.socket().isEmpty()) {
            return Optional.empty();
        }
        Notifications socket;
        try {
            socket = NotifySocket.open(env.socket().get());
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Startup.class).warn("not reporting to systemd: {}", e.getMessage());
            return Optional.empty();
        }
        // System.nanoTime is CLOCK_MONOTONIC on Linux, the clock of systemd's MONOTONIC_USEC.
        ActorRef<SystemdNotifier.Command> notifier = runtime.system().systemActorOf(SystemdNotifier.create(client,
                settings.startupTimeout(), env.watchdog(), socket, () -> System.nanoTime() / 1000),
                "procpool-systemd-" + POOLS.incrementAndGet(), Props.empty());
        client.listenToReloads(new PoolClient.ReloadListener() {
            @Override
            public void reloading() {
                notifier.tell(SystemdNotifier.Reloading.INSTANCE);
            }

            @Override
            public void reloaded(io.procpool.api.OpResult result) {
                notifier.tell(new SystemdNotifier.Reloaded(result));
            }
        });
        return Optional.of(new Systemd(notifier, socket));
    }

    /** Real processes: compile the restart path before the first crash (see {@link RestartWarmup}). */
    static void warmUp(ActorSystem<?> system, ProcessLauncher launcher) {
        system.systemActorOf(RestartWarmup.create(launcher), "procpool-warmup-" + POOLS.incrementAndGet(),
                Props.empty().withDispatcherFromConfig(Dispatchers.INSTANCES));
    }

    static void stopUnstarted(Runtime runtime) {
        if (runtime.owned()) {
            runtime.system().terminate();
            runtime.system().getWhenTerminated().toCompletableFuture().join();
        } else {
            runtime.root().tell(PoolSupervisor.Terminate.INSTANCE);
        }
    }
}
