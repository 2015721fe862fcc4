package io.procpool.internal.supervision;

import io.procpool.api.HealthFigures;
import io.procpool.api.InstanceState;
import io.procpool.config.ServiceSettings;
import io.procpool.spi.HealthProbe;
import io.procpool.spi.ProbeResult;
import io.procpool.spi.TrafficDoor;
import io.procpool.spi.ChildProcess;
import io.procpool.api.ExitStatus;
import io.procpool.spi.LaunchException;
import io.procpool.spi.LaunchSpec;
import io.procpool.config.Signal;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One life of one instance: takes over its process as its pool starts it, probes it, stops it,
 * and reports how it ended.
 *
 * <p>It owns exactly one child process (and its process group) from launch to end (the pool only
 * asks the launcher, so that a restart's start is not behind this actor's creation), and decides
 * nothing about what comes after: whether the instance is restarted, when, and whether it is
 * FAILED is its pool's decision ({@link RestartBudget}), made from the {@link Ended} this actor
 * sends as its last word. A commanded {@link Stop} goes through STOPPING (polite signal to the
 * group, deadline, SIGKILL); an unexpected exit ends the life once whatever the process left in
 * its group is gone too, so the next life never meets an old one on its port. The actor never
 * blocks: the start, the exit and every deadline arrive as messages.
 *
 * <p>Every state change is reported to the parent as a {@link StateChanged}; the parent logs it and
 * keeps the instance's view for status queries, so nothing has to ask this actor.
 *
 * <p>About 500 lines: the actor's protocol and one behavior per state of a life (launching,
 * running, probed, stopping, ended) with their handlers beside them, as in Pekko's one class per
 * actor; its pure decisions live apart ({@link HealthTracker} for the probes' verdict,
 * {@link #coalesced} is a pure function tested on its own).
 */
public final class InstanceActor {

    /** Messages an instance understands. */
    public sealed interface Command {
    }

    /**
     * Stop the process (signal, deadline, SIGKILL, whole group), then report {@link Ended}.
     *
     * @param reason why, for logs and events ("scaled down", "rolling restart", ...)
     * @param now SIGKILL to the group at once: no drain, no polite signal. For a node the cluster
     *            has downed, whose instances already run elsewhere: every second this one keeps
     *            running is a second the instance runs twice.
     */
    public record Stop(String reason, boolean now) implements Command {
        /** A graceful stop: drain, the stop signal, SIGKILL at the deadline. */
        public Stop(String reason) {
            this(reason, false);
        }
    }

    /**
     * An operator's signal ({@code poolctl signal}): sent to the process group, as the stop signal
     * is, while the process runs (RUNNING, STARTING with a pid, HEALTHY); ignored while it is being
     * launched or stopped. What the process does with it is its own business: the instance does
     * not watch for an effect, and an exit it causes is an exit like any other.
     */
    public record SendSignal(Signal signal) implements Command {
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
        /** The process has run for {@code restart.reset-after}: a stable run. */
        STABLE,
        /** Time for the next health probe. */
        PROBE,
        /** The probe in flight has not answered within its timeout (plus slack). */
        PROBE_DEADLINE,
        /** {@code health-check.start-period} has passed since spawn. */
        START_PERIOD,
        /** {@code drain.delay} has passed since the instance left the ready set. */
        DRAIN_DELAY,
        /** {@code drain.timeout} has passed: stop whatever is still in flight. */
        DRAIN_DEADLINE
    }

    /** Probe now, not at the next interval: a door saw the instance fail. Ignored unless probing. */
    public enum ProbeNow implements Command {
        INSTANCE
    }

    /** The door has nothing in flight to this instance any more. */
    private enum Drained implements Command {
        INSTANCE
    }

    /** What an instance tells its parent. */
    public sealed interface Event {
        /** The instance that sends it (events from replaced instances are ignored). */
        ActorRef<Command> instance();

        int port();
    }

    /**
     * The instance is now in {@code state}: STARTING (again once the process exists, with its
     * pid), RUNNING, HEALTHY, UNHEALTHY or STOPPING. The states between lives (BACKOFF, FAILED,
     * STOPPED) are the parent's.
     *
     * @param pid the process, when there is one
     * @param reason why, for people
     */
    public record StateChanged(ActorRef<Command> instance, int port, InstanceState state, OptionalLong pid,
                               String reason) implements Event {
    }

    /**
     * A probe finished (sent after every probe; state changes come as {@link StateChanged} too);
     * {@code figures} is null for a probe the prober did not run ({@link ProbeResult#notRun}).
     */
    public record ProbeCompleted(ActorRef<Command> instance, int port, HealthFigures figures) implements Event {
    }

    /** How a life ended. */
    public enum End {
        /** Stopped as commanded. */
        STOPPED,
        /** The process exited unexpectedly, or could not be started this time. */
        EXITED,
        /** It was stopped for failing its health probes. */
        UNHEALTHY,
        /** It cannot be started until something outside changes (command not found, not executable). */
        NOT_STARTABLE
    }

    /**
     * The life is over: the process and its whole group are gone (or were given up on after
     * SIGKILL). The actor sends nothing after this and waits for its parent to stop it.
     *
     * @param pid the process, if one was started
     * @param exit how it exited, if it did
     * @param stable it ran for at least {@code restart.reset-after} (watched only when asked to)
     */
    public record Ended(ActorRef<Command> instance, int port, End end, OptionalLong pid, Optional<ExitStatus> exit,
                        String reason, boolean stable) implements Event {
    }

    /** How long a process group may take to go after SIGKILL before the instance gives up on it. */
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REAP_INTERVAL = Duration.ofMillis(20);
    /** A probe that has not completed by its timeout plus this is counted as failed. */
    private static final Duration PROBE_SLACK = Duration.ofMillis(500);
    /** The coarsest grid probe timers are coalesced on (see {@link #coalesced}). */
    static final Duration PROBE_GRID = Duration.ofMillis(100);

    /** Why the process is being stopped, and how the life will have ended. */
    private record Purpose(End end, String reason) {
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private ServiceSettings service;
    private final LaunchSpec spec;
    private final ActorRef<Event> parent;
    private final HealthProbe probe;
    private final java.util.function.LongSupplier clock;
    private final Duration probeGrid;
    private final TrafficDoor door;
    private CompletionStage<ChildProcess> launch;
    private long startedNanos;
    /** How this life's process ended, once it has. */
    private Optional<ExitStatus> exitStatus = Optional.empty();
    /** The process has run for {@code restart.reset-after}. */
    private boolean stable;
    /** The probed state's: where the probe loop stands, and the behavior it runs (see {@link #probed}). */
    private Probing probing;
    private ChildProcess probedChild;
    private Behavior<Command> probedBehavior;

    /**
     * @param service the service's settings
     * @param spec how its process was started (the pool keeps one per port, so the launcher can
     *     reuse what it prepared for it: a restart is on the path from a crash to serving)
     * @param launch the start of its process, already under way: the pool asks the launcher as it
     *     spawns this actor, so that a restart's process starts before this actor's own creation
     *     and before the pool's word about the restart (docs/architecture.md). This actor is its
     *     only owner from here on: it signals it, waits for it, and kills it if it stops first.
     * @param starting the reason of the first STARTING report ("starting CMD")
     * @param env the launcher, the health probe and the clock
     * @param parent receives this instance's {@link Event}s
     * @param watchStable tell whether the process ran for {@code restart.reset-after}: only when
     *     the instance has restarts to forget (500 first starts would otherwise arm 500 timers
     *     that all fire together to say nothing)
     */
    public static Behavior<Command> create(ServiceSettings service, LaunchSpec spec, CompletionStage<ChildProcess> launch,
                                           String starting, PoolEnvironment env, ActorRef<Event> parent,
                                           boolean watchStable) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new InstanceActor(ctx, timers, service, spec, env, parent).start(launch, starting, watchStable)));
    }

    private InstanceActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ServiceSettings service,
                          LaunchSpec spec, PoolEnvironment env, ActorRef<Event> parent) {
        this.ctx = ctx;
        ctx.setLoggerName(InstanceActor.class);
        this.timers = timers;
        this.service = service;
        this.parent = parent;
        this.probe = env.probe();
        this.clock = env.clock();
        this.probeGrid = env.probeGrid();
        this.door = env.door();
        this.spec = spec;
    }

    // (spawned) -> STARTING
    private Behavior<Command> start(CompletionStage<ChildProcess> launch, String starting, boolean watchStable) {
        this.launch = launch;
        report(InstanceState.STARTING, OptionalLong.empty(), starting);
        ctx.pipeToSelf(launch, (child, error) -> error == null ? new Launched(child) : new LaunchFailed(unwrap(error)));
        if (watchStable) {
            timers.startSingleTimer(Tick.STABLE, service.restart().resetAfter());
        }
        return launching(null);
    }

    // STARTING: the launch is under way; no process yet. A Stop is remembered until it is known.
    private Behavior<Command> launching(Stop stopRequested) {
        return Behaviors.receive(Command.class)
                .onMessage(Launched.class, m -> onLaunched(m, stopRequested))
                .onMessage(LaunchFailed.class, m -> onLaunchFailed(m, stopRequested))
                .onMessage(Stop.class, m -> launching(stopRequested != null && stopRequested.now() ? stopRequested : m))
                .onMessage(SendSignal.class, m -> Behaviors.same())
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onSignal(PostStop.class, s -> killWhenLaunched())
                .build();
    }

    private Behavior<Command> onLaunched(Launched m, Stop stopRequested) {
        ChildProcess child = m.child();
        startedNanos = clock.getAsLong();
        ctx.pipeToSelf(child.onExit(), (status, error) -> new Exited(child, status == null ? new ExitStatus(-1) : status));
        if (stopRequested != null) {
            return stopRequested.now() ? killNow(child, stopRequested.reason(), false)
                    : stopGracefully(child, new Purpose(End.STOPPED, stopRequested.reason()));
        }
        OptionalLong pid = OptionalLong.of(child.pid());
        if (!service.health().probes()) {
            // STARTING -> RUNNING
            report(InstanceState.RUNNING, pid, "started");
            return running(child);
        }
        // STARTING (with a pid): probed quickly until the first success.
        HealthTracker tracker = HealthTracker.start(service.health());
        report(InstanceState.STARTING, pid, "started; probing " + probeTarget()
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
            return end(End.STOPPED, OptionalLong.empty(), reason, null);
        }
        boolean permanent = m.cause() instanceof LaunchException e && e.permanent();
        // Permanent: retrying cannot help until something outside changes (the pool says FAILED).
        return end(permanent ? End.NOT_STARTABLE : End.EXITED, OptionalLong.empty(), reason, null);
    }

    // RUNNING: the process is alive (a service without probes).
    private Behavior<Command> running(ChildProcess child) {
        return Behaviors.receive(Command.class)
                .onMessage(Exited.class, m -> onExitedWhileRunning(child, m))
                .onMessage(Stop.class, m -> m.now() ? killNow(child, m.reason(), false) : drainThenStop(child, new Purpose(End.STOPPED, m.reason()), true))
                .onMessage(SendSignal.class, m -> onSendSignal(child, m))
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    private Behavior<Command> onSendSignal(ChildProcess child, SendSignal m) {
        child.signal(m.signal());
        return Behaviors.same();
    }

    private Behavior<Command> onUpdateSettings(UpdateSettings m) {
        service = m.settings();
        return Behaviors.same();
    }

    private Behavior<Command> onStable() {
        stable = true;
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
     * @param deadlineAfterTick for a probe in flight whose deadline is not armed yet: how long after
     *     the next probe's tick it falls (see {@link #startProbe}); null otherwise
     */
    private record Probing(HealthTracker tracker, long seq, boolean inFlight, boolean due, ProbeResult lastFailure,
                           Duration deadlineAfterTick) {
        static Probing start(HealthTracker tracker) {
            return new Probing(tracker, 0, false, false, null, null);
        }
    }

    // STARTING / HEALTHY: the process is alive and probed (probing.tracker().verdict() says which).
    /**
     * Enters (or stays in) the probed state with {@code p}. The state is a field and the behavior
     * is built once per process, not once per step: a step per probe start and per answer, and
     * building a behavior (a dozen cases and their lambdas) twice per probe was a fifth of the
     * instances' thread's CPU with 500 instances probed every second (async-profiler, idle pool).
     */
    private Behavior<Command> probed(ChildProcess child, Probing p) {
        probing = p;
        if (probedChild != child) {
            probedChild = child;
            probedBehavior = Behaviors.receive(Command.class)
                    .onMessage(Exited.class, m -> onExitedWhileRunning(child, m))
                    .onMessageEquals(Tick.PROBE, () -> probing.inFlight() ? onTickInFlight(child, probing) : startProbe(child, probing))
                    .onMessageEquals(ProbeNow.INSTANCE, () -> probing.inFlight() ? Behaviors.same() : startProbe(child, probing))
                    .onMessage(ProbeDone.class, m -> m.seq() == probing.seq() && probing.inFlight()
                            ? onProbeDone(child, probing, m.result()) : Behaviors.same())
                    .onMessageEquals(Tick.PROBE_DEADLINE, () -> probing.inFlight() ? onProbeDone(child, probing, probeTimedOut()) : Behaviors.same())
                    .onMessageEquals(Tick.START_PERIOD, () -> onStartPeriodOver(child, probing))
                    .onMessage(Stop.class, m -> m.now() ? killNow(child, m.reason(), false) : drainThenStop(child,
                            new Purpose(End.STOPPED, m.reason()), probing.tracker().verdict() == HealthTracker.Verdict.HEALTHY))
                    .onMessage(SendSignal.class, m -> onSendSignal(child, m))
                    .onMessage(UpdateSettings.class, m -> onUpdateSettingsWhileProbed(child, probing, m))
                    .onMessageEquals(Tick.STABLE, this::onStable)
                    .onSignal(PostStop.class, s -> kill(child))
                    .build();
        }
        return probedBehavior;
    }

    private Behavior<Command> onUpdateSettingsWhileProbed(ChildProcess child, Probing p, UpdateSettings m) {
        onUpdateSettings(m);
        return probed(child, new Probing(p.tracker().withSettings(service.health()), p.seq(), p.inFlight(), p.due(),
                p.lastFailure(), p.deadlineAfterTick()));
    }

    /** The next probe is due while one is in flight: it starts when that one ends, whose deadline is armed now if it was not. */
    private Behavior<Command> onTickInFlight(ChildProcess child, Probing p) {
        if (p.deadlineAfterTick() != null) {
            timers.startSingleTimer(Tick.PROBE_DEADLINE, p.deadlineAfterTick());
        }
        return probed(child, new Probing(p.tracker(), p.seq(), true, true, p.lastFailure(), null));
    }

    private Behavior<Command> startProbe(ChildProcess child, Probing p) {
        long seq = p.seq() + 1;
        ctx.pipeToSelf(probe.probe(spec.port(), service.health()),
                (result, error) -> new ProbeDone(seq, result != null ? result
                        : ProbeResult.failed(Duration.ZERO, "probe failed: " + error)));
        Duration next = coalesced(p.tracker().nextDelay());
        timers.startSingleTimer(Tick.PROBE, next);
        // The deadline's timer is armed here only when it falls before the next probe's tick.
        // Otherwise that tick arms it for the rest (onTickInFlight), and only when the probe is still
        // in flight then, which it almost never is: a probe answers in about a millisecond, and a
        // timer armed and cancelled per probe was a tenth of the instances' thread's CPU with 500
        // instances probed every second (bench/analysis.md). It fires at the same moment either way.
        Duration deadline = service.health().timeout().plus(PROBE_SLACK);
        Duration afterTick = deadline.minus(next);
        if (afterTick.isNegative()) {
            timers.startSingleTimer(Tick.PROBE_DEADLINE, deadline);
            afterTick = null;
        }
        return probed(child, new Probing(p.tracker(), seq, true, false, p.lastFailure(), afterTick));
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
        if (!result.ran()) {
            // The prober was behind: no evidence either way, and no probe at once to add to its
            // queue (a due one waits a whole delay from now: probes stretch instead of piling up).
            parent.tell(new ProbeCompleted(ctx.getSelf(), spec.port(), null));
            if (p.due()) {
                timers.startSingleTimer(Tick.PROBE, coalesced(p.tracker().nextDelay()));
            }
            return probed(child, new Probing(p.tracker(), p.seq(), false, false, p.lastFailure(), null));
        }
        HealthTracker next = p.tracker().record(result);
        parent.tell(new ProbeCompleted(ctx.getSelf(), spec.port(), result.figures(next.failures())));
        if (next.verdict() == HealthTracker.Verdict.UNHEALTHY) {
            return unhealthy(child, failure(next, result));
        }
        if (next.verdict() != p.tracker().verdict()) {
            // STARTING -> HEALTHY
            report(InstanceState.HEALTHY, OptionalLong.of(child.pid()), "probe succeeded in " + result.latencyMillis() + "ms");
            if (!next.nextDelay().equals(p.tracker().nextDelay())) {
                timers.startSingleTimer(Tick.PROBE, coalesced(next.nextDelay())); // from start-interval to interval
            }
        }
        Probing done = new Probing(next, p.seq(), false, false, result.healthy() ? p.lastFailure() : result, null);
        return p.due() ? startProbe(child, done) : probed(child, done);
    }

    private Behavior<Command> onStartPeriodOver(ChildProcess child, Probing p) {
        HealthTracker next = p.tracker().startPeriodElapsed();
        if (next.verdict() == HealthTracker.Verdict.UNHEALTHY) {
            return unhealthy(child, startPeriodMissed(p.lastFailure())); // a failure is there: the tracker needs one
        }
        return probed(child, new Probing(next, p.seq(), p.inFlight(), p.due(), p.lastFailure(), p.deadlineAfterTick()));
    }

    private String failure(HealthTracker tracker, ProbeResult result) {
        if (!tracker.everSucceeded() && !service.health().startPeriod().isZero()) {
            // The start period ended before any probe had run to its end; this is the first that did.
            return startPeriodMissed(result);
        }
        return tracker.failures() + " consecutive failed probes of " + probeTarget() + last(result);
    }

    private String startPeriodMissed(ProbeResult last) {
        return "no successful probe within start-period " + Backoff.format(service.health().startPeriod()) + last(last);
    }

    private static String last(ProbeResult result) {
        return "; last: " + result.error() + " after " + result.latencyMillis() + "ms";
    }

    // HEALTHY/STARTING -> UNHEALTHY -> STOPPING: out of the ready set at once, then stopped.
    private Behavior<Command> unhealthy(ChildProcess child, String reason) {
        report(InstanceState.UNHEALTHY, OptionalLong.of(child.pid()), reason);
        return stopGracefully(child, new Purpose(End.UNHEALTHY, "unhealthy: " + reason));
    }

    private String probeTarget() {
        return service.health().probe().describe(spec.port());
    }

    private Behavior<Command> onExitedWhileRunning(ChildProcess child, Exited m) {
        if (m.child() != child) {
            return Behaviors.same();
        }
        String reason = "exited unexpectedly with " + m.status().describe() + " after " + Backoff.format(uptime());
        exitStatus = Optional.of(m.status());
        if (!child.groupAlive()) {
            return end(End.EXITED, OptionalLong.of(child.pid()), reason, child);
        }
        // Its children outlived it; nothing would stop them now, and the port must be free.
        child.signal(Signal.KILL);
        if (!child.groupAlive()) {
            return end(End.EXITED, OptionalLong.of(child.pid()), reason, child);
        }
        // RUNNING/STARTING/HEALTHY -> STOPPING: out of the ready set while the remnants go.
        report(InstanceState.STOPPING, OptionalLong.of(child.pid()), reason + "; killing what it left in its process group");
        timers.startSingleTimer(Tick.KILL_DEADLINE, KILL_TIMEOUT);
        timers.startTimerWithFixedDelay(Tick.REAP_POLL, REAP_INTERVAL);
        return stopping(child, new Purpose(End.EXITED, reason), true);
    }

    // RUNNING/HEALTHY/STARTING -> STOPPING (draining): out of the door's choice and the ready set
    // at once; the signal once the door has nothing in flight here (or drain.timeout has passed),
    // after drain.delay for an instance that was ready. Nothing to wait for: the signal at once,
    // on this thread (the restart path of a roll without a gateway is unchanged).
    private Behavior<Command> drainThenStop(ChildProcess child, Purpose purpose, boolean wasReady) {
        for (Tick probing : new Tick[] {Tick.PROBE, Tick.PROBE_DEADLINE, Tick.START_PERIOD}) {
            timers.cancel(probing);
        }
        CompletionStage<Void> idle = door.drain(service.name(), spec.port());
        Duration delay = wasReady ? service.drain().delay() : Duration.ZERO;
        Duration timeout = service.drain().timeout();
        boolean idleNow = idle.toCompletableFuture().isDone();
        if (delay.isZero() && (idleNow || timeout.isZero())) {
            return stopGracefully(child, purpose);
        }
        report(InstanceState.STOPPING, OptionalLong.of(child.pid()), purpose.reason() + "; draining");
        if (delay.isZero()) {
            awaitIdle(idle, timeout);
        } else {
            timers.startSingleTimer(Tick.DRAIN_DELAY, delay);
        }
        return draining(child, purpose, idle);
    }

    private void awaitIdle(CompletionStage<Void> idle, Duration timeout) {
        timers.startSingleTimer(Tick.DRAIN_DEADLINE, timeout);
        ctx.pipeToSelf(idle, (v, e) -> Drained.INSTANCE);
    }

    // STOPPING (draining): waiting for drain.delay, then for the door's last request.
    private Behavior<Command> draining(ChildProcess child, Purpose purpose, CompletionStage<Void> idle) {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Tick.DRAIN_DELAY, () -> {
                    awaitIdle(idle, service.drain().timeout());
                    return Behaviors.same();
                })
                .onMessageEquals(Drained.INSTANCE, () -> drained(child, purpose))
                .onMessageEquals(Tick.DRAIN_DEADLINE, () -> {
                    ctx.getLog().info("{} pid {}: requests still in flight after drain.timeout ({}); stopping it",
                            spec.label(), child.pid(), Backoff.format(service.drain().timeout()));
                    return drained(child, purpose);
                })
                .onMessage(Exited.class, m -> m.child() != child ? Behaviors.same() : onExitedWhileDraining(child, purpose, m))
                .onMessage(Stop.class, m -> m.now() ? killNow(child, m.reason(), false) : draining(child, new Purpose(End.STOPPED, m.reason()), idle))
                .onMessage(SendSignal.class, m -> Behaviors.same())
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onMessage(ProbeDone.class, m -> Behaviors.same())
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    private Behavior<Command> drained(ChildProcess child, Purpose purpose) {
        timers.cancel(Tick.DRAIN_DELAY);
        timers.cancel(Tick.DRAIN_DEADLINE);
        return signalStop(child, purpose);
    }

    // -> STOPPING: polite signal to the whole group now, SIGKILL at the deadline.
    private Behavior<Command> stopGracefully(ChildProcess child, Purpose purpose) {
        for (Tick probing : new Tick[] {Tick.PROBE, Tick.PROBE_DEADLINE, Tick.START_PERIOD}) {
            timers.cancel(probing);
        }
        Behavior<Command> next = signalStop(child, purpose);
        report(InstanceState.STOPPING, OptionalLong.of(child.pid()), purpose.reason());
        return next;
    }

    // -> STOPPING at once: SIGKILL to the whole group now (see Stop#now), then the wait for the
    // group to be gone that every stop ends with.
    private Behavior<Command> killNow(ChildProcess child, String reason, boolean exited) {
        for (Tick pending : new Tick[] {Tick.PROBE, Tick.PROBE_DEADLINE, Tick.START_PERIOD, Tick.DRAIN_DELAY, Tick.DRAIN_DEADLINE,
                Tick.STOP_DEADLINE}) {
            timers.cancel(pending);
        }
        child.signal(Signal.KILL);
        report(InstanceState.STOPPING, OptionalLong.of(child.pid()), reason + "; SIGKILL to its process group");
        timers.startSingleTimer(Tick.KILL_DEADLINE, KILL_TIMEOUT);
        return stopping(child, new Purpose(End.STOPPED, reason), exited);
    }

    private Behavior<Command> signalStop(ChildProcess child, Purpose purpose) {
        child.signal(service.stop().signal());
        // A frozen (SIGSTOPped) process cannot act on the signal until it runs again.
        child.signal(Signal.CONT);
        timers.startSingleTimer(Tick.STOP_DEADLINE, service.stop().timeout());
        return stopping(child, purpose, false);
    }

    // STOPPING: waiting for the leader's exit ({@code exited} once seen) and then for the group to be empty.
    private Behavior<Command> stopping(ChildProcess child, Purpose purpose, boolean exited) {
        return Behaviors.receive(Command.class)
                .onMessage(Exited.class, m -> onExitedWhileStopping(child, purpose, m))
                .onMessageEquals(Tick.REAP_POLL, () -> exited && child.groupKnownGone() ? finish(child, purpose) : Behaviors.same())
                .onMessageEquals(Tick.STOP_DEADLINE, () -> onStopDeadline(child, purpose, exited))
                .onMessageEquals(Tick.KILL_DEADLINE, () -> onKillDeadline(child, purpose))
                .onMessage(Stop.class, m -> m.now() ? killNow(child, m.reason(), exited)
                        : stopping(child, new Purpose(End.STOPPED, m.reason()), exited))
                .onMessage(SendSignal.class, m -> Behaviors.same())
                .onMessage(UpdateSettings.class, this::onUpdateSettings)
                .onMessageEquals(Tick.STABLE, this::onStable)
                .onMessage(ProbeDone.class, m -> Behaviors.same())
                .onMessageEquals(Drained.INSTANCE, Behaviors::same)
                .onSignal(PostStop.class, s -> kill(child))
                .build();
    }

    // Gone by itself while draining: its life ends the way the stop would have ended it.
    private Behavior<Command> onExitedWhileDraining(ChildProcess child, Purpose purpose, Exited m) {
        timers.cancel(Tick.DRAIN_DELAY);
        timers.cancel(Tick.DRAIN_DEADLINE);
        exitStatus = Optional.of(m.status());
        if (!child.groupAlive()) {
            return finish(child, purpose);
        }
        // Its children outlived it: they get the stop signal, and SIGKILL at the deadline.
        signalStop(child, purpose);
        timers.startTimerWithFixedDelay(Tick.REAP_POLL, REAP_INTERVAL);
        return stopping(child, purpose, true);
    }

    // The leader of a stopped instance is gone: whether its group and session are too is asked
    // by a poll this actor sends itself, behind what this thread already has queued, not here:
    // when a whole pool stops, more of the other instances' stop signals go out first, and a read
    // of /proc (a pass that began after their exits) answers many polls at once. A stop of 500:
    // 1.5 s with the question here, 1.0 s this way. The poll's first answer is not waited for on
    // a timer, so that a simulation (ManualTime) sees a stop end without time passing, as before;
    // the timer would have made it 0.55 s. The poll never waits for /proc (ChildProcess.
    // groupKnownGone): a poll that waited held the other instances' stop signals back, and a pool
    // of 5,000 stopped at 150 instances a second. A crash (above) asks at once.
    private Behavior<Command> onExitedWhileStopping(ChildProcess child, Purpose purpose, Exited m) {
        if (m.child() != child) {
            return Behaviors.same();
        }
        exitStatus = Optional.of(m.status());
        ctx.getSelf().tell(Tick.REAP_POLL);
        timers.startTimerWithFixedDelay(Tick.REAP_POLL, REAP_INTERVAL);
        return stopping(child, purpose, true);
    }

    private Behavior<Command> onStopDeadline(ChildProcess child, Purpose purpose, boolean exited) {
        ctx.getLog().warn("{} pid {} still running {} after SIG{}; sending SIGKILL to its process group",
                spec.label(), child.pid(), Backoff.format(service.stop().timeout()), service.stop().signal());
        child.signal(Signal.KILL);
        if (exited && !child.groupAlive()) {
            return finish(child, purpose);
        }
        timers.startSingleTimer(Tick.KILL_DEADLINE, KILL_TIMEOUT);
        return stopping(child, purpose, exited);
    }

    private Behavior<Command> onKillDeadline(ChildProcess child, Purpose purpose) {
        ctx.getLog().error("{} pid {}: process group still alive {} after SIGKILL (uninterruptible sleep?); giving up on it",
                spec.label(), child.pid(), Backoff.format(KILL_TIMEOUT));
        return finish(child, purpose);
    }

    private Behavior<Command> finish(ChildProcess child, Purpose purpose) {
        return end(purpose.end(), OptionalLong.of(child.pid()), purpose.reason(), child);
    }

    /** The last word: {@link Ended}; then nothing but waiting for the parent to stop this actor. */
    private Behavior<Command> end(End end, OptionalLong pid, String reason, ChildProcess child) {
        timers.cancelAll();
        parent.tell(new Ended(ctx.getSelf(), spec.port(), end, pid, exitStatus, reason, stable));
        return ended(child);
    }

    // ENDED: the life is over and reported; the parent stops this actor.
    private Behavior<Command> ended(ChildProcess child) {
        return Behaviors.receive(Command.class)
                .onAnyMessage(m -> Behaviors.same())
                .onSignal(PostStop.class, s -> child == null ? Behaviors.same() : kill(child))
                .build();
    }

    private Duration uptime() {
        return Duration.ofNanos(clock.getAsLong() - startedNanos);
    }

    private void report(InstanceState state, OptionalLong pid, String reason) {
        parent.tell(new StateChanged(ctx.getSelf(), spec.port(), state, pid, reason));
    }

    /** Cleanup on PostStop: never leave a process behind this actor. */
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
