package io.procpool.supervision;

import io.procpool.config.RestartSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.process.LaunchException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One service: keeps one {@link InstanceActor} per running port and supervises them.
 *
 * <p>Supervision is declared at spawn: an instance that throws {@link InstanceFailed} (its process
 * exited unexpectedly, or was stopped for failing its probes) is restarted by Pekko with
 * exponential backoff and jitter; after {@code restart.max-restarts} consecutive restarts without
 * a stable run Pekko stops it instead, this actor sees it as {@link ChildFailed}, marks the port
 * FAILED and tries again after {@code restart.cooldown}. The rest of the pool is not affected.
 *
 * <p>This actor is the one place where instance transitions are logged, and it pushes a
 * {@link ServiceStatus} to its listener after every change, so status queries never have to
 * reach an instance.
 */
public final class PoolActor {

    /** Messages a pool understands. */
    public sealed interface Command {
    }

    /** Stop every instance gracefully, in parallel; then stop this actor. */
    public enum Stop implements Command {
        INSTANCE
    }

    private record InstanceEvent(InstanceActor.Event event) implements Command {
    }

    private record CooldownOver(int port) implements Command {
    }

    /** Publishes probe figures that changed since the last status (at most once a second). */
    private enum PublishFigures implements Command {
        INSTANCE
    }

    private static final java.time.Duration FIGURES_PUBLISH_INTERVAL = java.time.Duration.ofSeconds(1);

    /** What the pool knows of one port. Mutable, and never leaves this actor. */
    private static final class Slot {
        final int port;
        ActorRef<InstanceActor.Command> ref;
        InstanceState state = InstanceState.STOPPED;
        OptionalLong pid = OptionalLong.empty();
        long startedNanos;
        Optional<io.procpool.process.ExitStatus> lastExit = Optional.empty();
        String reason = "";
        Optional<HealthFigures> health = Optional.empty();
        int restarts;
        /** Consecutive restarts without a stable run, as Pekko's supervisor counts them (for logs). */
        int consecutive;

        Slot(int port) {
            this.port = port;
        }

        InstanceStatus status() {
            return new InstanceStatus(port, pid, state, restarts, startedNanos, lastExit, reason, health);
        }
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final ServiceSettings service;
    private final PoolEnvironment env;
    private final ActorRef<ServiceStatus> listener;
    private final ActorRef<InstanceActor.Event> events;
    private final Map<Integer, Slot> slots = new LinkedHashMap<>();
    private int desired;
    private long generation;
    private boolean stopRequested;

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
        for (int port : service.ports()) {
            slots.put(port, new Slot(port));
        }
    }

    private Behavior<Command> start() {
        desired = service.minProcesses();
        service.ports().stream().limit(desired).forEach(port -> spawn(slots.get(port)));
        publish();
        return running();
    }

    // RUNNING: instances are kept alive; failures are restarted.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, this::onInstanceEvent)
                .onMessage(CooldownOver.class, this::onCooldownOver)
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .onSignal(ChildFailed.class, this::onChildFailed)
                .onSignal(Terminated.class, this::onTerminated)
                .build();
    }

    // STOPPING: every instance has been told to stop; nothing is restarted; stop when all are gone.
    private Behavior<Command> stopping() {
        if (slots.values().stream().allMatch(s -> s.ref == null)) {
            ctx.getLog().info("{}: stopped", service.name());
            return Behaviors.stopped();
        }
        return Behaviors.receive(Command.class)
                .onMessage(InstanceEvent.class, this::onInstanceEvent)
                .onMessage(CooldownOver.class, m -> Behaviors.same())
                .onMessageEquals(PublishFigures.INSTANCE, this::onPublishFigures)
                .onMessageEquals(Stop.INSTANCE, Behaviors::same)
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

    private void spawn(Slot slot) {
        RestartSettings r = service.restart();
        Behavior<InstanceActor.Command> instance = Behaviors.supervise(
                        InstanceActor.create(service, slot.port, env, events))
                .onFailure(InstanceFailed.class, SupervisorStrategy
                        .restartWithBackoff(r.minBackoff(), r.maxBackoff(), r.randomFactor())
                        .withResetBackoffAfter(r.resetAfter())
                        .withMaxRestarts(r.maxRestarts())
                        .withLoggingEnabled(false));
        slot.ref = ctx.spawn(instance, "port-" + slot.port + "-" + (++generation));
        slot.consecutive = 0;
        ctx.watch(slot.ref);
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
        InstanceState from = slot.state;
        InstanceState to = e.state();
        String detail = e.reason();
        if (to == InstanceState.STARTING && (from == InstanceState.BACKOFF || from == InstanceState.FAILED)) {
            slot.restarts++;
        }
        if (to == InstanceState.BACKOFF) {
            RestartSettings r = service.restart();
            int n = slot.consecutive;
            if (Backoff.exhausted(r, n)) {
                to = InstanceState.FAILED;
                detail += "; restart budget spent (" + n + " restarts without a run of " + Backoff.format(r.resetAfter()) + ")";
            } else {
                slot.consecutive = n + 1;
                detail += "; restart " + (n + 1) + " of " + r.maxRestarts() + " in " + delayText(r, n);
            }
        }
        if (e.pid().isPresent()) {
            slot.pid = e.pid();
        }
        if (to == InstanceState.RUNNING || to == InstanceState.HEALTHY) {
            if (from == InstanceState.STARTING) {
                slot.startedNanos = System.nanoTime();
            }
        } else if (!to.live()) {
            slot.pid = OptionalLong.empty();
            slot.startedNanos = 0;
        }
        if (to == InstanceState.STARTING && e.pid().isEmpty()) {
            slot.health = Optional.empty(); // a new process has not been probed yet
        }
        e.exit().ifPresent(x -> slot.lastExit = Optional.of(x));
        slot.state = to;
        slot.reason = detail;
        logTransition(slot, from, to, e.pid(), detail);
        if (stopRequested && (to == InstanceState.BACKOFF || to == InstanceState.FAILED)) {
            // Crashed while the service is being stopped: cancel its restart instead of starting
            // a process only to stop it.
            ctx.stop(slot.ref);
        }
        publish();
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
                : cause instanceof InstanceFailed f ? slot.reason
                : "internal error: " + cause;
        if (!(cause instanceof LaunchException) && !(cause instanceof InstanceFailed)) {
            ctx.getLog().error("{}:{} instance actor failed", service.name(), slot.port, cause);
        }
        Duration cooldown = service.restart().cooldown();
        boolean retry = service.restart().retriesAfterCooldown() && !stopRequested;
        String next = retry ? "; retrying in " + Backoff.format(cooldown)
                : stopRequested ? "" : "; not retried (restart.cooldown = 0)";
        InstanceState from = slot.state;
        slot.state = InstanceState.FAILED;
        slot.pid = OptionalLong.empty();
        slot.startedNanos = 0;
        slot.reason = reason + next;
        if (retry) {
            timers.startSingleTimer(new CooldownOver(slot.port), new CooldownOver(slot.port), cooldown);
        }
        if (from == InstanceState.FAILED) {
            // Already logged as FAILED when the budget ran out; say only what happens next.
            ctx.getLog().info("{}:{} FAILED{}", service.name(), slot.port, next);
        } else {
            logTransition(slot, from, InstanceState.FAILED, OptionalLong.empty(), slot.reason);
        }
        publish();
        return Behaviors.same();
    }

    private Behavior<Command> onTerminated(Terminated s) {
        Slot slot = slotOf(s.getRef());
        if (slot == null) {
            return Behaviors.same();
        }
        slot.ref = null;
        if (slot.state != InstanceState.STOPPED) {
            // Stopped while backing off: there was no process to stop.
            InstanceState from = slot.state;
            slot.state = InstanceState.STOPPED;
            slot.pid = OptionalLong.empty();
            slot.startedNanos = 0;
            slot.reason = "stop requested";
            logTransition(slot, from, InstanceState.STOPPED, OptionalLong.empty(), slot.reason);
        }
        publish();
        return Behaviors.same();
    }

    private Behavior<Command> onCooldownOver(CooldownOver m) {
        Slot slot = slots.get(m.port());
        if (slot != null && slot.ref == null && slot.state == InstanceState.FAILED) {
            ctx.getLog().info("{}:{} cooldown over; starting again", service.name(), slot.port);
            spawn(slot);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onPublishFigures() {
        publish();
        return Behaviors.same();
    }

    private Behavior<Command> onStop() {
        ctx.getLog().info("{}: stopping {} instance(s)", service.name(), slots.values().stream().filter(s -> s.ref != null).count());
        for (Slot slot : slots.values()) {
            timers.cancel(new CooldownOver(slot.port));
            if (slot.ref == null) {
                if (slot.state == InstanceState.FAILED) {
                    slot.state = InstanceState.STOPPED;
                    slot.reason = "stop requested";
                }
            } else if (slot.state == InstanceState.BACKOFF || slot.state == InstanceState.FAILED) {
                // Waiting out a restart delay: no process to stop, and a message would wait
                // (stashed) until the restart. Stopping the actor cancels the restart.
                ctx.stop(slot.ref);
            } else {
                slot.ref.tell(InstanceActor.Stop.INSTANCE);
            }
        }
        desired = 0;
        stopRequested = true;
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

    private void publish() {
        List<InstanceStatus> instances = new ArrayList<>();
        int i = 0;
        for (Slot s : slots.values()) {
            if (i++ < desired || s.state != InstanceState.STOPPED || s.ref != null) {
                instances.add(s.status());
            }
        }
        listener.tell(new ServiceStatus(service.name(), ServiceState.of(desired, instances), desired, instances));
    }
}
