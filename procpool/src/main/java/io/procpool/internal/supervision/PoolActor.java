package io.procpool.internal.supervision;

import io.procpool.internal.Dispatchers;
import io.procpool.api.OpResult;
import io.procpool.api.ScalingEvent;
import io.procpool.api.ServiceStatus;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.metrics.PoolMetrics.RestartReason;
import io.procpool.spi.ResourceSampler;
import io.procpool.internal.scaling.ResourceGuard;
import io.procpool.internal.scaling.ScalingMetric;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One service: keeps an {@link InstanceActor} on each port that should run one, and owns every
 * decision about them.
 *
 * <p><b>Restarts.</b> An instance is one process life; its {@link InstanceActor.Ended} says how it
 * ended, and this actor decides what follows from the port's {@link RestartBudget}, the one count
 * there is: BACKOFF and a restart after the budget's delay, or FAILED and a retry after
 * {@code restart.cooldown}. The rest of the pool is not affected.
 *
 * <p><b>Modes.</b> Each mode of the service is a behavior: {@link #running} (instances kept at the
 * desired count, operations accepted), {@link #rolling} (a {@link Roll} under way: the pure roll
 * decides, this actor carries out), {@link #stopped} (no instance wanted; a stop may still be
 * under way) and {@link #stopping} (procpool is shutting down). A second operation while a roll or
 * a stop is under way is answered at once.
 *
 * <p>The ports and their instances are kept by {@link Instances}, transitions are logged and
 * published by its {@link Announcer}; status queries never reach an instance. This class is the
 * actor's protocol, its four modes and the operations each accepts, about 600 lines: a mode's
 * receive table names handlers of several operations, and the modes stay readable only with those
 * handlers beside them, as in Pekko's one-class-per-actor style; the pure decisions (the roll, the
 * restart budget, scaling) live in their own classes.
 */
public final class PoolActor {

    /**
     * Where PoolActors and their InstanceActors run: a thread of their own, apart from the root's
     * bookkeeping and the admin API. A restart is decided here, on the thread that saw the exit
     * and starts the replacement: in a crash-to-serving benchmark (docs/benchmarks.md) the pool
     * on the default dispatcher, a hop away, cost 7.7 ms against 6.1 ms here (floor 5.9 ms).
     */
    public static final DispatcherSelector INSTANCE_DISPATCHER = Dispatchers.instances();

    /** Messages a pool understands. */
    public sealed interface Command {
    }

    /** An operation with an answer. */
    public sealed interface Operation extends Command {
        ActorRef<OpResult> replyTo();
    }

    /**
     * Stop every instance gracefully, in parallel; then stop this actor.
     *
     * @param reason why, for the instances' logs and events ("procpool is shutting down", "removed by reload")
     */
    public record Stop(String reason) implements Command {
    }

    /** Probe the instance on {@code port} now: a door saw it fail. */
    public record ProbeNow(int port) implements Command {
    }

    /** Run {@code instances} instances (between min-processes and max-processes). */
    public record Scale(int instances, ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * Replace every instance: those not ready at once, the ready ones one at a time, each only
     * after its replacement is ready.
     *
     * @param waitForEnd true: answer when the roll is over; false: as soon as it has begun (or is refused)
     */
    public record Restart(ActorRef<OpResult> replyTo, boolean waitForEnd) implements Operation {
        /** A restart answered when it is over. */
        public Restart(ActorRef<OpResult> replyTo) {
            this(replyTo, true);
        }
    }

    /** Stop every instance and keep none running until {@link StartService}; answers when all are gone. */
    public record StopService(ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * Run the service again after {@link StopService}, with as many instances as before; on a
     * running service, start its FAILED instances again at once, with a fresh restart budget.
     */
    public record StartService(ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * Send {@code signal} to the process group of every running instance (STARTING with a pid,
     * RUNNING, HEALTHY): supervisorctl's {@code signal}. Answers at once, with the instances it was
     * sent to; CONFLICT when none runs.
     */
    public record SignalInstances(io.procpool.config.Signal signal, ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * Take new settings: a changed command, environment or working dir rolls every instance
     * over to them; anything else (counts, ports, probe, stop, limits, scaling) is adjusted in
     * place, running processes untouched.
     */
    public record Reconfigure(ServiceSettings settings, ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * With the cluster on: run {@code count} instances on this node, the cluster's share for it
     * (at most one per port of this node). A placed pool starts with none.
     */
    public record Place(int count, String reason) implements Command {
    }

    /**
     * This node was downed by its cluster: every instance is killed at once (SIGKILL to its
     * group, no drain) and none runs until the pool is placed again.
     */
    public record KillAll(String reason) implements Command {
    }

    /** A sample of what the instances' process trees cost (sent by the root while it samples). */
    public record Usage(ResourceSampler.Sample sample, Duration interval) implements Command {
    }

    private enum ScalingTick implements Command {
        INSTANCE
    }

    private record InstanceEvent(InstanceActor.Event event) implements Command {
    }

    /** The restart delay or the cooldown of the port's instance is over (see {@link Instances}). */
    record Wake(int port, long token) implements Command {
    }

    /** Step {@code step} of the roll under way has had its time ({@link OperationDeadlines#rollStep}). */
    private record RollDeadline(long step, Duration after) implements Command {
    }

    /** The service stop under way has had its time ({@link OperationDeadlines#stop}). */
    private record StopDeadline(Duration after) implements Command {
    }

    /** Publishes probe figures that changed since the last status (at most once a second). */
    private enum PublishFigures implements Command {
        INSTANCE
    }

    /** Publish what changed since the last status (see {@link Announcer}). */
    private enum Flush implements Command {
        INSTANCE
    }

    /** A roll under way and who waits for its outcome (null: nobody). */
    private record Rolling(Roll roll, ActorRef<OpResult> replyTo) {
    }

    private static final Duration FIGURES_PUBLISH_INTERVAL = Duration.ofSeconds(1);

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final LoadWatch load;
    /** The door traffic comes through, told when the operator stops or starts the service. */
    private final io.procpool.spi.TrafficDoor door;
    private final Announcer announcer;
    private final Instances instances;
    private int desired;
    private int desiredBeforeStop;
    /** The cluster decides how many run here ({@link Place}); min-processes and scaling are the cluster's. */
    private final boolean placed;
    /** A placed pool's latest scaling reading per ready instance, in its status for the cluster. */
    private OptionalDouble observed = OptionalDouble.empty();
    /** What is under way, for the status: set by each mode as it is entered. */
    private Optional<String> underWay = Optional.empty();

    /**
     * @param service the service to run
     * @param env the seams to run it against
     * @param listener receives the service's status after every change
     */
    public static Behavior<Command> create(ServiceSettings service, PoolEnvironment env, ActorRef<ServiceStatus> listener) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolActor(ctx, timers, service, env, listener, true, false).start()));
    }

    /**
     * A pool on a cluster node: it starts with no instance and runs as many as the cluster
     * places on this node ({@link Place}).
     */
    public static Behavior<Command> placed(ServiceSettings service, PoolEnvironment env, ActorRef<ServiceStatus> listener) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolActor(ctx, timers, service, env, listener, true, true).start()));
    }

    /**
     * A pool that logs nothing and publishes no events, only statuses to {@code listener}: for
     * {@link RestartWarmup}, whose instance must run the real restart path without being seen.
     */
    public static Behavior<Command> silent(ServiceSettings service, PoolEnvironment env, ActorRef<ServiceStatus> listener) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolActor(ctx, timers, service, env, listener, false, false).start()));
    }

    private PoolActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ServiceSettings service,
                      PoolEnvironment env, ActorRef<ServiceStatus> listener, boolean heard, boolean placed) {
        this.ctx = ctx;
        this.placed = placed;
        ctx.setLoggerName(PoolActor.class);
        this.timers = timers;
        this.door = env.door();
        this.load = new LoadWatch(door);
        this.announcer = new Announcer(heard ? ctx.getLog() : org.slf4j.helpers.NOPLogger.NOP_LOGGER,
                heard ? ctx.getSystem() : null, listener, () -> instances().status(desired, underWay, announcer().lastOperation()).withLoad(observed),
                () -> ctx.getSelf().tell(Flush.INSTANCE));
        this.instances = new Instances(ctx, timers, env, announcer, ctx.messageAdapter(InstanceActor.Event.class, InstanceEvent::new),
                service, load);
    }

    /** The pool's log, nothing for a {@link #silent} pool. */
    private org.slf4j.Logger log() {
        return announcer.log();
    }

    private Instances instances() {
        return instances;
    }

    private Announcer announcer() {
        return announcer;
    }

    private String name() {
        return instances.settings().name();
    }

    private Behavior<Command> start() {
        // A pool restarted after a failure of its own starts again whatever it was before: the
        // door must not go on answering for a stop of its last life.
        door.stopped(name(), false);
        desired = placed ? 0 : instances.settings().minProcesses();
        desiredBeforeStop = desired;
        instances.want(desired, "scaled down");
        startScalingTimer();
        return running();
    }

    // ---- modes ------------------------------------------------------------------------------

    // RUNNING: instances are kept at the desired count; failures are restarted; operations are accepted.
    private Behavior<Command> running() {
        underWay = Optional.empty();
        announcer.soon();
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, m -> { onInstanceEvent(m); return Behaviors.same(); })
                .onMessage(Wake.class, m -> { instances.onWake(m.port(), m.token()); return Behaviors.same(); })
                .onMessage(ProbeNow.class, m -> { instances.probeNow(m.port()); return Behaviors.same(); })
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(Scale.class, this::onScale)
                .onMessage(Place.class, m -> { onPlace(m); return Behaviors.same(); })
                .onMessage(KillAll.class, m -> { onKillAll(m); return Behaviors.same(); })
                .onMessage(Restart.class, this::onRestart)
                .onMessage(StopService.class, this::onStopService)
                .onMessage(StartService.class, this::onStartFailed)
                .onMessage(SignalInstances.class, this::onSignal)
                .onMessage(Reconfigure.class, m -> onReconfigure(m, null))
                .onMessage(Usage.class, this::onUsage)
                .onMessageEquals(ScalingTick.INSTANCE, this::onScalingTick)
                .onMessage(Stop.class, this::onShutdown)
                .onMessage(RollDeadline.class, m -> Behaviors.same())
                .onMessage(StopDeadline.class, m -> Behaviors.same())
                .onSignal(Terminated.class, s -> { instances.onGone(s); return Behaviors.same(); })
                .build();
    }

    // ROLLING: a roll is under way; it decides each step from the slots, this actor carries it out.
    private Behavior<Command> rolling(Rolling r) {
        underWay = Optional.of(r.roll().describe());
        announcer.soon();
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, m -> { onInstanceEvent(m); return advance(r); })
                .onMessage(Wake.class, m -> { instances.onWake(m.port(), m.token()); return advance(r); })
                .onMessage(ProbeNow.class, m -> { instances.probeNow(m.port()); return Behaviors.same(); })
                .onMessage(RollDeadline.class, m -> apply(r, r.roll().onDeadline(m.step(), m.after(), instances.view)))
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(Scale.class, m -> refuse(m, r.roll().busy()))
                // Taken at the roll's end (it wants the desired count then).
                .onMessage(Place.class, m -> { desired = placeable(m); desiredBeforeStop = desired; return Behaviors.same(); })
                .onMessage(KillAll.class, m -> { Behavior<Command> next = endRoll(r, r.roll().abort(m.reason()), running()); onKillAll(m);
                    return next; })
                .onMessage(Restart.class, m -> refuse(m, r.roll().busy()))
                .onMessage(StartService.class, m -> refuse(m, r.roll().busy()))
                .onMessage(SignalInstances.class, this::onSignal)
                .onMessage(StopService.class, m -> onStopService(endRoll(r, r.roll().abort(name() + " was stopped"), m)))
                .onMessage(Reconfigure.class, m -> onReconfigure(m, r))
                .onMessage(Usage.class, m -> Behaviors.same())
                .onMessageEquals(ScalingTick.INSTANCE, Behaviors::same)
                .onMessage(Stop.class, m -> onShutdown(endRoll(r, r.roll().abort(m.reason()), m)))
                .onMessage(StopDeadline.class, m -> Behaviors.same())
                .onSignal(Terminated.class, s -> { instances.onGone(s); return advance(r); })
                .build();
    }

    // STOPPED: no instance is wanted; instances may still be stopping, and the waiters of the stop wait.
    private Behavior<Command> stopped(List<ActorRef<OpResult>> waiters) {
        if (!waiters.isEmpty() && instances.none()) {
            timers.cancel(StopDeadline.class);
            OpResult done = OpResult.ok(name() + " stopped");
            waiters.forEach(w -> w.tell(done));
            announcer.operationEnded(name(), "service stop", done);
            return stopped(List.of());
        }
        underWay = waiters.isEmpty() ? Optional.empty() : Optional.of("service stop: " + instances.alive());
        announcer.soon();
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, m -> { onInstanceEvent(m); return afterStop(waiters); })
                .onMessage(Wake.class, m -> Behaviors.same())
                .onMessage(ProbeNow.class, m -> { instances.probeNow(m.port()); return Behaviors.same(); })
                .onMessage(StopDeadline.class, m -> onStopDeadline(waiters, m))
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                // A stopped service stays stopped until told to start, as it does for a restart; a
                // scale (an operator's, a script's) does not start it behind the stop (docs/api.md).
                .onMessage(Scale.class, m -> refuse(m, instances.none() ? name() + " is stopped; start it first" : stopBusy()))
                .onMessage(Place.class, m -> { desiredBeforeStop = placeable(m); return Behaviors.same(); })
                .onMessage(KillAll.class, m -> { instances.killAll(m.reason()); return afterStop(waiters); })
                .onMessage(Restart.class, m -> refuse(m, instances.none() ? name() + " is stopped; start it instead" : stopBusy()))
                .onMessage(StopService.class, m -> refuse(m, instances.none() ? OpResult.ok(name() + " stopped")
                        : OpResult.conflict(stopBusy())))
                .onMessage(StartService.class, m -> instances.none() ? onStartService(m) : refuse(m, stopBusy()))
                .onMessage(SignalInstances.class, this::onSignal)
                .onMessage(Reconfigure.class, m -> { onReconfigureStopped(m); return afterStop(waiters); })
                .onMessage(Usage.class, m -> Behaviors.same())
                .onMessageEquals(ScalingTick.INSTANCE, Behaviors::same)
                .onMessage(Stop.class, m -> onShutdown(endStop(waiters, m)))
                .onMessage(RollDeadline.class, m -> Behaviors.same())
                .onSignal(Terminated.class, s -> { instances.onGone(s); return afterStop(waiters); })
                .build();
    }

    // STOPPING: procpool is shutting down; every instance has been told to stop; stop when all are gone.
    private Behavior<Command> stopping() {
        if (instances.none()) {
            announcer.now();
            log().info("{}: stopped", name());
            return Behaviors.stopped();
        }
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, m -> { onInstanceEvent(m); return stopping(); })
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(Operation.class, m -> refuse(m, name() + " is shutting down"))
                .onMessage(KillAll.class, m -> { instances.killAll(m.reason()); return stopping(); })
                .onMessage(Command.class, m -> Behaviors.same())
                .onSignal(Terminated.class, s -> { instances.onGone(s); return stopping(); })
                .build();
    }

    /** After a change while STOPPED: a stop under way may be complete now. */
    private Behavior<Command> afterStop(List<ActorRef<OpResult>> waiters) {
        return waiters.isEmpty() ? Behaviors.same() : stopped(waiters);
    }

    private Behavior<Command> refuse(Operation op, String why) {
        return refuse(op, OpResult.conflict(why));
    }

    private Behavior<Command> refuse(Operation op, OpResult answer) {
        op.replyTo().tell(answer);
        return Behaviors.same();
    }

    private void onInstanceEvent(InstanceEvent m) {
        // Probe figures change with every probe; the status carries them at most once a second.
        if (instances.onEvent(m.event()) && !timers.isTimerActive(PublishFigures.INSTANCE)) {
            timers.startSingleTimer(PublishFigures.INSTANCE, FIGURES_PUBLISH_INTERVAL);
        }
    }

    private String stopBusy() {
        return name() + ": a service stop is under way (" + instances.alive() + "); wait for it to end (GET /status/"
                + name() + " follows it)";
    }

    // ---- the roll ---------------------------------------------------------------------------

    /** Begins a roll over {@code ports}; RUNNING again at once if there was nothing to wait for. */
    private Behavior<Command> beginRoll(List<Integer> ports, ActorRef<OpResult> replyTo, String why, RestartReason reason) {
        announcer.operationStarted(name(), why);
        log().info("{}: {}: replacing {} instance(s)", name(), why, ports.size());
        Roll.Next next = Roll.begin(name(), ports, why, reason, instances.view);
        Roll before = new Roll(name(), why, reason, List.of(), 0, 0, List.of(), new Roll.Between(), 0);
        return apply(new Rolling(before, replyTo), next);
    }

    /** After a change while ROLLING: the roll looks at the slots again. */
    private Behavior<Command> advance(Rolling r) {
        return apply(r, r.roll().advance(instances.view));
    }

    /** Carries out what the roll decided; the roll that follows, or RUNNING once it is over. */
    private Behavior<Command> apply(Rolling r, Roll.Next next) {
        carryOut(r, next);
        if (next.roll().isEmpty()) {
            instances.want(desired, "scaled down");
            return running();
        }
        Roll roll = next.roll().get();
        instances.want(desired + roll.surplus(), "scaled down");
        if (roll.stepNo() != r.roll().stepNo()) {
            Duration deadline = OperationDeadlines.rollStep(instances.settings());
            timers.startSingleTimer(RollDeadline.class, new RollDeadline(roll.stepNo(), deadline), deadline);
        }
        return rolling(new Rolling(roll, r.replyTo()));
    }

    private void carryOut(Rolling r, Roll.Next next) {
        for (Roll.Action a : next.actions()) {
            if (a instanceof Roll.End end) {
                timers.cancel(RollDeadline.class);
                endOperation(r.roll().why(), end.result(), r.replyTo());
            } else {
                instances.carryOut(a, r.roll().reason(), r.roll().why());
            }
        }
    }

    /** Ends a roll that another command overrides, then hands that command on. */
    private <T> T endRoll(Rolling r, Roll.Next aborted, T then) {
        carryOut(r, aborted);
        instances.want(desired, "scaled down");
        return then;
    }

    private void endOperation(String operation, OpResult result, ActorRef<OpResult> replyTo) {
        if (result.ok()) {
            log().info("{}: {}", name(), result.message());
        } else {
            log().warn("{}: {}", name(), result.message());
        }
        if (replyTo != null) {
            replyTo.tell(result);
        }
        announcer.operationEnded(name(), operation, result);
    }

    // ---- operations ---------------------------------------------------------------------------

    /** The cluster's share for this node, within its ports. */
    private int placeable(Place m) {
        return Math.max(0, Math.min(m.count(), instances.settings().ports().size()));
    }

    private void onPlace(Place m) {
        int n = placeable(m);
        if (n == desired) {
            return;
        }
        log().info("{}: the cluster places {} instance(s) on this node (was {}): {}", name(), n, desired, m.reason());
        desired = n;
        desiredBeforeStop = n;
        instances.want(desired, "the cluster placed it elsewhere: " + m.reason());
    }

    private void onKillAll(KillAll m) {
        if (instances.aliveCount() > 0) {
            log().error("{}: killing {} instance(s) at once: {}", name(), instances.aliveCount(), m.reason());
        }
        desired = 0;
        instances.killAll(m.reason());
    }

    private Behavior<Command> onScale(Scale m) {
        ServiceSettings service = instances.settings();
        if (placed) {
            return refuse(m, OpResult.invalid(name() + " runs on a cluster, where min-processes..max-processes count across the "
                    + "nodes: the cluster scales it (the admin API, poolctl or ProcessPool.scale on any node), not one node's pool"));
        }
        if (m.instances() < service.minProcesses() || m.instances() > service.maxProcesses()) {
            return refuse(m, OpResult.invalid("instances must be between " + service.minProcesses() + " and "
                    + service.maxProcesses() + " (min-processes..max-processes of " + name() + "), got " + m.instances()));
        }
        log().info("{}: scaling from {} to {} instance(s)", name(), desired, m.instances());
        int from = desired;
        desired = m.instances();
        desiredBeforeStop = desired;
        instances.want(desired, "scaled down from " + from + " to " + desired + " instance(s) by request");
        OpResult result = OpResult.ok(name() + " scaled to " + desired + " instance(s)");
        announcer.operationEnded(name(), "scale", result);
        m.replyTo().tell(result);
        return running();
    }

    private Behavior<Command> onRestart(Restart m) {
        Behavior<Command> next = beginRoll(instances.assignedPorts(), m.waitForEnd() ? m.replyTo() : null, "rolling restart",
                RestartReason.MANUAL);
        if (!m.waitForEnd()) {
            m.replyTo().tell(underWay.map(w -> OpResult.ok(w + ": under way"))
                    .orElseGet(() -> announcer.lastOperation().flatMap(o -> o.result()).orElseThrow()));
        }
        return next;
    }

    private Behavior<Command> onStopService(StopService m) {
        if (desired > 0) {
            desiredBeforeStop = desired;
        }
        log().info("{}: stopping every instance (service stop requested)", name());
        desired = 0;
        door.stopped(name(), true);
        instances.want(0, "service stop requested");
        if (instances.none()) {
            OpResult result = OpResult.ok(name() + " stopped");
            announcer.operationEnded(name(), "service stop", result);
            m.replyTo().tell(result);
            return stopped(List.of());
        }
        announcer.operationStarted(name(), "service stop");
        Duration deadline = OperationDeadlines.stop(instances.settings());
        timers.startSingleTimer(StopDeadline.class, new StopDeadline(deadline), deadline);
        return stopped(List.of(m.replyTo()));
    }

    private Behavior<Command> onStopDeadline(List<ActorRef<OpResult>> waiters, StopDeadline m) {
        if (waiters.isEmpty()) {
            return Behaviors.same();
        }
        OpResult late = OpResult.failed(name() + ": not every instance stopped within " + Backoff.format(m.after())
                + " (drain.delay + drain.timeout + stop.timeout + 5s after SIGKILL + 10s): " + instances.alive() + "; they are still being stopped");
        waiters.forEach(w -> w.tell(late));
        announcer.operationEnded(name(), "service stop", late);
        return stopped(List.of());
    }

    /** Procpool's shutdown overrides a service stop under way: its waiters are told. */
    private <T> T endStop(List<ActorRef<OpResult>> waiters, T then) {
        if (!waiters.isEmpty()) {
            timers.cancel(StopDeadline.class);
            OpResult cut = OpResult.failed(name() + ": procpool is shutting down");
            waiters.forEach(w -> w.tell(cut));
            announcer.operationEnded(name(), "service stop", cut);
        }
        return then;
    }

    private Behavior<Command> onStartService(StartService m) {
        desired = placed ? desiredBeforeStop : Math.max(1, Math.max(instances.settings().minProcesses(), desiredBeforeStop));
        log().info("{}: starting {} instance(s) (service start requested)", name(), desired);
        door.stopped(name(), false);
        instances.want(desired, "scaled down");
        OpResult result = OpResult.ok(name() + " started with " + desired + " instance(s)");
        announcer.operationEnded(name(), "service start", result);
        m.replyTo().tell(result);
        return running();
    }

    /**
     * {@code start} on a running service starts its FAILED instances again at once, with a fresh
     * restart budget, as supervisorctl's {@code start} does for a FATAL process; instances that are
     * running, starting or backing off are left alone.
     */
    private Behavior<Command> onStartFailed(StartService m) {
        List<Integer> failed = instances.failed();
        if (failed.isEmpty()) {
            return refuse(m, OpResult.ok(name() + " is already running " + desired + " instance(s)"));
        }
        failed.forEach(port -> instances.restartNow(port, "start requested: starting again (it was FAILED)", RestartReason.MANUAL));
        OpResult result = OpResult.ok(name() + ": started " + failed.stream().map(p -> ":" + p)
                .collect(Collectors.joining(", ")) + " again (FAILED), with a fresh restart budget");
        announcer.operationEnded(name(), "service start", result);
        return refuse(m, result);
    }

    /** A signal goes to what runs now, in any mode but shutdown; it changes no mode and no count. */
    private Behavior<Command> onSignal(SignalInstances m) {
        List<String> sent = instances.signal(m.signal());
        if (sent.isEmpty()) {
            return refuse(m, OpResult.conflict(name() + " has no running instance; SIG" + m.signal() + " was not sent"));
        }
        log().info("{}: SIG{} sent to {} (requested)", name(), m.signal(), String.join(", ", sent));
        OpResult result = OpResult.ok(name() + ": SIG" + m.signal() + " sent to " + String.join(", ", sent));
        announcer.operationEnded(name(), "signal SIG" + m.signal(), result);
        m.replyTo().tell(result);
        return Behaviors.same();
    }

    private Behavior<Command> onUsage(Usage m) {
        List<ResourceGuard.Breach> breaches = load.onSample(m.sample(), m.interval(), instances.ready(), instances.settings());
        if (breaches.isEmpty()) {
            return Behaviors.same();
        }
        // One replacement at a time; another breach is seen again if it lasts.
        ResourceGuard.Breach b = breaches.get(0);
        log().warn("{}:{} {}; replacing it", name(), b.port(), b.reason());
        return beginRoll(List.of(b.port()), null, "over its resource limits (" + b.reason() + ")", RestartReason.RESOURCE);
    }

    private Behavior<Command> onScalingTick() {
        ServiceSettings service = instances.settings();
        if (placed) {
            // On a cluster the count is the cluster's: this pool only reads its load, which its
            // node reports, and the placement coordinator decides over every node's.
            OptionalDouble now = desired == 0 ? OptionalDouble.empty() : load.observe(service, instances.ready());
            if (!now.equals(observed)) {
                observed = now;
                announcer.soon();
            }
            return Behaviors.same();
        }
        if (desired == 0) {
            return Behaviors.same();
        }
        var sample = load.scalingSample(service, desired, instances.ready());
        if (sample.isEmpty() || sample.get().getKey().scaleTo().isEmpty()) {
            return Behaviors.same();
        }
        int to = sample.get().getKey().scaleTo().getAsInt();
        double observed = sample.get().getValue();
        ScalingMetric metric = ScalingMetric.of(service.scaling());
        double target = metric.target(service.scaling());
        String window = Backoff.format(to > desired ? service.scaling().upAfter() : service.scaling().downAfter());
        String reason = String.format(java.util.Locale.ROOT, "%s %.3f per instance vs target %.3f for %s", metric.name(),
                observed, target, window);
        log().info("{}: autoscaling {} -> {} instance(s): {}", name(), desired, to, reason);
        announcer.scaled(new ScalingEvent(Instant.now(), name(), desired, to, metric.name(), observed, target, reason));
        desired = to;
        desiredBeforeStop = to;
        load.resetScaling();
        instances.want(desired, "scaled down by autoscaling: " + reason);
        return Behaviors.same();
    }

    /** New settings while RUNNING or ROLLING: roll every instance over, or adjust in place. */
    private Behavior<Command> onReconfigure(Reconfigure m, Rolling r) {
        ServiceSettings next = m.settings();
        boolean rolls = instances.settings().runsDifferently(next);
        Set<Integer> removed = adopt(next);
        if (rolls) {
            if (r != null) {
                endRoll(r, r.roll().abort("the configuration changed again"), null);
            }
            log().info("{}: command, environment or working dir changed; rolling every instance over", next.name());
            instances.want(desired, "scaled down");
            m.replyTo().tell(OpResult.ok(next.name() + ": rolling " + desired + " instance(s) over to the new command"));
            return beginRoll(instances.assignedPorts(), null, "configuration changed", RestartReason.MANUAL);
        }
        instances.updateInPlace(next);
        log().info("{}: settings adjusted in place ({} instance(s))", next.name(), desired);
        m.replyTo().tell(OpResult.ok(next.name() + ": adjusted in place"));
        if (r == null) {
            instances.want(desired, "scaled down");
            return running();
        }
        return apply(r, r.roll().forget(removed, instances.view));
    }

    /** New settings while STOPPED: nothing runs, so nothing rolls. */
    private void onReconfigureStopped(Reconfigure m) {
        adopt(m.settings());
        m.replyTo().tell(OpResult.ok(m.settings().name() + ": adjusted (stopped)"));
    }

    /** Takes {@code next} as the service's settings, the desired count within its new bounds; the ports removed. */
    private Set<Integer> adopt(ServiceSettings next) {
        Set<Integer> removed = instances.adopt(next);
        if (placed) {
            desired = Math.min(desired, next.ports().size());
            desiredBeforeStop = desired;
        } else if (desired > 0) {
            desired = Math.max(next.minProcesses(), Math.min(next.maxProcesses(), desired));
            desiredBeforeStop = desired;
        }
        load.resetScaling();
        startScalingTimer();
        return removed;
    }

    private void startScalingTimer() {
        if (instances.settings().scaling().enabled()) {
            timers.startTimerWithFixedDelay(ScalingTick.INSTANCE, instances.settings().scaling().interval());
        } else {
            timers.cancel(ScalingTick.INSTANCE);
        }
    }

    private Behavior<Command> onShutdown(Stop m) {
        log().info("{}: stopping {} instance(s): {}", name(), instances.aliveCount(), m.reason());
        desired = 0;
        timers.cancel(ScalingTick.INSTANCE);
        timers.cancel(RollDeadline.class);
        timers.cancel(StopDeadline.class);
        instances.stopAll(m.reason());
        underWay = Optional.empty();
        announcer.now();
        return stopping();
    }

    private Behavior<Command> onPublishFigures() {
        announcer.now();
        return Behaviors.same();
    }

    private Behavior<Command> onFlush() {
        announcer.flush();
        return Behaviors.same();
    }
}
