package io.procpool.supervision;

import io.procpool.InstanceState;
import io.procpool.ServiceState;
import io.procpool.InstanceStatus;
import io.procpool.ServiceStatus;
import io.procpool.ExitRecord;
import io.procpool.OperationEvent;
import io.procpool.PoolEvent;
import io.procpool.ScalingEvent;
import io.procpool.OpResult;
import io.procpool.config.RestartSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.metrics.PoolMetrics.RestartReason;
import io.procpool.process.LaunchException;
import io.procpool.process.ResourceSampler;
import io.procpool.scaling.ResourceGuard;
import io.procpool.scaling.ScalingMetric;
import io.procpool.scaling.ScalingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One service: keeps one {@link InstanceActor} per assigned port and supervises them.
 *
 * <p>Supervision is declared at spawn: an instance that throws {@link InstanceFailed} (its process
 * exited unexpectedly, or was stopped for failing its probes) is restarted by Pekko with
 * exponential backoff and jitter; after {@code restart.max-restarts} consecutive restarts without
 * a stable run Pekko stops it instead, this actor sees it as {@link ChildFailed}, marks the port
 * FAILED and tries again after {@code restart.cooldown}. The rest of the pool is not affected.
 *
 * <p>It also runs the service's operations: scaling between min and max (lowest free port first,
 * the newest instance first out), rolling restarts (see {@link Roll}), and stopping and starting
 * the service while procpool runs.
 *
 * <p>This actor is the one place where instance transitions are logged and published as
 * {@link PoolEvent}s, and it pushes a {@link ServiceStatus} to its listener after every change, so
 * status queries never have to reach an instance.
 */
public final class PoolActor {

    /**
     * Where InstanceActors run: a thread of their own, apart from the pools' bookkeeping (status,
     * events, metrics) and the admin API, so that none of it ever holds up a restart.
     */
    static final DispatcherSelector INSTANCE_DISPATCHER = DispatcherSelector.fromConfig("procpool.instance-dispatcher");

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

    /** Run {@code instances} instances (between min-processes and max-processes). */
    public record Scale(int instances, ActorRef<OpResult> replyTo) implements Operation {
    }

    /**
     * Replace every instance: those not ready at once, the ready ones one at a time, each only
     * after its replacement is ready.
     *
     * @param replyTo gets the outcome
     * @param waitForEnd true: answer when the roll is over; false: as soon as it has begun (or is
     *     refused)
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
     * Take new settings: a changed command, environment or working dir rolls every instance
     * over to them; anything else (counts, ports, probe, stop, limits, scaling) is adjusted in
     * place, running processes untouched.
     */
    public record Reconfigure(ServiceSettings settings, ActorRef<OpResult> replyTo) implements Operation {
    }

    /** A sample of what the instances' process trees cost (sent by the root while it samples). */
    public record Usage(ResourceSampler.Sample sample, Duration interval) implements Command {
    }

    private enum ScalingTick implements Command {
        INSTANCE
    }

    private record InstanceEvent(InstanceActor.Event event) implements Command {
    }

    private record CooldownOver(int port) implements Command {
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

    /** Publish the status and the events of the transitions since the last publication. */
    private enum Flush implements Command {
        INSTANCE
    }

    private static final Duration FIGURES_PUBLISH_INTERVAL = Duration.ofSeconds(1);

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private ServiceSettings service;
    private final PoolEnvironment env;
    private final ActorRef<ServiceStatus> listener;
    private final ActorRef<InstanceActor.Event> events;
    private final Map<Integer, Slot> slots = new LinkedHashMap<>();
    private final Roll roll;
    private final LoadWatch load = new LoadWatch();
    private final List<ActorRef<OpResult>> stopWaiters = new ArrayList<>();
    private int desired;
    /** Events of transitions not yet published (they go out right after the status that includes them). */
    private final List<Object> pendingEvents = new ArrayList<>();
    /** A {@link Flush} is in the mailbox. */
    private boolean flushPending;
    /** Transitions happened since the last publication. */
    private boolean dirty;
    private int desiredBeforeStop;
    private long spawns;
    private boolean stopRequested;
    /** The latest operation that ended, for the status. */
    private Optional<OperationEvent> lastOperation = Optional.empty();

    /**
     * @param service the service to run
     * @param env the seams to run it against
     * @param listener receives the service's status after every change
     */
    public static Behavior<Command> create(ServiceSettings service, PoolEnvironment env, ActorRef<ServiceStatus> listener) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolActor(ctx, timers, service, env, listener).start()));
    }

    private PoolActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ServiceSettings service,
                      PoolEnvironment env, ActorRef<ServiceStatus> listener) {
        this.ctx = ctx;
        ctx.setLoggerName(PoolActor.class);
        this.timers = timers;
        this.service = service;
        this.env = env;
        this.listener = listener;
        this.events = ctx.messageAdapter(InstanceActor.Event.class, InstanceEvent::new);
        this.roll = new Roll(this);
        for (int port : service.ports()) {
            slots.put(port, new Slot(port));
        }
    }

    private Behavior<Command> start() {
        desired = service.minProcesses();
        desiredBeforeStop = desired;
        reconcile();
        publish();
        startScalingTimer();
        return running();
    }

    private void startScalingTimer() {
        if (service.scaling().enabled()) {
            timers.startTimerWithFixedDelay(ScalingTick.INSTANCE, service.scaling().interval());
        } else {
            timers.cancel(ScalingTick.INSTANCE);
        }
    }

    // RUNNING: instances are kept alive; failures are restarted; operations are accepted.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, this::onInstanceEvent)
                .onMessage(CooldownOver.class, this::onCooldownOver)
                .onMessage(RollDeadline.class, this::onRollDeadline)
                .onMessage(StopDeadline.class, this::onStopDeadline)
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(Scale.class, this::onScale)
                .onMessage(Restart.class, this::onRestart)
                .onMessage(StopService.class, this::onStopService)
                .onMessage(StartService.class, this::onStartService)
                .onMessage(Reconfigure.class, this::onReconfigure)
                .onMessage(Usage.class, this::onUsage)
                .onMessageEquals(ScalingTick.INSTANCE, this::onScalingTick)
                .onMessage(Stop.class, this::onStop)
                .onSignal(ChildFailed.class, this::onChildFailed)
                .onSignal(Terminated.class, this::onTerminated)
                .build();
    }

    // STOPPING: every instance has been told to stop; nothing is restarted; stop when all are gone.
    private Behavior<Command> stopping() {
        if (slots.values().stream().allMatch(s -> s.ref == null)) {
            publish();
            ctx.getLog().info("{}: stopped", service.name());
            return Behaviors.stopped();
        }
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, this::onInstanceEvent)
                .onMessage(CooldownOver.class, m -> Behaviors.same())
                .onMessage(RollDeadline.class, m -> Behaviors.same())
                .onMessage(StopDeadline.class, m -> Behaviors.same())
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessage(Operation.class, this::rejectWhileStopping)
                .onMessage(Usage.class, m -> Behaviors.same())
                .onMessageEquals(ScalingTick.INSTANCE, Behaviors::same)
                .onMessage(Stop.class, m -> Behaviors.same())
                .onSignal(Terminated.class, this::onChildGoneWhileStopping)
                .build();
    }

    private Behavior<Command> onChildGoneWhileStopping(Terminated s) {
        if (s instanceof ChildFailed failed) {
            onChildFailed(failed);
        } else {
            onTerminated(s);
        }
        return stopping();
    }

    private Behavior<Command> rejectWhileStopping(Operation op) {
        op.replyTo().tell(OpResult.conflict(service.name() + " is shutting down"));
        return Behaviors.same();
    }

    // ---- instances ------------------------------------------------------------------------

    /** Starts or stops instances until exactly {@code desired} ports are assigned (plus a surge replacement). */
    private void reconcile() {
        reconcile("scaled down");
    }

    private void reconcile(String stopReason) {
        int target = desired + roll.surplus();
        while (assigned().size() < target) {
            Optional<Slot> free = lowestFree();
            if (free.isEmpty()) {
                break; // a port is still being vacated; its Terminated reconciles again
            }
            free.get().assigned = true;
            spawn(free.get(), 0);
        }
        while (assigned().size() > target) {
            Slot newest = assigned().stream().max(Comparator.comparingLong(s -> s.spawnSeq)).orElseThrow();
            newest.assigned = false;
            timers.cancel(new CooldownOver(newest.port));
            stopInstance(newest, stopReason);
        }
    }

    List<Slot> assigned() {
        return slots.values().stream().filter(s -> s.assigned).toList();
    }

    Optional<Slot> lowestFree() {
        return slots.values().stream().filter(Slot::free).findFirst();
    }

    Slot slot(int port) {
        return slots.get(port);
    }

    /**
     * Spawns a fresh instance actor (a fresh restart budget) on {@code slot}.
     *
     * @param restarts the restarts it starts with: 0 for a new instance, one more than its
     *     predecessor's when it takes an earlier instance's place (see docs/api.md, "restarts")
     */
    private void spawn(Slot slot, int restarts) {
        Behavior<InstanceActor.Command> instance = InstanceActor.supervised(service, slot.port, env, events);
        slot.restarts = restarts;
        slot.respawnAfterStop = false;
        slot.spawnSeq = ++spawns;
        slot.spawnedWith = service;
        load.forget(slot.port);
        slot.ref = ctx.spawn(instance, "port-" + slot.port + "-" + slot.spawnSeq, INSTANCE_DISPATCHER);
        slot.consecutive = 0;
        ctx.watch(slot.ref);
    }

    /** Starts {@code replacement} (a spare port) to take {@code old}'s place: a restart of {@code old}. */
    void spawnReplacement(Slot replacement, Slot old, RestartReason why) {
        env.metrics().restarted(service.name(), why);
        spawn(replacement, old.restarts + 1);
    }

    /**
     * Restarts the instance on {@code slot} now, whatever it is doing, with a fresh restart budget:
     * a FAILED one that has no actor left is spawned at once (its cooldown forgotten); any other is
     * stopped and spawned again on its port as soon as it is gone.
     */
    void restartNow(Slot slot, String reason, RestartReason why) {
        timers.cancel(new CooldownOver(slot.port));
        if (slot.ref == null) {
            ctx.getLog().info("{}:{} {}", service.name(), slot.port, reason);
            env.metrics().restarted(service.name(), why);
            spawn(slot, slot.restarts + 1);
        } else {
            slot.respawnAfterStop = true;
            slot.respawnReason = why;
            stopInstance(slot, reason);
        }
    }

    /** Stops the instance on {@code slot}, whatever it is doing; its Terminated follows. */
    void stopInstance(Slot slot, String reason) {
        slot.stopReason = reason;
        if (slot.ref == null) {
            if (slot.state != InstanceState.STOPPED) {
                transition(slot, InstanceState.STOPPED, OptionalLong.empty(), reason);
            }
        } else if (slot.state == InstanceState.BACKOFF || slot.state == InstanceState.FAILED) {
            // Waiting out a restart delay: no process to stop, and a message would wait
            // (stashed) until the restart. Stopping the actor cancels the restart.
            ctx.stop(slot.ref);
        } else {
            slot.ref.tell(new InstanceActor.Stop(reason));
        }
    }

    private Behavior<Command> onInstanceEvent(InstanceEvent m) {
        Slot slot = slots.get(m.event().port());
        if (slot == null || slot.ref == null || !slot.ref.equals(m.event().instance())) {
            return Behaviors.same(); // from an instance that has since been replaced
        }
        if (m.event() instanceof InstanceActor.StableRun) {
            slot.consecutive = 0;
        } else if (m.event() instanceof InstanceActor.ProbeCompleted p) {
            slot.health = Optional.of(p.figures());
            env.metrics().probed(service.name(), Duration.ofNanos((long) (p.figures().lastLatencyMs() * 1_000_000)));
            // Figures change with every probe; the status carries them at most once a second.
            if (!timers.isTimerActive(PublishFigures.INSTANCE)) {
                timers.startSingleTimer(PublishFigures.INSTANCE, FIGURES_PUBLISH_INTERVAL);
            }
        } else if (m.event() instanceof InstanceActor.StateChanged e) {
            onStateChanged(slot, e);
        }
        return Behaviors.same();
    }

    private void onStateChanged(Slot slot, InstanceActor.StateChanged e) {
        InstanceState to = e.state();
        String detail = e.reason();
        if (to == InstanceState.STARTING && slot.state == InstanceState.BACKOFF) {
            // Pekko's restart of the instance: counted when it happens, not at the exit, so that an
            // exit that spends the budget (FAILED) is no restart until one is tried.
            slot.restarts++;
            env.metrics().restarted(service.name(), slot.failCause);
        }
        if (to == InstanceState.BACKOFF) {
            slot.failCause = e.cause() == InstanceActor.Cause.UNHEALTHY ? RestartReason.UNHEALTHY : RestartReason.EXIT;
            // The budget and delays are those of the supervisor the instance was spawned under.
            RestartSettings r = slot.spawnedWith.restart();
            int n = slot.consecutive;
            if (Backoff.exhausted(r, n)) {
                to = InstanceState.FAILED;
                detail += "; restart budget spent (" + n + " restarts without a run of " + Backoff.format(r.resetAfter()) + ")";
            } else {
                slot.consecutive = n + 1;
                detail += "; restart " + (n + 1) + " of " + r.maxRestarts() + " in " + delayText(r, n);
            }
        }
        if (to == InstanceState.STARTING && e.pid().isEmpty()) {
            slot.health = Optional.empty(); // a new process has not been probed yet
            load.forget(slot.port);
        }
        if (e.exit().isPresent()) {
            slot.lastExit = e.exit();
            slot.recordExit(new ExitRecord(Instant.now(), e.pid().orElse(0), e.exit().get(), detail));
        }
        transition(slot, to, e.pid(), detail);
        if (stopRequested && (to == InstanceState.BACKOFF || to == InstanceState.FAILED)) {
            // Crashed while the service is being stopped: cancel its restart instead of starting
            // a process only to stop it.
            ctx.stop(slot.ref);
        } else if (!slot.assigned && (to == InstanceState.BACKOFF || to == InstanceState.FAILED)) {
            ctx.stop(slot.ref); // scaled away while it was failing
        }
        roll.onStateChanged(slot);
    }

    /** The one place where a slot changes state: log, event, status. */
    void transition(Slot slot, InstanceState to, OptionalLong pid, String detail) {
        InstanceState from = slot.state;
        if (pid.isPresent()) {
            slot.pid = pid;
        }
        if ((to == InstanceState.RUNNING || to == InstanceState.HEALTHY || to == InstanceState.STARTING && pid.isPresent())
                && slot.startedNanos == 0) {
            slot.startedNanos = env.clock().getAsLong();
        }
        if (!to.live() || to == InstanceState.STARTING && pid.isEmpty()) {
            slot.clearProcess();
        }
        slot.state = to;
        slot.reason = detail;
        logTransition(slot, from, to, pid, detail);
        if (from != to) {
            // A second report in the same state (STARTING, then STARTING with the pid once the
            // process exists) is logged and shown in the status, but is no transition.
            pendingEvents.add(new PoolEvent(Instant.now(), service.name(), slot.port, pid, from, to, detail));
        }
        publishSoon();
    }

    /**
     * Publishes a transition: at once when the pool is quiet, coalesced in a burst. A status is
     * every instance of the pool, so publishing each of 500 instances starting or stopping at once
     * is quadratic work and garbage. The first transition publishes and sends the pool a
     * {@link Flush}; transitions that arrive before the Flush comes up in the mailbox (the rest of
     * the burst) only mark the status dirty, and go out together, status then events, with it.
     */
    private void publishSoon() {
        if (flushPending) {
            dirty = true;
            return;
        }
        publish();
        flushPending = true;
        ctx.getSelf().tell(Flush.INSTANCE);
    }

    private Behavior<Command> onFlush() {
        flushPending = false;
        if (dirty) {
            publish();
        }
        return Behaviors.same();
    }

    private static String delayText(RestartSettings r, int n) {
        Duration lo = Backoff.base(r, n);
        Duration hi = Backoff.upper(r, n);
        return lo.equals(hi) ? Backoff.format(lo) : Backoff.format(lo) + ".." + Backoff.format(hi);
    }

    private Behavior<Command> onChildFailed(ChildFailed s) {
        Slot slot = slotOf(s.getRef());
        if (slot == null) {
            return Behaviors.same();
        }
        slot.ref = null;
        Throwable cause = s.getCause();
        String reason = cause instanceof LaunchException ? cause.getMessage()
                : cause instanceof InstanceFailed ? slot.reason
                : "internal error: " + cause;
        if (!(cause instanceof LaunchException) && !(cause instanceof InstanceFailed)) {
            ctx.getLog().error("{}:{} instance actor failed", service.name(), slot.port, cause);
        }
        if (!slot.assigned || stopRequested || slot.respawnAfterStop) {
            onVacated(slot);
            return Behaviors.same();
        }
        Duration cooldown = service.restart().cooldown();
        boolean retry = service.restart().retriesAfterCooldown();
        String next = retry ? "; retrying in " + Backoff.format(cooldown) : "; not retried (restart.cooldown = 0)";
        if (retry) {
            timers.startSingleTimer(new CooldownOver(slot.port), new CooldownOver(slot.port), cooldown);
        }
        if (slot.state == InstanceState.FAILED) {
            // Already logged as FAILED when the budget ran out; say only what happens next.
            ctx.getLog().info("{}:{} FAILED{}", service.name(), slot.port, next);
            slot.reason = slot.reason + next;
            publish();
        } else {
            transition(slot, InstanceState.FAILED, OptionalLong.empty(), reason + next);
        }
        roll.onStateChanged(slot);
        return Behaviors.same();
    }

    private Behavior<Command> onTerminated(Terminated s) {
        Slot slot = slotOf(s.getRef());
        if (slot != null) {
            slot.ref = null;
            onVacated(slot);
        }
        return Behaviors.same();
    }

    /** The instance actor on {@code slot} is gone: the port is free unless it should run again. */
    private void onVacated(Slot slot) {
        if (!service.ports().contains(slot.port)) {
            slots.remove(slot.port); // its port was removed from the configuration
        }
        if (slot.state != InstanceState.STOPPED) {
            // Stopped while backing off or failed: there was no process to stop.
            transition(slot, InstanceState.STOPPED, OptionalLong.empty(), slot.stopReason == null ? "stopped" : slot.stopReason);
        }
        if (slot.respawnAfterStop && slot.assigned && !stopRequested) {
            env.metrics().restarted(service.name(), slot.respawnReason);
            spawn(slot, slot.restarts + 1);
        } else if (!stopRequested) {
            slot.respawnAfterStop = false;
            reconcile();
        }
        roll.onVacated(slot);
        if (!stopWaiters.isEmpty() && slots.values().stream().allMatch(x -> x.ref == null)) {
            endServiceStop(OpResult.ok(service.name() + " stopped"));
        }
        publish();
    }

    private Behavior<Command> onCooldownOver(CooldownOver m) {
        Slot slot = slots.get(m.port());
        if (slot != null && slot.ref == null && slot.assigned && slot.state == InstanceState.FAILED) {
            ctx.getLog().info("{}:{} cooldown over; starting again", service.name(), slot.port);
            env.metrics().restarted(service.name(), slot.failCause);
            spawn(slot, slot.restarts + 1);
        }
        return Behaviors.same();
    }

    // ---- operations ------------------------------------------------------------------------

    private Behavior<Command> onScale(Scale m) {
        if (m.instances() < service.minProcesses() || m.instances() > service.maxProcesses()) {
            m.replyTo().tell(OpResult.invalid("instances must be between " + service.minProcesses() + " and "
                    + service.maxProcesses() + " (min-processes..max-processes of " + service.name() + "), got " + m.instances()));
        } else if (roll.active()) {
            m.replyTo().tell(OpResult.conflict(roll.busy()));
        } else if (stopUnderWay()) {
            m.replyTo().tell(OpResult.conflict(stopBusy()));
        } else {
            ctx.getLog().info("{}: scaling from {} to {} instance(s)", service.name(), desired, m.instances());
            int from = desired;
            desired = m.instances();
            desiredBeforeStop = desired;
            reconcile("scaled down from " + from + " to " + desired + " instance(s) by request");
            OpResult result = OpResult.ok(service.name() + " scaled to " + desired + " instance(s)");
            operationEnded("scale", result);
            publish();
            m.replyTo().tell(result);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onRestart(Restart m) {
        if (stopUnderWay()) {
            m.replyTo().tell(OpResult.conflict(stopBusy()));
        } else if (desired == 0) {
            m.replyTo().tell(OpResult.conflict(service.name() + " is stopped; start it instead"));
        } else if (roll.active()) {
            m.replyTo().tell(OpResult.conflict(roll.busy()));
        } else if (m.waitForEnd()) {
            roll.begin(m.replyTo());
        } else {
            roll.begin(null);
            m.replyTo().tell(roll.active() ? OpResult.ok(roll.describe().orElseThrow() + ": under way")
                    : lastOperation.flatMap(OperationEvent::result).orElseThrow());
        }
        return Behaviors.same();
    }

    /** A service stop has been asked for and some instances are not gone yet. */
    private boolean stopUnderWay() {
        return desired == 0 && slots.values().stream().anyMatch(s -> s.ref != null);
    }

    private String stopBusy() {
        return service.name() + ": a service stop is under way (" + stillStopping() + "); wait for it to end (GET /status/"
                + service.name() + " follows it)";
    }

    private String stillStopping() {
        return slots.values().stream().filter(s -> s.ref != null).map(s -> ":" + s.port + " " + s.state)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private Behavior<Command> onStopService(StopService m) {
        if (stopUnderWay()) {
            m.replyTo().tell(OpResult.conflict(stopBusy()));
            return Behaviors.same();
        }
        roll.abort(service.name() + " was stopped");
        if (desired > 0) {
            desiredBeforeStop = desired;
        }
        ctx.getLog().info("{}: stopping every instance (service stop requested)", service.name());
        desired = 0;
        reconcile("service stop requested");
        if (slots.values().stream().allMatch(s -> s.ref == null)) {
            OpResult result = OpResult.ok(service.name() + " stopped");
            operationEnded("service stop", result);
            m.replyTo().tell(result);
        } else {
            operationStarted("service stop");
            stopWaiters.add(m.replyTo());
            Duration deadline = OperationDeadlines.stop(service);
            timers.startSingleTimer(StopDeadline.class, new StopDeadline(deadline), deadline);
        }
        publish();
        return Behaviors.same();
    }

    private void endServiceStop(OpResult result) {
        timers.cancel(StopDeadline.class);
        stopWaiters.forEach(w -> w.tell(result));
        stopWaiters.clear();
        operationEnded("service stop", result);
    }

    private Behavior<Command> onStopDeadline(StopDeadline m) {
        if (!stopWaiters.isEmpty() && stopUnderWay()) {
            endServiceStop(OpResult.failed(service.name() + ": not every instance stopped within " + Backoff.format(m.after())
                    + " (stop.timeout + 5s after SIGKILL + 10s): " + stillStopping() + "; they are still being stopped"));
            publish();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onStartService(StartService m) {
        if (stopUnderWay()) {
            m.replyTo().tell(OpResult.conflict(stopBusy()));
            return Behaviors.same();
        }
        if (desired > 0) {
            return startFailedInstances(m);
        }
        desired = Math.max(1, Math.max(service.minProcesses(), desiredBeforeStop));
        ctx.getLog().info("{}: starting {} instance(s) (service start requested)", service.name(), desired);
        reconcile();
        OpResult result = OpResult.ok(service.name() + " started with " + desired + " instance(s)");
        operationEnded("service start", result);
        publish();
        m.replyTo().tell(result);
        return Behaviors.same();
    }

    /**
     * {@code start} on a running service starts its FAILED instances again at once, with a fresh
     * restart budget, as supervisorctl's {@code start} does for a FATAL process; instances that are
     * running, starting or backing off are left alone.
     */
    private Behavior<Command> startFailedInstances(StartService m) {
        List<Slot> failed = assigned().stream().filter(s -> s.state == InstanceState.FAILED).toList();
        if (failed.isEmpty()) {
            m.replyTo().tell(OpResult.ok(service.name() + " is already running " + desired + " instance(s)"));
            return Behaviors.same();
        }
        for (Slot slot : failed) {
            restartNow(slot, "start requested: starting again (it was FAILED)", RestartReason.MANUAL);
        }
        OpResult result = OpResult.ok(service.name() + ": started " + failed.stream().map(s -> ":" + s.port)
                .collect(java.util.stream.Collectors.joining(", ")) + " again (FAILED), with a fresh restart budget");
        operationEnded("service start", result);
        publish();
        m.replyTo().tell(result);
        return Behaviors.same();
    }

    private Behavior<Command> onRollDeadline(RollDeadline m) {
        roll.onDeadline(m.step(), m.after());
        return Behaviors.same();
    }

    /** Arms the deadline of step {@code step} of the roll (replacing the previous step's). */
    void armRollDeadline(long step, Duration after) {
        timers.startSingleTimer(RollDeadline.class, new RollDeadline(step, after), after);
    }

    void cancelRollDeadline() {
        timers.cancel(RollDeadline.class);
    }

    /** An operation of some duration began: an event, so a dashboard can show it. */
    void operationStarted(String operation) {
        pendingEvents.add(new OperationEvent(Instant.now(), service.name(), operation, Optional.empty()));
    }

    /** An operation ended: an event, and the status keeps it as the last operation. */
    void operationEnded(String operation, OpResult result) {
        OperationEvent ended = new OperationEvent(Instant.now(), service.name(), operation, Optional.of(result));
        lastOperation = Optional.of(ended);
        pendingEvents.add(ended);
    }

    /** The settings the service runs with now. */
    ServiceSettings settings() {
        return service;
    }

    private Behavior<Command> onUsage(Usage m) {
        List<Slot> ready = readySlots();
        List<ResourceGuard.Breach> breaches = load.onSample(m.sample(), m.interval(), ready, service);
        for (ResourceGuard.Breach b : breaches) {
            if (roll.active()) {
                break; // one replacement at a time; the breach is seen again if it lasts
            }
            ctx.getLog().warn("{}:{} {}; replacing it", service.name(), b.port(), b.reason());
            roll.begin(List.of(b.port()), null, "over its resource limits (" + b.reason() + ")", RestartReason.RESOURCE);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onScalingTick() {
        if (roll.active() || desired == 0) {
            return Behaviors.same();
        }
        var sample = load.scalingSample(service, desired, readySlots());
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
        ctx.getLog().info("{}: autoscaling {} -> {} instance(s): {}", service.name(), desired, to, reason);
        pendingEvents.add(new ScalingEvent(Instant.now(), service.name(), desired, to, metric.name(), observed, target, reason));
        desired = to;
        desiredBeforeStop = to;
        load.resetScaling();
        reconcile("scaled down by autoscaling: " + reason);
        publish();
        return Behaviors.same();
    }

    private List<Slot> readySlots() {
        return slots.values().stream().filter(s -> s.assigned && s.ref != null
                && (s.state == InstanceState.HEALTHY || s.state == InstanceState.RUNNING)).toList();
    }

    private Behavior<Command> onReconfigure(Reconfigure m) {
        ServiceSettings next = m.settings();
        boolean rolls = service.runsDifferently(next);
        service = next;
        for (int port : next.ports()) {
            slots.putIfAbsent(port, new Slot(port));
        }
        List<Slot> removed = slots.values().stream().filter(slot -> !next.ports().contains(slot.port)).toList();
        removed.forEach(slot -> slot.assigned = false);
        roll.forget(removed.stream().map(slot -> slot.port).collect(java.util.stream.Collectors.toSet()));
        for (Slot slot : removed) {
            timers.cancel(new CooldownOver(slot.port));
            stopInstance(slot, "port " + slot.port + " was removed from the configuration");
        }
        slots.values().removeIf(s -> !next.ports().contains(s.port) && s.ref == null);
        if (desired > 0) {
            desired = Math.max(next.minProcesses(), Math.min(next.maxProcesses(), desired));
            desiredBeforeStop = desired;
        }
        load.resetScaling();
        startScalingTimer();
        if (rolls) {
            roll.abort("the configuration changed again");
            ctx.getLog().info("{}: command, environment or working dir changed; rolling every instance over", next.name());
            reconcile();
            if (desired > 0) {
                roll.begin(assigned().stream().map(x -> x.port).toList(), null, "configuration changed", RestartReason.MANUAL);
            }
            m.replyTo().tell(OpResult.ok(next.name() + ": rolling " + desired + " instance(s) over to the new command"));
        } else {
            slots.values().stream().filter(x -> x.ref != null).forEach(x -> x.ref.tell(new InstanceActor.UpdateSettings(next)));
            reconcile();
            ctx.getLog().info("{}: settings adjusted in place ({} instance(s))", next.name(), desired);
            m.replyTo().tell(OpResult.ok(next.name() + ": adjusted in place"));
        }
        publish();
        return Behaviors.same();
    }

    private Behavior<Command> onPublishFigures() {
        publish();
        return Behaviors.same();
    }

    private Behavior<Command> onStop(Stop m) {
        ctx.getLog().info("{}: stopping {} instance(s): {}", service.name(), slots.values().stream().filter(s -> s.ref != null).count(),
                m.reason());
        stopRequested = true;
        roll.abort(m.reason());
        if (!stopWaiters.isEmpty()) {
            endServiceStop(OpResult.failed(service.name() + ": " + m.reason()));
        }
        desired = 0;
        for (Slot slot : slots.values()) {
            timers.cancel(new CooldownOver(slot.port));
            slot.assigned = false;
            slot.respawnAfterStop = false;
            stopInstance(slot, m.reason());
        }
        publish();
        return stopping();
    }

    private Slot slotOf(ActorRef<Void> ref) {
        for (Slot s : slots.values()) {
            if (s.ref != null && s.ref.equals(ref)) {
                return s;
            }
        }
        return null;
    }

    private void logTransition(Slot slot, InstanceState from, InstanceState to, OptionalLong pid, String detail) {
        String pidText = pid.isPresent() ? " pid=" + pid.getAsLong() : "";
        String change = from == to ? to.name() : from + " -> " + to;
        String line = "{}:{} {}{} restarts={}: {}";
        Object[] args = {service.name(), slot.port, change, pidText, slot.restarts, detail};
        if (to == InstanceState.FAILED) {
            ctx.getLog().error(line, args);
        } else if (to == InstanceState.BACKOFF || to == InstanceState.UNHEALTHY) {
            ctx.getLog().warn(line, args);
        } else {
            ctx.getLog().info(line, args);
        }
    }

    void log(String format, Object... args) {
        ctx.getLog().info(format, args);
    }

    void warn(String format, Object... args) {
        ctx.getLog().warn(format, args);
    }

    io.procpool.metrics.PoolMetrics metrics() {
        return env.metrics();
    }

    String name() {
        return service.name();
    }

    /**
     * Publishes the status now, then the events of the transitions it includes: status first, so
     * whoever reacts to an event and asks for the status finds the event's outcome there.
     */
    void publish() {
        dirty = false;
        List<InstanceStatus> instances = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.assigned || s.ref != null || s.state != InstanceState.STOPPED) {
                // A running instance shows what it was started with: a roll may not have reached it yet.
                instances.add(s.status(s.ref != null && s.spawnedWith != null ? s.spawnedWith : service, env.logDir()));
            }
        }
        ServiceState state = ServiceState.of(desired, instances.stream().filter(i -> slots.get(i.port()).assigned).toList());
        listener.tell(new ServiceStatus(service.name(), state, desired, instances, service, roll.describe(), lastOperation));
        for (Object event : pendingEvents) {
            ctx.getSystem().eventStream().tell(new EventStream.Publish<>(event));
        }
        pendingEvents.clear();
    }
}
