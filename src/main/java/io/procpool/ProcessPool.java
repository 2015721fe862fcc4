package io.procpool;

import io.procpool.api.OpResult;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.internal.admin.AdminRoutes;
import io.procpool.internal.admin.AdminServer;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.spi.HealthProbe;
import io.procpool.internal.health.NioHealthProbe;
import io.procpool.internal.metrics.PoolMetrics;
import io.procpool.internal.process.OsProcessLauncher;
import io.procpool.spi.ProcessLauncher;
import io.procpool.spi.ResourceSampler;
import io.procpool.internal.supervision.DeadlineScheduler;
import io.procpool.internal.supervision.PoolActor;
import io.procpool.internal.supervision.PoolEnvironment;
import io.procpool.internal.supervision.PoolSupervisor;
import io.procpool.internal.supervision.RestartWarmup;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A running pool of processes: procpool as a library.
 *
 * <pre>{@code
 * Config config = ConfigFactory.parseString("""
 *     pool.admin.enabled = false
 *     pool.services.web { command = "python3 -m http.server {port} --bind 127.0.0.1", ports = [8080, 8081] }
 *     """).withFallback(ConfigFactory.load());
 * try (ProcessPool pool = ProcessPool.start(config)) {
 *     PoolStatus status = pool.status().toCompletableFuture().join();
 *     List<String> ready = pool.backends("web").toCompletableFuture().join();
 * }   // close(): every instance is stopped gracefully, and gone when close returns
 * }</pre>
 *
 * <p>The {@code pool} section of the {@link Config} is the same as in a pool file (see
 * {@code docs/configuration.md}), so an application can keep procpool's settings in its own
 * {@code application.conf}. Starting takes the state dir (stopping what a killed earlier run left
 * there), binds the admin API if {@code pool.admin.enabled}, and starts every enabled service; it
 * blocks until that is done. Everything else is non-blocking and answers with a
 * {@link CompletionStage}.
 *
 * <p>Thread-safe. Instances are {@link AutoCloseable}: {@link #close()} stops every instance
 * (signal, deadline, SIGKILL, whole process tree) and returns once they are gone.
 */
public final class ProcessPool implements AutoCloseable {

    private static final Duration ASK = Duration.ofSeconds(10);
    private static final AtomicLong POOLS = new AtomicLong();

    private final ActorSystem<?> system;
    private final boolean ownsSystem;
    private final ActorRef<PoolSupervisor.Command> root;
    private final OsProcessLauncher launcher;
    /** procpool's own prober, when the builder was given none; closed with the pool. */
    private final NioHealthProbe prober;
    private final Optional<ServerBinding> admin;
    private final Duration stopBudget;
    private volatile PoolSettings settings;
    /** What relative paths of the configuration resolve against, at the start and at every reload. */
    private final Path baseDir;
    private final CompletableFuture<Done> closed = new CompletableFuture<>();

    private ProcessPool(ActorSystem<?> system, boolean ownsSystem, ActorRef<PoolSupervisor.Command> root,
                        OsProcessLauncher launcher, NioHealthProbe prober, Optional<ServerBinding> admin,
                        PoolSettings settings, Path baseDir) {
        this.system = system;
        this.baseDir = baseDir;
        this.ownsSystem = ownsSystem;
        this.root = root;
        this.launcher = launcher;
        this.prober = prober;
        this.admin = admin;
        this.settings = settings;
        this.stopBudget = PoolSupervisor.stopBudget(settings);
    }

    /**
     * Starts a pool in an actor system of its own.
     *
     * @param config a configuration with a {@code pool} section (procpool's defaults are added)
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
        private Function<ActorSystem<?>, HealthProbe> probe;
        private ResourceSampler resources;
        private java.util.function.LongSupplier clock = System::nanoTime;

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
         * Start processes with this launcher instead of the operating system's (simulations). The
         * state dir is then not taken: a simulated pool leaves nothing on disk.
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
        public Builder clock(java.util.function.LongSupplier clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Validates the configuration, takes the state dir, binds the admin API (if enabled) and
         * starts every enabled service. Blocks until that is done.
         *
         * @throws InvalidConfigException when the configuration is invalid; nothing is started
         * @throws IOException when the state dir or the admin port cannot be had; nothing is started
         */
        public ProcessPool start() throws InvalidConfigException, IOException {
            PoolSettings settings = PoolConfigLoader.fromConfig(config, source, baseDir);
            OsProcessLauncher os = null;
            if (launcher == null) {
                try {
                    os = OsProcessLauncher.open(settings.stateDir(), settings.longestStop(), PoolSupervisor.stopBudget(settings),
                            settings.childrenDieWithManager());
                } catch (OsProcessLauncher.StateDirLockedException e) {
                    throw e;
                } catch (IOException e) {
                    String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                            : e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT)
                            + (e.getMessage() == null ? "" : ": " + e.getMessage());
                    throw new IOException("cannot use the state dir " + settings.stateDir() + " (pool.state-dir in "
                            + settings.source() + "): " + why, e);
                }
            }
            NioHealthProbe prober = null;
            try {
                prober = probe == null ? new NioHealthProbe() : null;
                return launch(settings, os, prober);
            } catch (IOException | RuntimeException e) {
                if (prober != null) {
                    prober.close();
                }
                if (os != null) {
                    os.close();
                }
                throw e;
            }
        }

        private ProcessPool launch(PoolSettings settings, OsProcessLauncher os, NioHealthProbe prober) throws IOException {
            PoolMetrics metrics = new PoolMetrics(clock);
            ProcessLauncher processes = launcher != null ? launcher : os;
            Function<ActorSystem<?>, PoolEnvironment> env = sys -> new PoolEnvironment(processes,
                    probe != null ? probe.apply(sys) : prober, settings.logDir(), metrics,
                    resources != null ? resources
                            : ResourceSampler.proc(sys.dispatchers().lookup(DispatcherSelector.fromConfig("procpool.blocking-dispatcher"))),
                    clock);
            ActorSystem<?> sys;
            ActorRef<PoolSupervisor.Command> root;
            boolean owns = system == null;
            if (owns) {
                // The system is procpool's own: it gets the scheduler that sleeps until a timer is due.
                Config systemConfig = ConfigFactory.parseString("pekko.coordinated-shutdown.phases.service-stop.timeout = "
                        + PoolSupervisor.stopBudget(settings).toMillis() + "ms\n"
                        + "pekko.scheduler.implementation = \"" + DeadlineScheduler.class.getName() + "\"\n"
                        + SYSTEM_TUNING)
                        .withFallback(config)
                        .withFallback(ConfigFactory.defaultReference(ProcessPool.class.getClassLoader()));
                ActorSystem<PoolSupervisor.Command> own = ActorSystem.create(
                        Behaviors.setup(ctx -> PoolSupervisor.create(settings, env.apply(ctx.getSystem()))), "procpool", systemConfig);
                sys = own;
                root = own;
            } else {
                sys = system;
                Behavior<PoolSupervisor.Command> behavior = PoolSupervisor.create(settings, env.apply(system));
                root = system.systemActorOf(behavior, "procpool-" + POOLS.incrementAndGet(), Props.empty());
            }
            ProcessPool[] self = new ProcessPool[1];
            Optional<ServerBinding> binding = Optional.empty();
            if (settings.admin().enabled()) {
                try {
                    AdminRoutes.Reloader reloader = () -> self[0] == null ? CompletableFuture.completedFuture(
                            OpResult.conflict("starting")) : self[0].reloadFromSource();
                    binding = Optional.of(AdminServer.bind(sys, settings.admin(), root, metrics, reloader)
                            .toCompletableFuture().get(10, TimeUnit.SECONDS));
                } catch (ExecutionException | TimeoutException | InterruptedException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    stopUnstarted(sys, owns, root);
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    BindException b = new BindException("cannot bind the admin API on " + settings.admin().host() + ":"
                            + settings.admin().port() + " (pool.admin in " + settings.source() + "): " + cause.getMessage());
                    b.initCause(cause);
                    throw b;
                }
            }
            ProcessPool pool = new ProcessPool(sys, owns, root, os, prober, binding, settings, baseDir);
            self[0] = pool;
            root.tell(PoolSupervisor.Start.INSTANCE);
            if (launcher == null) {
                // Real processes: compile the restart path before the first crash (see RestartWarmup).
                sys.systemActorOf(RestartWarmup.create(), "procpool-warmup-" + POOLS.incrementAndGet(),
                        DispatcherSelector.fromConfig("procpool.instance-dispatcher"));
            }
            return pool;
        }

        private static void stopUnstarted(ActorSystem<?> sys, boolean owns, ActorRef<PoolSupervisor.Command> root) {
            if (owns) {
                sys.terminate();
                sys.getWhenTerminated().toCompletableFuture().join();
            } else {
                root.tell(PoolSupervisor.Terminate.INSTANCE);
            }
        }
    }

    /** Re-reading is for pools started from a file; others reload with {@link #reload(Config)}. */
    private CompletionStage<OpResult> reloadFromSource() {
        return reloader == null ? CompletableFuture.completedFuture(OpResult.conflict(
                "this pool was not started from a configuration file; reload it with a new Config")) : reloader.reload();
    }

    private volatile AdminRoutes.Reloader reloader;

    /**
     * Where {@code POST /reload} (and {@link #reloadFromFile()}) read the configuration from.
     * The command line sets it to the pool file.
     */
    public void reloadFrom(Path file) {
        this.reloader = () -> {
            try {
                return reload(PoolConfigLoader.parseFile(file));
            } catch (InvalidConfigException e) {
                return CompletableFuture.completedFuture(invalid(file.toString(), e));
            }
        };
    }

    /** Re-reads the file given to {@link #reloadFrom(Path)} and applies it. */
    public CompletionStage<OpResult> reloadFromFile() {
        return reloadFromSource();
    }

    /** Every service and its instances, now. */
    public CompletionStage<PoolStatus> status() {
        return AskPattern.ask(root, PoolSupervisor.GetStatus::new, ASK, system.scheduler());
    }

    /**
     * The instances of {@code service} ready for traffic, as {@code "127.0.0.1:PORT"}; fails with
     * {@link IllegalArgumentException} for an unknown service.
     */
    public CompletionStage<List<String>> backends(String service) {
        return status().thenApply(s -> s.services().stream().filter(x -> x.name().equals(service)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service '" + service + "'"))
                .ready().stream().map(i -> "127.0.0.1:" + i.port()).toList());
    }

    /** Runs {@code instances} instances of {@code service} (within its min and max). */
    public CompletionStage<OpResult> scale(String service, int instances) {
        return operate(service, r -> new PoolActor.Scale(instances, r));
    }

    /** Rolling restart of {@code service}; completes when the roll is over (or has failed). */
    public CompletionStage<OpResult> restart(String service) {
        return operate(service, PoolActor.Restart::new);
    }

    /** Stops every instance of {@code service} (it stays stopped); completes when they are gone. */
    public CompletionStage<OpResult> stopService(String service) {
        return operate(service, PoolActor.StopService::new);
    }

    /** Starts a stopped {@code service} again. */
    public CompletionStage<OpResult> startService(String service) {
        return operate(service, PoolActor.StartService::new);
    }

    /** The settings the pool runs with now (those of the latest successful reload). */
    public PoolSettings settings() {
        return settings;
    }

    /**
     * Applies a new configuration, touching only what changed (see {@code docs/configuration.md},
     * "Reloading"). An invalid one changes nothing: the answer is {@link OpResult.Outcome#INVALID}
     * with every error in {@link OpResult#details()}.
     */
    public CompletionStage<OpResult> reload(Config config) {
        PoolSettings next;
        try {
            next = PoolConfigLoader.fromConfig(config, settings.source(), baseDir);
        } catch (InvalidConfigException e) {
            return CompletableFuture.completedFuture(invalid(settings.source(), e));
        }
        return AskPattern.<PoolSupervisor.Command, OpResult>ask(root, r -> new PoolSupervisor.Reload(next, r), ASK,
                system.scheduler()).thenApply(r -> {
                    if (r.ok()) {
                        settings = next;
                    }
                    return r;
                });
    }

    private static OpResult invalid(String source, InvalidConfigException e) {
        return new OpResult(OpResult.Outcome.INVALID, "invalid configuration in " + source + "; nothing changed",
                e.errors().stream().map(io.procpool.config.ConfigError::render).toList());
    }

    private CompletionStage<OpResult> operate(String service, Function<ActorRef<OpResult>, PoolActor.Operation> op) {
        return AskPattern.ask(root, r -> new PoolSupervisor.ForService(service, op.apply(r)), Duration.ofMinutes(10),
                system.scheduler());
    }

    /**
     * Calls {@code listener} with every instance transition of this pool, in order, until the
     * subscription is closed. The listener runs on an actor's thread: it must not block.
     */
    public Subscription subscribe(Consumer<PoolEvent> listener) {
        return PoolEvents.subscribe(system, this::ownService, listener);
    }

    /** Every instance transition of this pool from now on, as a Pekko Streams source. */
    public Source<PoolEvent, NotUsed> events() {
        return PoolEvents.source(system, this::ownService);
    }

    private boolean ownService(String name) {
        return settings.services().containsKey(name);
    }

    /** A subscription made with {@link #subscribe}. */
    public interface Subscription extends AutoCloseable {
        /** Stops the deliveries. */
        @Override
        void close();
    }

    /** Where the admin API listens, when it is enabled. */
    public Optional<InetSocketAddress> adminAddress() {
        return admin.map(ServerBinding::localAddress);
    }

    /** The actor system the pool runs in. */
    public ActorSystem<?> actorSystem() {
        return system;
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

    /**
     * The dispatcher of procpool's own actor system: one thread. procpool's actors never block
     * (process starts, file I/O and probes have threads of their own) and do little work per
     * message, so one thread keeps up with thousands of instances; what more threads cost is
     * wake-ups. With Pekko's default of at least 8 fork-join workers, most of the CPU of probing
     * 500 instances every second was futex calls (a worker woken for one message, parked again),
     * and 2 workers still cost half again as much as one (docs/benchmarks.md).
     */
    private static final String SYSTEM_TUNING = """
            pekko.actor.default-dispatcher.fork-join-executor {
              parallelism-min = 1
              parallelism-factor = 1.0
              parallelism-max = 1
            }
            """;

    /** The coordinated-shutdown reason of {@link #close()}. */
    private enum PoolClosed implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    /** Stops every instance gracefully; completes once all are gone and the pool is closed. */
    public CompletionStage<Done> closeAsync() {
        if (closed.isDone()) {
            return closed;
        }
        CompletionStage<Done> stopped;
        if (ownsSystem) {
            stopped = CoordinatedShutdown.get(system).runAll(PoolClosed.INSTANCE)
                    .thenCompose(d -> system.getWhenTerminated()).thenApply(t -> Done.getInstance());
        } else {
            stopped = AskPattern.<PoolSupervisor.Command, Done>ask(root, PoolSupervisor.StopAll::new, stopBudget, system.scheduler())
                    .thenCompose(d -> admin.map(b -> b.unbind().thenApply(x -> d)).orElse(CompletableFuture.completedFuture(d)))
                    .thenApply(d -> {
                        root.tell(PoolSupervisor.Terminate.INSTANCE);
                        return d;
                    });
        }
        // Closing the launcher blocks (the state file's last write, the native threads' ends, and
        // the stop of any descendant that left its group, up to the longest stop.timeout): never on
        // the thread that completed the stop, which in an embedding application is one of its own
        // actor system's dispatcher threads. Not a daemon: the JVM waits for the close to finish.
        stopped.whenCompleteAsync((d, e) -> {
            if (prober != null) {
                prober.close();
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
