package io.procpool;

import com.typesafe.config.Config;
import io.procpool.api.Event;
import io.procpool.api.LogTail;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.internal.health.ProbeRouter;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.internal.linux.LinuxPlatform;
import io.procpool.internal.tuning.Prewarm;
import io.procpool.internal.process.PlatformLauncher;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.clustering.ClusterWidePool;
import io.procpool.internal.feeds.Feeds;
import io.procpool.internal.admin.History;
import io.procpool.internal.supervision.HeadStart;
import io.procpool.internal.supervision.PoolClient;
import io.procpool.internal.supervision.PoolSupervisor;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.Platform;
import io.procpool.spi.ProcessLauncher;
import io.procpool.spi.ResourceSampler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A running pool of processes: procpool as a library.
 *
 * <pre>{@code
 * Config config = ConfigFactory.parseString("""
 *     procpool.admin.enabled = false
 *     procpool.services.web { command = "python3 -m http.server {port} --bind 127.0.0.1", ports = [8080, 8081] }
 *     """).withFallback(ConfigFactory.load());
 * try (ProcessPool pool = ProcessPool.start(config)) {
 *     PoolStatus status = pool.status().toCompletableFuture().join();
 *     List<String> ready = pool.backends("web").toCompletableFuture().join();
 * }   // close(): every instance is stopped gracefully, and gone when close returns
 * }</pre>
 *
 * <p>The {@code procpool} section of the {@link Config} is the same as in a pool file (see
 * {@code docs/configuration.md}; {@code pool}, its older name, is read when nothing is set under
 * {@code procpool}). The environment is not read here ({@code PoolConfigLoader.parseFile} and
 * the command line read it; {@link io.procpool.config.EnvironmentOverrides} gives it to an
 * application that wants it). An actor system the pool makes gets procpool's Pekko settings
 * (logging through SLF4J, no dead-letter lines); one the application hands in keeps its own. Starting takes the state dir (stopping what a killed earlier run
 * left there), binds the admin API if {@code procpool.admin.enabled}, and starts every enabled
 * service; it blocks until that is done. Everything else is the pool's front door ({@link Pool}):
 * non-blocking, answered with a {@link CompletionStage}.
 *
 * <p>Thread-safe. Instances are {@link AutoCloseable}: {@link #close()} stops every instance
 * (signal, deadline, SIGKILL, whole process tree) and returns once they are gone.
 *
 * <p>About 400 lines: the whole public surface of the library (the builder's options, the front
 * door's methods, the pool's own life), each with its contract; the steps of a start are in
 * {@link Startup}, the work behind each method in the classes it delegates to.
 */
public final class ProcessPool implements Pool, AutoCloseable {

    private static final AtomicLong POOLS = new AtomicLong();

    private final Startup.Runtime runtime;
    private final PoolClient client;
    /**
     * What the status and the operations go through: the client, or on a cluster node the whole
     * cluster's view over it (operations act on every node).
     */
    private final Pool shown;
    /** procpool's own prober, when the builder was given none; closed with the pool. */
    private final ProbeRouter prober;
    private final PlatformLauncher launcher;
    /** The first children's starts, begun before the tree existed; null with a launcher of the application's. */
    private final HeadStart early;
    private final Optional<ServerBinding> admin;
    private final Optional<ServerBinding> gateway;
    private final Feeds feeds;
    /** What tells systemd how the pool is doing, when asked for and running under it. */
    private final Optional<Startup.Systemd> systemd;
    private final Duration stopBudget;
    private final CompletableFuture<Done> closed = new CompletableFuture<>();
    /** This pool as a node of its cluster, when {@code cluster.enabled} is on. */
    private final Optional<io.procpool.internal.clustering.ClusterSupport.Node> cluster;
    /** Why the cluster told this node to exit ({@code cluster.on-downed = exit}), once it did. */
    private final CompletableFuture<String> clusterExit;
    /** Set by the first close; later ones wait for the same outcome. */
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    private ProcessPool(Startup.Runtime runtime, PoolClient client, Pool shown, ProbeRouter prober, PlatformLauncher launcher,
                        HeadStart early, Optional<ServerBinding> admin, Optional<ServerBinding> gateway, Feeds feeds, PoolSettings settings,
                        Optional<Startup.Systemd> systemd, Optional<io.procpool.internal.clustering.ClusterSupport.Node> cluster,
                        CompletableFuture<String> clusterExit) {
        this.runtime = runtime;
        this.cluster = cluster;
        this.clusterExit = clusterExit;
        this.client = client;
        this.shown = shown;
        this.prober = prober;
        this.launcher = launcher;
        this.early = early;
        this.admin = admin;
        this.gateway = gateway;
        this.feeds = feeds;
        this.systemd = systemd;
        this.stopBudget = PoolSupervisor.stopBudget(settings);
        clusterExit.thenRun(this::closeAsync);
    }

    /**
     * Starts a pool in an actor system of its own.
     *
     * @param config a configuration with a {@code procpool} section (procpool's defaults are added)
     * @throws InvalidConfigException when the configuration is invalid; nothing is started
     * @throws IOException when the state dir is in use or not writable, or the admin API cannot
     *     be bound; nothing is started
     */
    public static ProcessPool start(Config config) throws InvalidConfigException, IOException {
        return builder(config).start();
    }

    /**
     * Starts a pool inside an actor system the application already has: the supervision tree is
     * spawned as a system actor there, and the system's coordinated shutdown stops the instances
     * gracefully too. {@link #close()} stops the pool but not the system.
     *
     * @throws InvalidConfigException when the configuration is invalid; nothing is started
     * @throws IOException when the state dir is in use or not writable, or the admin API cannot
     *     be bound; nothing is started
     */
    public static ProcessPool start(ActorSystem<?> system, Config config) throws InvalidConfigException, IOException {
        return builder(config).actorSystem(system).start();
    }

    /**
     * For procpool's command line, which calls it first thing: begins, on a thread of its own,
     * the first-time setup a later {@link Builder#start} does and that needs no configuration:
     * {@code logging} (the logging backend's start), then Typesafe Config's reference files, the
     * native calls, the state file's JSON and the default TLS context (docs/architecture.md, "A
     * cold start on two threads"). {@code start} waits for the parts it uses if they are still
     * running, or does them itself if they have not begun; nothing runs twice. The caller must
     * keep its other threads from logging and from Typesafe Config until it has waited for those
     * two parts (the command line does, in {@code RunCommand}): an application that embeds
     * procpool cannot promise that about its own code, so this is not part of the embedding API.
     * A second call does nothing.
     */
    public static void prewarm(Runnable logging) {
        Startup.prewarm(logging);
    }

    /** A builder, for the less common options (base dir, an existing actor system, custom seams). */
    public static Builder builder(Config config) {
        return new Builder(config);
    }

    /** Options of {@link ProcessPool#builder}. */
    public static final class Builder {
        private final Config config;
        private String source = "the application's configuration";
        private Path baseDir = Path.of("").toAbsolutePath();
        private ActorSystem<?> system;
        private ProcessLauncher launcher;
        private Function<Boolean, Platform> platform;
        private boolean subreaper;
        private Function<ActorSystem<?>, HealthProbe> probe;
        private ResourceSampler resources;
        private LongSupplier clock = System::nanoTime;
        private boolean notifySystemd;

        private Builder(Config config) {
            this.config = config;
        }

        /** How to name the configuration in error messages (a file name). */
        public Builder source(String source) {
            this.source = source;
            return this;
        }

        /** What relative {@code working-dir} and {@code state-dir} resolve against (default: the current directory). */
        public Builder baseDir(Path baseDir) {
            this.baseDir = baseDir.toAbsolutePath();
            return this;
        }

        /** Run inside this actor system instead of one of the pool's own. */
        public Builder actorSystem(ActorSystem<?> system) {
            this.system = system;
            return this;
        }

        /**
         * Run real processes on this platform instead of Linux's: another operating system, or a
         * container with other rules. It gets the state dir, orphan reaping and log rotation like
         * procpool's own; the function is told whether children should die with the manager
         * ({@code procpool.children-die-with-manager}).
         */
        public Builder platform(Function<Boolean, Platform> platform) {
            this.platform = platform;
            return this;
        }

        /**
         * Make this JVM a child subreaper ({@code PR_SET_CHILD_SUBREAPER}) on Linux's platform: a
         * service's orphaned descendants then come to procpool instead of to init, are reaped by it,
         * and are stopped with their instance. {@code procpool run} does this; off by default when
         * embedded, because the orphans of your application's own child processes would come to
         * this JVM too, and procpool reaps only its services' (those outside the JVM's session):
         * the others would stay zombies. No effect with {@link #platform}.
         */
        public Builder subreaper(boolean subreaper) {
            this.subreaper = subreaper;
            return this;
        }

        /**
         * Start processes with this launcher instead of the platform's (simulations). The state
         * dir is then not taken: a simulated pool leaves nothing on disk.
         */
        public Builder launcher(ProcessLauncher launcher) {
            this.launcher = launcher;
            return this;
        }

        /**
         * Probe instances with this instead of procpool's own prober (simulations; or
         * {@code PekkoHealthProbe::new} for Pekko HTTP's client). A prober given here is not closed
         * by the pool.
         */
        public Builder healthProbe(Function<ActorSystem<?>, HealthProbe> probe) {
            this.probe = probe;
            return this;
        }

        /** Sample instances' CPU and memory with this instead of {@code /proc} (simulations). */
        public Builder resources(ResourceSampler resources) {
            this.resources = resources;
            return this;
        }

        /** Measure uptimes with this monotonic clock in nanoseconds instead of {@code System::nanoTime} (simulations). */
        public Builder clock(LongSupplier clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Report to systemd, when procpool is the main process of a {@code Type=notify} unit
         * ({@code NOTIFY_SOCKET} is set; without it this does nothing): {@code READY=1} once every
         * enabled service has min-processes instances ready, or after {@code pool.startup-timeout};
         * {@code STATUS=} lines with the counts; {@code RELOADING=1} and {@code READY=1} around every
         * reload; {@code STOPPING=1} when the pool closes; and {@code WATCHDOG=1} while the pool's
         * actors answer, when {@code WATCHDOG_USEC} asks for it. The command line's {@code run} does
         * this; an application that embeds procpool asks for it only if the unit is its own.
         */
        public Builder notifySystemd() {
            this.notifySystemd = true;
            return this;
        }

        /**
         * Validates the configuration, takes the state dir, tries the admin API's and the gateway's
         * ports, starts every enabled service and binds those servers (if enabled) once its pools
         * have launched their first starts (at most 2 s later). Blocks until that is done.
         *
         * @throws InvalidConfigException when the configuration is invalid; nothing is started
         * @throws IOException when the state dir or the admin port cannot be had; nothing is started
         */
        public ProcessPool start() throws InvalidConfigException, IOException {
            PoolSettings settings = PoolConfigLoader.fromConfig(config, source, baseDir);
            Function<Boolean, Platform> opener = platform != null ? platform : die -> {
                Prewarm.before(Prewarm.Part.NATIVE);
                return LinuxPlatform.open(die, subreaper);
            };
            PlatformLauncher os = launcher == null ? Startup.takeStateDir(settings, opener.apply(settings.childrenDieWithManager())) : null;
            HeadStart early = null;
            ProbeRouter prober = null;
            Startup.Runtime runtime = null;
            Optional<History> history = Optional.empty();
            try {
                // A port already taken is found before anything starts; one taken in between stops the pool.
                Startup.claimable(settings);
                // The first children start now, while the actor system starts (HeadStart says why).
                early = os != null ? HeadStart.begin(settings, os) : null;
                prober = probe == null ? new ProbeRouter() : null;
                PoolMetrics metrics = new PoolMetrics(clock, os != null ? os.platform()::usage : groups -> java.util.Map.of());
                var traffic = Startup.traffic(settings);
                Optional<ClusterView> view = Startup.clusterView(settings, clock);
                runtime = Startup.startTree(system, config, settings, Startup.environment(settings, early != null ? early : launcher, os, probe, prober,
                        resources, clock, metrics, Startup.door(traffic, view)));
                PoolClient client = new PoolClient(runtime.system(), runtime.root(), settings, baseDir, PoolClient.Timeouts.DEFAULT);
                // The admin API and the feeds answer for the whole cluster on a cluster node; the
                // gateway, the cluster's agent and systemd's readiness act on this node's own.
                Pool shown = view.<Pool>map(v -> new ClusterWidePool(client, v)).orElse(client);
                // The children start before the admin API and the gateway bind: their first bind
                // loads and starts Pekko HTTP, 0.4 s of a cold start here, which the children need
                // not wait for (docs/benchmarks.md, "Where a cold start goes"). It waits until the
                // pools have launched their first starts: beside those launches it took the cores
                // from them (bench/analysis.md, "Eleventh pass"). The dashboard's history hears the
                // pool from before the start, so the start's events are in it all the same.
                history = Startup.history(settings, shown);
                runtime.root().tell(PoolSupervisor.Start.INSTANCE);
                if (early != null) {
                    Startup.awaitFirstStarts(early.firstStartsLaunched());
                }
                Optional<ServerBinding> admin = Startup.bindAdmin(runtime, settings, shown, metrics, traffic, history);
                Optional<ServerBinding> gateway;
                try {
                    gateway = Startup.bindGateway(runtime, settings, client, traffic, metrics);
                } catch (IOException e) {
                    admin.ifPresent(ServerBinding::unbind);
                    throw e;
                }
                Feeds feeds = Startup.startFeeds(runtime, shown);
                view.ifPresent(v -> traffic.ifPresent(t -> Startup.gatewayAcrossTheCluster(t, v)));
                view.ifPresent(v -> metrics.followCluster(v::merge));
                // The feeds list every node's ready instances: another node's report may change them.
                view.ifPresent(v -> v.listen(reports -> feeds.changed()));
                if (os != null) {
                    Startup.warmUp(runtime.system(), os);
                }
                Optional<Startup.Systemd> systemd = notifySystemd ? Startup.notifySystemd(runtime, client, settings) : Optional.empty();
                CompletableFuture<String> clusterExit = new CompletableFuture<>();
                Optional<io.procpool.internal.clustering.ClusterSupport.Node> cluster = settings.cluster().enabled()
                        ? Optional.of(io.procpool.internal.clustering.ClusterSupport.load().join(settings, client, view.get(), clusterExit::complete))
                        : Optional.empty();
                return new ProcessPool(runtime, client, shown, prober, os, early, admin, gateway, feeds, settings, systemd, cluster,
                        clusterExit);
            } catch (IOException | RuntimeException e) {
                history.ifPresent(History::close);
                if (runtime != null) {
                    Startup.stopUnstarted(runtime);
                }
                if (early != null) {
                    early.close();
                }
                if (prober != null) {
                    prober.close();
                }
                if (os != null) {
                    os.close();
                }
                throw e;
            }
        }

    }

    // ---- the front door (see Pool) ---------------------------------------------------------------

    @Override
    public CompletionStage<PoolStatus> status() {
        return shown.status();
    }

    @Override
    public CompletionStage<List<String>> backends(String service) {
        return shown.backends(service);
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines) {
        return client.log(service, port, lines);
    }

    @Override
    public CompletionStage<LogTail> logAfter(String service, int port, long offset) {
        return client.logAfter(service, port, offset);
    }

    @Override
    public CompletionStage<OpResult> signal(String service, io.procpool.config.Signal signal) {
        return client.signal(service, signal);
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines, boolean stderr) {
        return client.log(service, port, lines, stderr);
    }

    @Override
    public CompletionStage<OpResult> scale(String service, int instances) {
        return shown.scale(service, instances);
    }

    @Override
    public CompletionStage<OpResult> restart(String service) {
        return shown.restart(service);
    }

    @Override
    public void probeNow(String service, int port) {
        client.probeNow(service, port);
    }

    @Override
    public CompletionStage<OpResult> beginRestart(String service) {
        return shown.beginRestart(service);
    }

    @Override
    public CompletionStage<OpResult> stopService(String service) {
        return shown.stopService(service);
    }

    @Override
    public CompletionStage<OpResult> startService(String service) {
        return shown.startService(service);
    }

    /**
     * Reads this pool's file again. On a cluster node, this node's file only: SIGHUP and a watched
     * file reload each node on its own; the admin API's {@code POST /reload} reloads every node.
     */
    @Override
    public CompletionStage<OpResult> reload() {
        return client.reload();
    }

    @Override
    public CompletionStage<OpResult> reload(Config config) {
        return client.reload(config);
    }

    /**
     * Where {@link #reload()} (and {@code POST /reload}, SIGHUP, the config watcher) read the
     * configuration from. The command line sets it to the pool file.
     */
    public void reloadFrom(Path file) {
        client.reloadFrom(file);
    }

    /** The settings the pool runs with now (those of the latest successful reload). */
    @Override
    public PoolSettings settings() {
        return client.settings();
    }

    @Override
    public Subscription subscribe(Consumer<PoolEvent> listener) {
        io.procpool.api.Subscription s = client.subscribe(listener);
        return s::close;
    }

    @Override
    public Source<PoolEvent, NotUsed> events() {
        return client.events();
    }

    @Override
    public Source<Event, NotUsed> allEvents() {
        return client.allEvents();
    }

    @Override
    public Subscription subscribeAll(Consumer<Event> listener) {
        io.procpool.api.Subscription s = client.subscribeAll(listener);
        return s::close;
    }

    @Override
    public Duration longestAnswer() {
        return shown.longestAnswer();
    }

    /** A subscription made with {@link #subscribe}. */
    public interface Subscription extends io.procpool.api.Subscription {
    }

    // ---- the pool's own life ------------------------------------------------------------------------

    /** Where the gateway listens, when it is enabled. */
    public Optional<InetSocketAddress> gatewayAddress() {
        return gateway.map(ServerBinding::localAddress);
    }

    /** Where the admin API listens, when it is enabled. */
    public Optional<InetSocketAddress> adminAddress() {
        return admin.map(ServerBinding::localAddress);
    }

    /** The actor system the pool runs in. */
    public ActorSystem<?> actorSystem() {
        return runtime.system();
    }

    /**
     * SIGKILLs every instance's process group at once, without a graceful stop (the second
     * Ctrl-C of the command line). The supervision tree then sees them exit; {@link #close()}
     * still has to be called.
     */
    public void killAll() {
        if (launcher != null) {
            launcher.killAll();
        }
    }

    /** The coordinated-shutdown reason of {@link #close()}. */
    private enum PoolClosed implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    /**
     * Stops every instance gracefully; completes once all are gone and the pool is closed. Safe
     * to call from several threads: the first call closes, the others wait for the same outcome.
     */
    public CompletionStage<Done> closeAsync() {
        if (!closing.compareAndSet(false, true)) {
            return closed;
        }
        systemd.ifPresent(s -> s.notifier().tell(io.procpool.internal.systemd.SystemdNotifier.Stopping.INSTANCE));
        // A cluster node leaves first, so that the cluster places its instances on the other nodes
        // while they stop here (blocking: on a thread of its own).
        CompletableFuture<Void> left = cluster.map(n -> CompletableFuture.runAsync(n::close,
                work -> new Thread(work, "procpool-cluster-leave").start())).orElseGet(() -> CompletableFuture.completedFuture(null));
        CompletionStage<Done> stopped = left.handle((x, e) -> x).thenCompose(x -> stopTree());
        // Closing the launcher blocks (the state file's last write, the native threads' ends, and
        // the stop of any descendant that left its group, up to the longest stop.timeout): never on
        // the thread that completed the stop, which in an embedding application is one of its own
        // actor system's dispatcher threads. Not a daemon: the JVM waits for the close to finish.
        stopped.whenCompleteAsync((d, e) -> {
            feeds.close();
            systemd.ifPresent(s -> s.close(runtime));
            if (prober != null) {
                prober.close();
            }
            if (early != null) {
                early.close();
            }
            if (launcher != null) {
                launcher.close();
            }
            if (e != null) {
                closed.completeExceptionally(e);
            } else {
                closed.complete(Done.getInstance());
            }
        }, work -> new Thread(work, "procpool-close").start());
        return closed;
    }

    /** The graceful stop of the supervision tree (and the system, when the pool owns it). */
    private CompletionStage<Done> stopTree() {
        if (runtime.owned()) {
            ActorSystem<?> system = runtime.system();
            return CoordinatedShutdown.get(system).runAll(PoolClosed.INSTANCE)
                    .thenCompose(d -> system.getWhenTerminated()).thenApply(t -> Done.getInstance());
        }
        ActorRef<PoolSupervisor.Command> root = runtime.root();
        // The gateway first: no new connection, and the requests in flight finish before the instances stop.
        CompletionStage<Done> doorsClosed = gateway.map(b -> b.terminate(client.settings().shutdownDrain()).thenApply(t -> Done.getInstance()))
                .orElse(CompletableFuture.completedFuture(Done.getInstance()));
        return doorsClosed.thenCompose(x -> AskPattern.<PoolSupervisor.Command, Done>ask(root, PoolSupervisor.StopAll::new, stopBudget,
                        runtime.system().scheduler()))
                .thenCompose(d -> admin.map(b -> b.unbind().thenApply(x -> d)).orElse(CompletableFuture.completedFuture(d)))
                .thenApply(d -> {
                    root.tell(PoolSupervisor.Terminate.INSTANCE);
                    return d;
                });
    }

    /** Why the cluster told this node to exit ({@code cluster.on-downed = exit}), once it did; the pool then closes itself. */
    public Optional<String> clusterExit() {
        return Optional.ofNullable(clusterExit.getNow(null));
    }

    /** Stops every instance gracefully and returns once they are all gone. */
    @Override
    public void close() {
        closeAsync().toCompletableFuture().join();
    }

    /** True when every process started by this pool is gone (after {@link #close()}). */
    public boolean allProcessesGone() {
        return launcher == null || launcher.liveChildren() == 0;
    }
}
