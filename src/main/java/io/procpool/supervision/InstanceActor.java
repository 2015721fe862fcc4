package io.procpool.supervision;

import io.procpool.InstanceState;
import io.procpool.HealthFigures;
import io.procpool.config.RestartSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.health.HealthProbe;
import io.procpool.health.HealthTracker;
import io.procpool.health.ProbeResult;
import io.procpool.process.ChildProcess;
import io.procpool.process.ExitStatus;
import io.procpool.process.LaunchException;
import io.procpool.process.LaunchSpec;
import io.procpool.process.Signal;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns exactly one child process on one port: starts it, watches it, stops it.
 *
 * <p>An unexpected exit is a failure: once the process group is gone, the actor throws
 * {@link InstanceFailed} and its parent's supervision restarts it, with backoff, as a fresh
 * incarnation that starts a new process. A commanded {@link Stop} goes through STOPPING (polite
 * signal to the group, deadline, SIGKILL) and then the actor stops. The actor never blocks: the
 * start, the exit and every deadline arrive as messages.
 *
 * <p>Every state change is reported to the parent as a {@link StateChanged}; the parent logs it and
 * keeps the instance's view for status queries, so nothing has to ask this actor (which could be
 * in its restart backoff, stashing messages).
 */
public final class InstanceActor {

    /** Messages an instance understands. */
    public sealed interface Command {
    }

    /**
     * Stop the process (signal, deadline, SIGKILL, whole group), then stop this actor.
     *
     * @param reason why, for logs and events ("scaled down", "rolling restart", ...)
     */
    public record Stop(String reason) implements Command {
    }

    /**
     * The service's settings changed in a way that does not touch what runs (probe, stop,
     * limits): use them from now on. The process keeps running.
     */
    public record UpdateSettings(ServiceSettings settings) implements Command {
    }

    private record Launched(ChildProcess child) implements Command {
    }

    private record LaunchFailed(Throwable cause) implements Command {
    }

    private record Exited(ChildProcess child, ExitStatus status) implements Command {
    }

    /** A probe's result; {@code seq} tells it from a probe that has already been given up on. */
    private record ProbeDone(long seq, ProbeResult result) implements Command {
    }

    private enum Tick implements Command {
        /** The polite stop signal has had its time. */
        STOP_DEADLINE,
        /** SIGKILL has had its time. */
        KILL_DEADLINE,
        /** Look again whether the process group is gone (nothing notifies us of non-children). */
        REAP_POLL,
        /** This incarnation has run for {@code restart.reset-after}. */
        STABLE,
        /** Time for the next health probe. */
        PROBE,
        /** The probe in flight has not answered within its timeout (plus slack). */
        PROBE_DEADLINE,
        /** {@code health-check.start-period} has passed since spawn. */
        START_PERIOD
    }

    /** What an instance tells its parent. */
    public sealed interface Event {
        /** The incarnation that sends it (events from replaced instances are ignored). */
        ActorRef<Command> instance();

        int port();
    }

    /**
     * The instance is now in {@code state} (the parent knows the state it was in before).
     *
     * @param pid the process, when there is one
     * @param exit how the process ended, on the change that reports its exit
     * @param reason why, for people
     */
    public record StateChanged(ActorRef<Command> instance, int port, InstanceState state,
                               OptionalLong pid, Optional<ExitStatus> exit, String reason, Cause cause) implements Event {
    }

    /** Why an instance is going to be restarted (on BACKOFF), for the restart metrics. */
    public enum Cause {
        /** Not a restart. */
        NONE,
        /** Its process exited unexpectedly (or could not be started). */
        EXIT,
        /** It failed its health probes. */
        UNHEALTHY
    }

    /** This incarnation has run for {@code restart.reset-after}: backoff and budget start over. */
    public record StableRun(ActorRef<Command> instance, int port) implements Event {
    }

    /** A probe finished (sent after every probe; state changes come as {@link StateChanged} too). */
    public record ProbeCompleted(ActorRef<Command> instance, int port, HealthFigures figures) implements Event {
    }

    /** How long a process group may take to go after SIGKILL before the instance gives up on it. */
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REAP_INTERVAL = Duration.ofMillis(20);
    /** A probe that has not completed by its timeout plus this is counted as failed. */
    private static final Duration PROBE_SLACK = Duration.ofMillis(500);
    /** The coarsest grid probe timers are coalesced on (see {@link #coalesced}). */
    static final Duration PROBE_GRID = Duration.ofMillis(100);

    /** Why the process is being stopped: by command (then stop), or to be restarted (then fail). */
    private record Purpose(boolean restart, String reason, Cause cause) {
        static Purpose commanded(Stop stop) {
            return new Purpose(false, stop.reason(), Cause.NONE);
        }

        static Purpose restart(String reason, Cause cause) {
            return new Purpose(true, reason, cause);
        }
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private ServiceSettings service;
    private final Lineage lineage;
    private final LaunchSpec spec;
    /** "starting CMD", the reason of the STARTING report. */
    private final String starting;
    private final ActorRef<Event> parent;
    private final HealthProbe probe;
    private final java.util.function.LongSupplier clock;
    private final Duration probeGrid;
    private CompletionStage<ChildProcess> launch;
    private long startedNanos;
    /** How this incarnation's process ended, once it has. */
    private Optional<ExitStatus> exitStatus = Optional.empty();

    /**
     * @param service the service's settings
     * @param port the port this instance runs on
     * @param env the launcher, the health probe and the log dir
     * @param parent receives this instance's {@link Event}s
     */
    public static Behavior<Command> create(ServiceSettings service, int port, PoolEnvironment env, ActorRef<Event> parent) {
        // Worked out once for every incarnation: a restart reuses them (the launcher caches what
        // it prepares per spec, and a restart is on the path from a crash to serving again).
        LaunchSpec spec = new LaunchSpec(service.name(), port, service.commandFor(port), service.workingDir(),
                service.envFor(port), env.logDir().resolve(service.name() + "-" + port + ".log"), service.log());
        String starting = "starting " + io.procpool.config.CommandLine.render(spec.command());
        Lineage lineage = new Lineage(service);
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new InstanceActor(ctx, timers, lineage, spec, starting, env, parent).start(env, ++lineage.incarnations > 1)));
    }

    /**
     * An instance under the supervision its pool gives it: an {@link InstanceFailed} restarts it
     * with the service's backoff and restart budget (Pekko's restart-with-backoff); anything else
     * thrown stops it.
     */
    public static Behavior<Command> supervised(ServiceSettings service, int port, PoolEnvironment env, ActorRef<Event> parent) {
        RestartSettings r = service.restart();
        return Behaviors.supervise(create(service, port, env, parent))
                .onFailure(InstanceFailed.class, SupervisorStrategy
                        .restartWithBackoff(r.minBackoff(), r.maxBackoff(), r.randomFactor())
                        .withResetBackoffAfter(r.resetAfter())
                        .withMaxRestarts(r.maxRestarts())
                        .withLoggingEnabled(false));
    }

    /**
     * What lasts across the incarnations of one instance (setup runs once per incarnation, one at
     * a time, on the actor's own thread): how many there were, and the settings the latest one was
     * told about, so that a restart by the supervisor starts with those, not the spawn's.
     */
    private static final class Lineage {
        int incarnations;
        ServiceSettings settings;

        Lineage(ServiceSettings settings) {
            this.settings = settings;
        }
    }

    private InstanceActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, Lineage lineage,
                          LaunchSpec spec, String starting, PoolEnvironment env, ActorRef<Event> parent) {
        this.ctx = ctx;
        ctx.setLoggerName(InstanceActor.class);
        this.timers = timers;
        this.lineage = lineage;
        this.service = lineage.settings;
        this.parent = parent;
        this.probe = env.probe();
        this.clock = env.clock();
        this.probeGrid = env.probeGrid();
        this.spec = spec;
        this.starting = starting;
    }

    // (new incarnation) -> STARTING
    private Behavior<Command> start(PoolEnvironment env, boolean restarted) {
        report(InstanceState.STARTING, OptionalLong.empty(), Optional.empty(), starting);
        launch = env.launcher().launch(spec);
        ctx.pipeToSelf(launch, (child, error) -> error == null ? new Launched(child) : new LaunchFailed(unwrap(error)));
        // Pekko's backoff counts restarts "without a stable run" from the same moment; the parent
        // mirrors that count for its logs, so it is told when this incarnation has run that long.
        // A first incarnation has no restart to forget: no timer (500 instances started together
        // would otherwise all wake at once, reset-after later, to say nothing).
        if (restarted) {
            timers.startSingleTimer(Tick.STABLE, service.restart().resetAfter());
        }
        return launching(null);
    }

    // STARTING: the launch is under way; no process yet. A Stop is remembered until it is known.
    private Behavior<Command> launching(Stop stopRequested) {
        return Behaviors.receive(Command.class)
                .onMessage(Launched.class, m -> onLaunched(m, stopRequested))
                .onMessage(LaunchFailed.class, m -> onLaunchFailed(m, stopRequested))
                .onMessage(Stop.class, m -> launching(m))
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, Behaviors::same)
                .onSignal(PreRestart.class, s -> killWhenLaunched())
                .onSignal(PostStop.class, s -> killWhenLaunched())
                .build();
    }

    private Behavior<Command> onLaunched(Launched m, Stop stopRequested) {
        ChildProcess child = m.child();
        startedNanos = clock.getAsLong();
        ctx.pipeToSelf(child.onExit(), (status, error) -> new Exited(child, status == null ? new ExitStatus(-1) : status));
        OptionalLong pid = OptionalLong.of(child.pid());
        if (stopRequested != null) {
            return stopGracefully(child, Purpose.commanded(stopRequested));
        }
        if (!service.health().probes()) {
            // STARTING -> RUNNING
            report(InstanceState.RUNNING, pid, Optional.empty(), "started");
            return running(child);
        }
        // STARTING (with a pid): probed quickly until the first success.
        HealthTracker tracker = HealthTracker.start(service.health());
        report(InstanceState.STARTING, pid, Optional.empty(), "started; probing " + probeTarget()
                + " every " + Backoff.format(service.health().startInterval()));
        timers.startSingleTimer(Tick.PROBE, coalesced(tracker.nextDelay()));
        if (!service.health().startPeriod().isZero()) {
            timers.startSingleTimer(Tick.START_PERIOD, service.health().startPeriod());
        }
        return probed(child, Probing.start(tracker));
    }

    private Behavior<Command> onLaunchFailed(LaunchFailed m, Stop stopRequested) {
        String reason = m.cause().getMessage();
        if (stopRequested != null) {
            // STARTING -> STOPPED
            report(InstanceState.STOPPED, OptionalLong.empty(), Optional.empty(), reason);
            return Behaviors.stopped();
        }
        if (m.cause() instanceof LaunchException e && e.permanent()) {
            // STARTING -> FAILED: retrying cannot help until something outside changes.
            report(InstanceState.FAILED, OptionalLong.empty(), Optional.empty(), reason);
            throw e;
        }
        // STARTING -> BACKOFF
        report(InstanceState.BACKOFF, OptionalLong.empty(), Optional.empty(), reason, Cause.EXIT);
        throw new InstanceFailed(spec.label(), reason);
    }

    // RUNNING: the process is alive.
    private Behavior<Command> running(ChildProcess child) {
        return Behaviors.receive(Command.class)
                .onMessage(Exited.class, m -> onExitedWhileRunning(child, m))
                .onMessage(Stop.class, m -> stopGracefully(child, Purpose.commanded(m)))
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onSignal(PreRestart.class, s -> kill(child))
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    private Behavior<Command> onUpdateSettings(UpdateSettings m) {
        service = m.settings();
        lineage.settings = service;
        return Behaviors.same();
    }

    /**
     * The probe loop's state. Probes start every {@code nextDelay()} (start-interval, then
     * interval); one still in flight when the next is due makes that one start right after it
     * (never two at once, never a burst to catch up).
     *
     * @param seq the number of the latest probe started (results of older ones are ignored)
     * @param inFlight a probe has been started and has not answered
     * @param due the next probe came due while one was in flight
     * @param lastFailure the latest failed result, for the reason of a verdict
     */
    private record Probing(HealthTracker tracker, long seq, boolean inFlight, boolean due, ProbeResult lastFailure) {
        static Probing start(HealthTracker tracker) {
            return new Probing(tracker, 0, false, false, null);
        }
    }

    // STARTING / HEALTHY: the process is alive and probed (p.tracker().verdict() says which).
    private Behavior<Command> probed(ChildProcess child, Probing p) {
        return Behaviors.receive(Command.class)
                .onMessage(Exited.class, m -> onExitedWhileRunning(child, m))
                .onMessageEquals(Tick.PROBE, () -> p.inFlight() ? probed(child, withDue(p)) : startProbe(child, p))
                .onMessage(ProbeDone.class, m -> m.seq() == p.seq() && p.inFlight() ? onProbeDone(child, p, m.result()) : Behaviors.same())
                .onMessageEquals(Tick.PROBE_DEADLINE, () -> p.inFlight() ? onProbeDone(child, p, probeTimedOut()) : Behaviors.same())
                .onMessageEquals(Tick.START_PERIOD, () -> onStartPeriodOver(child, p))
                .onMessage(Stop.class, m -> stopGracefully(child, Purpose.commanded(m)))
                .onMessage(UpdateSettings.class, m -> onUpdateSettingsWhileProbed(child, p, m))
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onSignal(PreRestart.class, s -> kill(child))
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    private Behavior<Command> onUpdateSettingsWhileProbed(ChildProcess child, Probing p, UpdateSettings m) {
        onUpdateSettings(m);
        return probed(child, new Probing(p.tracker().withSettings(service.health()), p.seq(), p.inFlight(), p.due(),
                p.lastFailure()));
    }

    private static Probing withDue(Probing p) {
        return new Probing(p.tracker(), p.seq(), true, true, p.lastFailure());
    }

    private Behavior<Command> startProbe(ChildProcess child, Probing p) {
        long seq = p.seq() + 1;
        ctx.pipeToSelf(probe.probe(spec.port(), service.health()),
                (result, error) -> new ProbeDone(seq, result != null ? result
                        : ProbeResult.failed(Duration.ZERO, "probe failed: " + error)));
        timers.startSingleTimer(Tick.PROBE_DEADLINE, service.health().timeout().plus(PROBE_SLACK));
        timers.startSingleTimer(Tick.PROBE, coalesced(p.tracker().nextDelay()));
        return probed(child, new Probing(p.tracker(), seq, true, false, p.lastFailure()));
    }

    private Duration coalesced(Duration delay) {
        return coalesced(delay, clock.getAsLong(), probeGrid);
    }

    /**
     * Probe timers are coalesced: a probe due after {@code delay} runs at the next multiple of
     * {@code delay / 10} (at most {@code maxGrid}) on the monotonic clock. The probes of many
     * instances then fall due together and run as a batch, one wake-up of each thread for many
     * probes instead of several per probe: with 500 instances probed every second, that cut
     * procpool's CPU for probing by two thirds (docs/benchmarks.md). Intervals stretch by up to a
     * tenth, never shrink; a grid under 1 ms is no grid.
     *
     * @param nowNanos the monotonic clock now
     */
    static Duration coalesced(Duration delay, long nowNanos, Duration maxGrid) {
        long d = delay.toNanos();
        long grid = Math.min(maxGrid.toNanos(), d / 10);
        if (grid < 1_000_000) {
            return delay;
        }
        long late = Math.floorMod(nowNanos + d, grid);
        return late == 0 ? delay : Duration.ofNanos(d + grid - late);
    }

    private ProbeResult probeTimedOut() {
        Duration waited = service.health().timeout().plus(PROBE_SLACK);
        return ProbeResult.failed(waited, "no answer within " + Backoff.format(waited));
    }

    private Behavior<Command> onProbeDone(ChildProcess child, Probing p, ProbeResult result) {
        timers.cancel(Tick.PROBE_DEADLINE);
        HealthTracker next = p.tracker().record(result);
        parent.tell(new ProbeCompleted(ctx.getSelf(), spec.port(), result.figures(next.failures())));
        if (next.verdict() == HealthTracker.Verdict.UNHEALTHY) {
            return unhealthy(child, failure(next, result));
        }
        if (next.verdict() != p.tracker().verdict()) {
            // STARTING -> HEALTHY
            report(InstanceState.HEALTHY, OptionalLong.of(child.pid()), Optional.empty(),
                    "probe succeeded in " + result.latencyMillis() + "ms");
            if (!next.nextDelay().equals(p.tracker().nextDelay())) {
                timers.startSingleTimer(Tick.PROBE, coalesced(next.nextDelay())); // from start-interval to interval
            }
        }
        Probing done = new Probing(next, p.seq(), false, false, result.healthy() ? p.lastFailure() : result);
        return p.due() ? startProbe(child, done) : probed(child, done);
    }

    private Behavior<Command> onStartPeriodOver(ChildProcess child, Probing p) {
        HealthTracker next = p.tracker().startPeriodElapsed();
        if (next.verdict() == HealthTracker.Verdict.UNHEALTHY) {
            return unhealthy(child, "no successful probe within start-period " + Backoff.format(service.health().startPeriod())
                    + (p.lastFailure() == null ? "" : "; last: " + p.lastFailure().error()));
        }
        return probed(child, new Probing(next, p.seq(), p.inFlight(), p.due(), p.lastFailure()));
    }

    private String failure(HealthTracker tracker, ProbeResult result) {
        return tracker.failures() + " consecutive failed probes of " + probeTarget() + "; last: " + result.error()
                + " after " + result.latencyMillis() + "ms";
    }

    // HEALTHY/STARTING -> UNHEALTHY -> STOPPING: out of the ready set at once, then restarted.
    private Behavior<Command> unhealthy(ChildProcess child, String reason) {
        timers.cancel(Tick.PROBE);
        timers.cancel(Tick.PROBE_DEADLINE);
        timers.cancel(Tick.START_PERIOD);
        report(InstanceState.UNHEALTHY, OptionalLong.of(child.pid()), Optional.empty(), reason);
        return stopGracefully(child, Purpose.restart("unhealthy: " + reason, Cause.UNHEALTHY));
    }

    private String probeTarget() {
        return switch (service.health().type()) {
            case HTTP -> "http://127.0.0.1:" + spec.port() + service.health().path();
            case TCP -> "tcp 127.0.0.1:" + spec.port();
            case NONE -> "nothing";
        };
    }

    private Behavior<Command> onExitedWhileRunning(ChildProcess child, Exited m) {
        if (m.child() != child) {
            return Behaviors.same();
        }
        String reason = "exited unexpectedly with " + m.status().describe() + " after " + Backoff.format(uptime());
        exitStatus = Optional.of(m.status());
        // RUNNING/STARTING/HEALTHY -> BACKOFF (the restart happens once the whole group is gone)
        report(InstanceState.BACKOFF, OptionalLong.of(child.pid()), exitStatus, reason, Cause.EXIT);
        if (!child.groupAlive()) {
            throw new InstanceFailed(spec.label(), reason);
        }
        // Its children outlived it; nothing would stop them now, and the port must be free.
        child.signal(Signal.KILL);
        if (!child.groupAlive()) {
            throw new InstanceFailed(spec.label(), reason);
        }
        timers.startSingleTimer(Tick.KILL_DEADLINE, KILL_TIMEOUT);
        timers.startTimerWithFixedDelay(Tick.REAP_POLL, REAP_INTERVAL);
        return stopping(child, Purpose.restart(reason, Cause.EXIT), true, true, InstanceState.BACKOFF);
    }

    private Behavior<Command> onStable() {
        parent.tell(new StableRun(ctx.getSelf(), spec.port()));
        return Behaviors.same();
    }

    // -> STOPPING: polite signal to the whole group now, SIGKILL at the deadline.
    private Behavior<Command> stopGracefully(ChildProcess child, Purpose purpose) {
        for (Tick probing : new Tick[] {Tick.PROBE, Tick.PROBE_DEADLINE, Tick.START_PERIOD}) {
            timers.cancel(probing);
        }
        child.signal(service.stop().signal());
        // A frozen (SIGSTOPped) process cannot act on the signal until it runs again.
        child.signal(Signal.CONT);
        timers.startSingleTimer(Tick.STOP_DEADLINE, service.stop().timeout());
        report(InstanceState.STOPPING, OptionalLong.of(child.pid()), Optional.empty(), purpose.reason());
        return stopping(child, purpose, false, false, InstanceState.STOPPING);
    }

    // STOPPING: a signal was sent; waiting for the leader's exit and then for the group to be empty.
    private Behavior<Command> stopping(ChildProcess child, Purpose purpose, boolean killed, boolean exited,
                                       InstanceState shown) {
        return Behaviors.receive(Command.class)
                .onMessage(Exited.class, m -> onExitedWhileStopping(child, purpose, killed, shown, m))
                .onMessageEquals(Tick.REAP_POLL, () -> exited && !child.groupAlive() ? finish(child, purpose, shown) : Behaviors.same())
                .onMessageEquals(Tick.STOP_DEADLINE, () -> onStopDeadline(child, purpose, exited, shown))
                .onMessageEquals(Tick.KILL_DEADLINE, () -> onKillDeadline(child, purpose, shown))
                .onMessage(Stop.class, m -> stopping(child, Purpose.commanded(m), killed, exited, shown))
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, Behaviors::same)
                .onMessage(ProbeDone.class, m -> Behaviors.same())
                .onSignal(PreRestart.class, s -> kill(child))
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    private Behavior<Command> onExitedWhileStopping(ChildProcess child, Purpose purpose, boolean killed,
                                                    InstanceState shown, Exited m) {
        if (m.child() != child) {
            return Behaviors.same();
        }
        exitStatus = Optional.of(m.status());
        if (!child.groupAlive()) {
            return finish(child, purpose, shown);
        }
        timers.startTimerWithFixedDelay(Tick.REAP_POLL, REAP_INTERVAL);
        return stopping(child, purpose, killed, true, shown);
    }

    private Behavior<Command> onStopDeadline(ChildProcess child, Purpose purpose, boolean exited, InstanceState shown) {
        ctx.getLog().warn("{} pid {} still running {} after SIG{}; sending SIGKILL to its process group",
                spec.label(), child.pid(), Backoff.format(service.stop().timeout()), service.stop().signal());
        child.signal(Signal.KILL);
        if (exited && !child.groupAlive()) {
            return finish(child, purpose, shown);
        }
        timers.startSingleTimer(Tick.KILL_DEADLINE, KILL_TIMEOUT);
        return stopping(child, purpose, true, exited, shown);
    }

    private Behavior<Command> onKillDeadline(ChildProcess child, Purpose purpose, InstanceState shown) {
        ctx.getLog().error("{} pid {}: process group still alive {} after SIGKILL (uninterruptible sleep?); giving up on it",
                spec.label(), child.pid(), Backoff.format(KILL_TIMEOUT));
        return finish(child, purpose, shown);
    }

    private Behavior<Command> finish(ChildProcess child, Purpose purpose, InstanceState shown) {
        timers.cancelAll();
        if (purpose.restart()) {
            if (shown != InstanceState.BACKOFF) {
                // STOPPING -> BACKOFF
                report(InstanceState.BACKOFF, OptionalLong.of(child.pid()), exitStatus, purpose.reason(), purpose.cause());
            }
            throw new InstanceFailed(spec.label(), purpose.reason());
        }
        // STOPPING -> STOPPED
        report(InstanceState.STOPPED, OptionalLong.of(child.pid()), exitStatus, purpose.reason());
        return Behaviors.stopped();
    }

    private Duration uptime() {
        return Duration.ofNanos(clock.getAsLong() - startedNanos);
    }

    private void report(InstanceState state, OptionalLong pid, Optional<ExitStatus> exit, String reason) {
        report(state, pid, exit, reason, Cause.NONE);
    }

    private void report(InstanceState state, OptionalLong pid, Optional<ExitStatus> exit, String reason, Cause cause) {
        parent.tell(new StateChanged(ctx.getSelf(), spec.port(), state, pid, exit, reason, cause));
    }

    /** Cleanup on PreRestart and PostStop: never leave a process behind this actor. */
    private Behavior<Command> kill(ChildProcess child) {
        if (child.groupAlive()) {
            child.signal(Signal.KILL);
        }
        return Behaviors.same();
    }

    private Behavior<Command> killWhenLaunched() {
        // Only reached when the actor dies mid-launch: the process may still appear; kill it then.
        launch.thenAccept(child -> child.signal(Signal.KILL));
        return Behaviors.same();
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
