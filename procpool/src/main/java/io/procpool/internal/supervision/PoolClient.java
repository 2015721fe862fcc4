package io.procpool.internal.supervision;

import io.procpool.internal.Dispatchers;
import com.typesafe.config.Config;
import io.procpool.api.Event;
import io.procpool.api.InstanceStatus;
import io.procpool.api.LogTail;
import io.procpool.api.NotFoundException;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.Subscription;
import io.procpool.api.UnavailableException;
import io.procpool.config.ConfigError;
import io.procpool.config.Durations;
import io.procpool.config.InvalidConfigException;
import io.procpool.config.PoolConfigLoader;
import io.procpool.config.PoolSettings;
import io.procpool.internal.process.LogFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The one front door into a running pool: every question and operation any door asks (the
 * embedding API, the admin API, the gateway, the dashboard) goes through here to the root of the
 * supervision tree, with its timeout and the mapping of its failures written once.
 *
 * <p>Operations never fail: a timeout is an {@link OpResult.Outcome#UNAVAILABLE} answer that says
 * the operation goes on. Queries fail with {@link NotFoundException} or {@link UnavailableException}.
 * Thread-safe.
 */
public final class PoolClient implements Pool {

    /**
     * How long each kind of answer may take.
     *
     * @param query a question (the status): the root answers from what it holds, at once
     * @param operation an operation that waits for its outcome (a rolling restart, a stop); the
     *     pool's own deadlines end it sooner
     * @param begin an operation answered as soon as it has begun
     */
    public record Timeouts(Duration query, Duration operation, Duration begin) {
        /** 10 s for questions, 10 minutes for an operation's outcome. */
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofSeconds(10));
    }

    /** The most lines of a log a tail reads; 4 MiB of the file's end at most. */
    private static final long TAIL_BYTES = 4L << 20;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PoolClient.class);

    private final ActorSystem<?> system;
    private final ActorRef<PoolSupervisor.Command> root;
    private final Path baseDir;
    private final Timeouts timeouts;
    private final Executor blocking;
    /** Where the answers of the tree are passed on (see {@link #asked}). */
    private final Executor answers;
    private volatile PoolSettings settings;
    /** The file {@link #reload()} reads, when the pool was started from one. */
    private volatile Path source;
    private volatile ReloadListener reloads;

    /**
     * @param root the supervision tree's root
     * @param settings the settings the pool was started with
     * @param baseDir what relative paths of a reloaded configuration resolve against
     */
    public PoolClient(ActorSystem<?> system, ActorRef<PoolSupervisor.Command> root, PoolSettings settings, Path baseDir,
                      Timeouts timeouts) {
        this.system = system;
        this.root = root;
        this.settings = settings;
        this.bound = settings.admin();
        this.baseDir = baseDir;
        this.timeouts = timeouts;
        this.blocking = system.dispatchers().lookup(Dispatchers.blocking());
        this.answers = system.dispatchers().lookup(Dispatchers.streams());
    }

    /**
     * The answer to {@code ask}, as a plain future completed on the streams' dispatcher (where the
     * admin API and the event streams run), not as Pekko's (see {@link io.procpool.internal.Stages}),
     * and not on the replying actor's thread either: what the callers chain (the status's JSON,
     * for 5,000 instances too) must not hold an actor.
     */
    private <T> CompletionStage<T> asked(CompletionStage<T> ask) {
        return io.procpool.internal.Stages.on(ask, answers);
    }

    /**
     * The admin API as it was bound at the start: a reload changes its token at once but its
     * address only at the next start, so the address a reload's token must fit is this one.
     */
    private final io.procpool.config.AdminSettings bound;

    /** The settings the pool runs with now (those of the latest successful reload). */
    @Override
    public PoolSettings settings() {
        return settings;
    }

    /** Where {@link #reload()} reads the configuration from. */
    public void reloadFrom(Path file) {
        this.source = file;
    }

    @Override
    public CompletionStage<PoolStatus> status() {
        return asked(AskPattern.<PoolSupervisor.Command, PoolStatus>ask(root, PoolSupervisor.GetStatus::new, timeouts.query(),
                system.scheduler())).exceptionally(e -> {
                    throw unavailable(e, "the pool did not answer within " + Durations.format(timeouts.query()));
                });
    }

    @Override
    public CompletionStage<List<String>> backends(String service) {
        return service(service).thenApply(s -> s.ready().stream().map(InstanceStatus::address).toList());
    }

    @Override
    public void probeNow(String service, int port) {
        root.tell(new PoolSupervisor.ProbeNow(service, port));
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines) {
        return log(service, port, lines, false);
    }

    /**
     * The cluster's door (not part of {@link Pool}): run {@code count} instances of {@code service}
     * on this node, its share of the cluster-wide count.
     */
    public void place(String service, int count, String reason) {
        root.tell(new PoolSupervisor.Place(service, count, reason));
    }

    /** The cluster's door: this node was downed; every instance is killed at once, none runs until placed again. */
    public void killAll(String reason) {
        root.tell(new PoolSupervisor.KillAll(reason));
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines, boolean stderr) {
        return readLog(service, port, stderr, file -> LogFiles.readTail(file, lines, TAIL_BYTES));
    }

    @Override
    public CompletionStage<LogTail> logAfter(String service, int port, long offset) {
        return readLog(service, port, false, file -> LogFiles.readAfter(file, offset, TAIL_BYTES));
    }

    /** What the log reading returns; it reads files. */
    private interface LogRead {
        LogFiles.Read read(Path file) throws IOException;
    }

    /**
     * Reads the log (or the separate stderr log) of the instance on {@code port}, off the actors'
     * threads; NOT_FOUND for a port that is not the service's, or a stderr that has no file of its own.
     */
    private CompletionStage<LogTail> readLog(String service, int port, boolean stderr, LogRead how) {
        return service(service).thenCompose(s -> {
            if (!s.settings().ports().contains(port)) {
                throw new NotFoundException("service '" + service + "' has no port " + port + "; ports: " + s.settings().ports());
            }
            if (stderr && !s.settings().log().separateStderr()) {
                throw new NotFoundException("service '" + service + "' writes stderr into its log with stdout (log.stderr = "
                        + "merged): read the log without stream=stderr");
            }
            Path log = s.instances().stream().filter(i -> i.port() == port).findFirst()
                    .map(io.procpool.api.InstanceStatus::logFile)
                    .orElse(LogFiles.of(settings.logDir(), service, port));
            Path file = stderr ? LogFiles.errorLog(log) : log;
            return CompletableFuture.supplyAsync(() -> {
                try {
                    LogFiles.Read r = how.read(file);
                    return new LogTail(service, port, file, r.lines(), r.end());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, blocking);
        });
    }

    /** One service's status; fails with {@link NotFoundException} for a name that is no service. */
    private CompletionStage<ServiceStatus> service(String name) {
        return status().thenApply(all -> all.services().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new NotFoundException("no service '" + name + "'; services: "
                        + String.join(", ", all.services().stream().map(ServiceStatus::name).toList()))));
    }

    @Override
    public CompletionStage<OpResult> scale(String service, int instances) {
        return operate(service, "scale", r -> new PoolActor.Scale(instances, r), timeouts.operation());
    }

    @Override
    public CompletionStage<OpResult> restart(String service) {
        return operate(service, "rolling restart", PoolActor.Restart::new, timeouts.operation());
    }

    @Override
    public CompletionStage<OpResult> beginRestart(String service) {
        return operate(service, "rolling restart", r -> new PoolActor.Restart(r, false), timeouts.begin());
    }

    @Override
    public CompletionStage<OpResult> stopService(String service) {
        return operate(service, "stop", PoolActor.StopService::new, timeouts.operation());
    }

    @Override
    public CompletionStage<OpResult> startService(String service) {
        return operate(service, "start", PoolActor.StartService::new, timeouts.operation());
    }

    @Override
    public CompletionStage<OpResult> signal(String service, io.procpool.config.Signal signal) {
        return operate(service, "signal", r -> new PoolActor.SignalInstances(signal, r), timeouts.begin());
    }

    /** Asks for an operation; no answer in time is an answer that says the operation goes on. */
    private CompletionStage<OpResult> operate(String service, String what, Function<ActorRef<OpResult>, PoolActor.Operation> op,
                                              Duration timeout) {
        return asked(AskPattern.<PoolSupervisor.Command, OpResult>ask(root, r -> new PoolSupervisor.ForService(service, op.apply(r)),
                timeout, system.scheduler())).exceptionally(e -> {
                    if (!(unwrap(e) instanceof TimeoutException)) {
                        throw new CompletionException(unwrap(e));
                    }
                    return OpResult.unavailable(what + " of " + service + " still under way after " + Durations.format(timeout)
                            + "; it goes on (GET /status/" + service + " follows it)");
                });
    }

    /** Told of every reload, whichever door asked for it (the systemd notifier). */
    public interface ReloadListener {
        /** A reload begins (before the file is read). */
        void reloading();

        /** That reload has ended; {@code result} says how. */
        void reloaded(OpResult result);
    }

    /** Tells {@code listener} of every reload from now on (the latest listener replaces an earlier one). */
    public void listenToReloads(ReloadListener listener) {
        this.reloads = listener;
    }

    @Override
    public CompletionStage<OpResult> reload() {
        return told(this::reloadFile);
    }

    @Override
    public CompletionStage<OpResult> reload(Config config) {
        return told(() -> reload(config, settings.source()));
    }

    /** Every reload, whichever door asked for it: the listener told, one that changed nothing logged. */
    private CompletionStage<OpResult> told(java.util.function.Supplier<CompletionStage<OpResult>> reload) {
        ReloadListener listener = reloads;
        if (listener != null) {
            listener.reloading();
        }
        CompletionStage<OpResult> outcome;
        try {
            outcome = reload.get();
        } catch (RuntimeException e) {
            ended(OpResult.failed("reload failed: " + e), listener);
            throw e;
        }
        return outcome.whenComplete((r, e) -> ended(r != null ? r : OpResult.failed("reload failed: " + unwrap(e)), listener));
    }

    /**
     * A reload that changed nothing (an invalid file, a refusal, no answer) is logged here, for
     * every door alike (a signal, the file watch, {@code POST /reload}, an embedding application),
     * so the errors are in procpool's log and the journal whoever asked; an applied reload is
     * logged by the root as it applies it ({@link PoolSupervisor}).
     */
    private static void ended(OpResult result, ReloadListener listener) {
        if (result.outcome() == OpResult.Outcome.INVALID || result.outcome() == OpResult.Outcome.FAILED) {
            log(org.slf4j.event.Level.ERROR, result);
        } else if (!result.ok()) {
            log(org.slf4j.event.Level.WARN, result);
        }
        if (listener != null) {
            listener.reloaded(result);
        }
    }

    private static void log(org.slf4j.event.Level level, OpResult result) {
        if (result.details().isEmpty()) {
            LOG.atLevel(level).log("{}", result.message());
        } else {
            LOG.atLevel(level).log("{}:", result.message());
            result.details().forEach(d -> LOG.atLevel(level).log("  {}", d));
        }
    }

    private CompletionStage<OpResult> reloadFile() {
        Path file = source;
        if (file == null) {
            return CompletableFuture.completedFuture(OpResult.conflict(
                    "this pool was not started from a configuration file; reload it with a new Config"));
        }
        try {
            return reload(PoolConfigLoader.parseFile(file), file.toString());
        } catch (InvalidConfigException e) {
            return CompletableFuture.completedFuture(invalid(file.toString(), e));
        }
    }


    private CompletionStage<OpResult> reload(Config config, String name) {
        PoolSettings next;
        try {
            next = PoolConfigLoader.fromConfig(config, name, baseDir);
        } catch (InvalidConfigException e) {
            return CompletableFuture.completedFuture(invalid(name, e));
        }
        if (bound.reachableFromOutside() && next.admin().token().isEmpty()) {
            // The new file may bind to loopback, valid on its own; but that address applies at the
            // next start, and its empty token would apply now, to the API still listening outside.
            return CompletableFuture.completedFuture(new OpResult(OpResult.Outcome.INVALID,
                    "invalid configuration in " + name + "; nothing changed", List.of(name + ": key '" + next.named("admin.token")
                    + "': is empty, but the admin API listens on " + bound.host() + ":" + bound.port()
                    + " until procpool is restarted, and there it needs a token; keep admin.token or admin.token-file")));
        }
        return asked(AskPattern.<PoolSupervisor.Command, OpResult>ask(root, r -> new PoolSupervisor.Reload(next, r), timeouts.query(),
                system.scheduler())).handle((r, e) -> {
                    if (e != null) {
                        return OpResult.unavailable("the pool did not answer the reload within " + Durations.format(timeouts.query()));
                    }
                    if (r.ok()) {
                        settings = next;
                    }
                    return r;
                });
    }

    private static OpResult invalid(String source, InvalidConfigException e) {
        return new OpResult(OpResult.Outcome.INVALID, "invalid configuration in " + source + "; nothing changed",
                e.errors().stream().map(ConfigError::render).toList());
    }

    @Override
    public Subscription subscribe(Consumer<PoolEvent> listener) {
        return PoolEvents.subscribe(system, PoolEvent.class, this::ownService, listener);
    }

    @Override
    public Subscription subscribeAll(Consumer<Event> listener) {
        return PoolEvents.subscribe(system, Event.class, this::ownService, listener);
    }

    @Override
    public Source<PoolEvent, NotUsed> events() {
        return PoolEvents.source(system, PoolEvent.class, this::ownService);
    }

    @Override
    public Source<Event, NotUsed> allEvents() {
        return PoolEvents.source(system, Event.class, this::ownService);
    }

    private boolean ownService(String name) {
        return settings.services().containsKey(name);
    }

    @Override
    public Duration longestAnswer() {
        return timeouts.operation();
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static RuntimeException unavailable(Throwable e, String message) {
        Throwable cause = unwrap(e);
        return cause instanceof TimeoutException ? new UnavailableException(message)
                : cause instanceof RuntimeException r ? r : new CompletionException(cause);
    }
}
