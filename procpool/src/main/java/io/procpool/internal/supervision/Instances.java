package io.procpool.internal.supervision;

import io.procpool.api.ExitRecord;
import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.OperationEvent;
import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.metrics.PoolMetrics.RestartReason;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The ports of one service and the instance on each: which ports should run one, spawning and
 * stopping them, and what follows the end of each instance's life. It owns the restart decision:
 * the port's {@link RestartBudget} says BACKOFF (and the restart after its delay) or FAILED (and a
 * retry after {@code restart.cooldown}), and what the status says is that very decision.
 *
 * <p>Not an actor: it runs inside its {@link PoolActor}'s message handlers, spawns and watches
 * instances as that actor's children and arms that actor's timers; the PoolActor decides what the
 * service wants (how many instances, which operation), this class carries it out. It never calls
 * back into the PoolActor. About 400 lines, because a port's whole life cycle (spawn, end,
 * restart decision, wake-up, vacating) must be read in one place to be checked; the decisions
 * themselves are the pure {@link RestartBudget} and {@link Roll}.
 */
final class Instances {

    private final ActorContext<PoolActor.Command> ctx;
    private final TimerScheduler<PoolActor.Command> timers;
    private final PoolEnvironment env;
    private final Announcer announcer;
    private final ActorRef<InstanceActor.Event> events;
    private final Map<Integer, Slot> slots = new LinkedHashMap<>();
    private final LoadWatch load;
    private ServiceSettings service;
    /** How many ports should run an instance: the desired count, plus a roll's surge replacement. */
    private int target;
    private long spawns;

    Instances(ActorContext<PoolActor.Command> ctx, TimerScheduler<PoolActor.Command> timers, PoolEnvironment env,
              Announcer announcer, ActorRef<InstanceActor.Event> events, ServiceSettings service, LoadWatch load) {
        this.ctx = ctx;
        this.timers = timers;
        this.env = env;
        this.announcer = announcer;
        this.events = events;
        this.service = service;
        this.load = load;
        service.ports().forEach(port -> slots.put(port, new Slot(port)));
    }

    ServiceSettings settings() {
        return service;
    }

    /**
     * The ports a service's pool starts on when it starts: {@code min-processes} of them (its
     * {@link PoolActor} wants that many), the first in the order of {@code ports} ({@link #want}
     * takes free ports in that order, and at the start all are free).
     */
    static List<Integer> portsAtStart(ServiceSettings service) {
        return service.ports().subList(0, Math.min(service.minProcesses(), service.ports().size()));
    }

    /** Runs {@code count} instances: spawns on the lowest free ports, stops the newest ones ({@code stopReason}). */
    void want(int count, String stopReason) {
        target = count;
        List<Slot> starting = new ArrayList<>();
        int assigned = assigned().size();
        for (Slot slot : slots.values()) {
            if (assigned + starting.size() >= target) {
                break;
            }
            if (slot.free()) {
                slot.assigned = true;
                starting.add(slot);
            }
        }
        // Fewer than asked when a port is still being vacated: its end tries again.
        if (starting.size() > 1) {
            env.launcher().expect(starting.stream().map(s -> s.spec(service, env.logDir())).toList());
        }
        starting.forEach(s -> spawn(s, 0, RestartBudget.fresh()));
        while (assigned().size() > target) {
            unassignAndStop(assigned().stream().max(Comparator.comparingLong(s -> s.spawnSeq)).orElseThrow(), stopReason);
        }
    }

    /**
     * Takes new settings: new ports are added, the instances on removed ones stopped. Running
     * processes keep running; the instances started from now on use the new settings.
     *
     * @return the ports that left the configuration
     */
    Set<Integer> adopt(ServiceSettings next) {
        service = next;
        next.ports().forEach(port -> slots.putIfAbsent(port, new Slot(port)));
        Set<Integer> removed = slots.keySet().stream().filter(p -> !next.ports().contains(p)).collect(Collectors.toSet());
        for (int port : removed) {
            unassignAndStop(slots.get(port), "port " + port + " was removed from the configuration");
        }
        slots.values().removeIf(s -> !next.ports().contains(s.port) && s.ref == null);
        return removed;
    }

    /** Tells every instance alive of settings that leave its process as it is. */
    void updateInPlace(ServiceSettings next) {
        slots.values().stream().filter(x -> x.ref != null).forEach(x -> x.ref.tell(new InstanceActor.UpdateSettings(next)));
    }

    List<Integer> assignedPorts() {
        return assigned().stream().map(s -> s.port).toList();
    }

    /** The instances that should get traffic and do. */
    List<Slot> ready() {
        return slots.values().stream().filter(s -> s.assigned && s.ready()).toList();
    }

    /** The ports whose instance is FAILED. */
    List<Integer> failed() {
        return assigned().stream().filter(s -> s.state == InstanceState.FAILED).map(s -> s.port).toList();
    }

    /** True when no instance actor exists on any port. */
    boolean none() {
        return slots.values().stream().allMatch(s -> s.ref == null);
    }

    /** The instances still alive, for messages: ":8000 STOPPING, :8001 RUNNING". */
    String alive() {
        return slots.values().stream().filter(s -> s.ref != null).map(s -> ":" + s.port + " " + s.state)
                .collect(Collectors.joining(", "));
    }

    long aliveCount() {
        return slots.values().stream().filter(s -> s.ref != null).count();
    }

    /** The slots as a roll sees them: read-only views, made when asked. */
    final Roll.Slots view = new Roll.Slots() {
        @Override
        public Optional<Roll.SlotView> get(int port) {
            return Optional.ofNullable(slots.get(port)).map(Slot::view);
        }

        @Override
        public Optional<Integer> lowestFree() {
            return slots.values().stream().filter(Slot::free).map(s -> s.port).findFirst();
        }
    };

    /** Carries out one decision of a roll. */
    void carryOut(Roll.Action action, RestartReason reason, String why) {
        if (action instanceof Roll.RestartAtOnce a) {
            restartNow(a.port(), a.why(), reason);
        } else if (action instanceof Roll.RestartInPlace a) {
            announcer.log().info("{}: {}: restarting :{} in place", service.name(), why, a.port());
            restartNow(a.port(), a.why(), reason);
        } else if (action instanceof Roll.StartReplacement a) {
            announcer.log().info("{}: {}: starting a replacement for :{} on :{}", service.name(), why, a.old(), a.spare());
            Slot spare = slots.get(a.spare());
            spare.assigned = true;
            env.metrics().restarted(service.name(), reason);
            spawn(spare, slots.get(a.old()).restarts + 1, RestartBudget.fresh());
        } else if (action instanceof Roll.Retire a) {
            unassignAndStop(slots.get(a.old()), a.why());
        } else if (action instanceof Roll.StopReplacement a) {
            unassignAndStop(slots.get(a.port()), a.why());
        }
    }

    /**
     * Restarts the instance on {@code port} now, whatever it is doing, with a fresh restart budget:
     * one with no life under way (BACKOFF, FAILED) is spawned at once, its timer forgotten; any
     * other is stopped and spawned again on its port as soon as its life has ended.
     */
    void restartNow(int port, String reason, RestartReason why) {
        Slot slot = slots.get(port);
        if (slot.ref == null) {
            announcer.log().info("{}:{} {}", service.name(), port, reason);
            env.metrics().restarted(service.name(), why);
            spawn(slot, slot.restarts + 1, RestartBudget.fresh());
        } else {
            slot.intent = Slot.Intent.RESPAWN;
            slot.respawnReason = why;
            slot.ref.tell(new InstanceActor.Stop(reason));
        }
    }

    /** Procpool is shutting down: every instance is told to stop, nothing is restarted. */
    void stopAll(String reason) {
        stopAll(reason, false);
    }

    /**
     * This node was downed by its cluster: every instance is killed at once (SIGKILL to its group,
     * no drain; see {@link InstanceActor.Stop#now}), nothing is restarted, and none runs again
     * until the pool is told how many to run.
     */
    void killAll(String reason) {
        stopAll(reason, true);
    }

    private void stopAll(String reason, boolean now) {
        target = 0;
        for (Slot slot : List.copyOf(slots.values())) {
            slot.assigned = false;
            stopInstance(slot, reason, now);
        }
    }

    private void unassignAndStop(Slot slot, String why) {
        if (slot != null) {
            slot.assigned = false;
            stopInstance(slot, why);
        }
    }

    /** Stops the instance on {@code slot}, whatever it is doing; its end follows. */
    private void stopInstance(Slot slot, String reason) {
        stopInstance(slot, reason, false);
    }

    private void stopInstance(Slot slot, String reason, boolean now) {
        timers.cancel(wakeKey(slot.port));
        if (slot.ref == null) {
            if (slot.state != InstanceState.STOPPED) {
                transition(slot, InstanceState.STOPPED, OptionalLong.empty(), reason);
            }
            vacated(slot);
        } else {
            slot.intent = Slot.Intent.STOP;
            slot.ref.tell(new InstanceActor.Stop(reason, now));
        }
    }

    private List<Slot> assigned() {
        return slots.values().stream().filter(s -> s.assigned).toList();
    }

    /**
     * Spawns a fresh instance on {@code slot}.
     *
     * @param restarts the restarts it starts with: 0 for a new instance, one more than its
     *     predecessor's when it takes an earlier instance's place (see docs/api.md, "restarts")
     */
    private void spawn(Slot slot, int restarts, RestartBudget budget) {
        timers.cancel(wakeKey(slot.port));
        slot.restarts = restarts;
        slot.budget = budget;
        slot.intent = Slot.Intent.NONE;
        slot.spawnSeq = ++spawns;
        slot.spawnedWith = service;
        slot.health = Optional.empty();
        load.forget(slot.port);
        // The process starts here, before the actor that will own it exists: an actor's setup runs
        // only once this handler, the word about the restart and the old actor's stop are done,
        // and all of that was on the path from a crash to serving (docs/architecture.md).
        LaunchSpec spec = slot.spec(service, env.logDir());
        CompletionStage<ChildProcess> launch = launch(spec);
        // A bug in an instance stops it (its PostStop kills the process); its end is seen as a crash.
        Behavior<InstanceActor.Command> instance = Behaviors.supervise(InstanceActor.create(service, spec, launch,
                slot.starting(service, env.logDir()), env, events, budget.spent() > 0))
                .onFailure(Exception.class, SupervisorStrategy.stop());
        slot.ref = ctx.spawn(instance, "port-" + slot.port + "-" + slot.spawnSeq, PoolActor.INSTANCE_DISPATCHER);
        ctx.watch(slot.ref);
    }

    /** The launcher's start of {@code spec}; a launcher that throws fails the launch instead of this pool. */
    private CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        try {
            return env.launcher().launch(spec);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** An instance's report; probe figures are asked to be published at most once a second by the caller. */
    boolean onEvent(InstanceActor.Event event) {
        Slot slot = slots.get(event.port());
        if (slot == null || slot.ref == null || !slot.ref.equals(event.instance())) {
            return false; // from an instance that has since been replaced
        }
        if (event instanceof InstanceActor.ProbeCompleted p && p.figures() == null) {
            env.metrics().probeNotRun(service.name());
            return false;
        }
        if (event instanceof InstanceActor.ProbeCompleted p) {
            slot.health = Optional.of(p.figures());
            env.metrics().probed(service.name(), Duration.ofNanos((long) (p.figures().lastLatencyMs() * 1_000_000)),
                    p.figures().lastError());
            return true;
        }
        if (event instanceof InstanceActor.StateChanged e) {
            transition(slot, e.state(), e.pid(), e.reason());
        } else if (event instanceof InstanceActor.Ended e) {
            ActorRef<InstanceActor.Command> ended = slot.ref;
            slot.ref = null;
            endOfLife(slot, e);
            // After the decision, which may start the replacement's process: stopping a child
            // actor is Pekko code that only an instance's end runs, so at a run's first crashes
            // it is still interpreted, and it was on the path from a crash to serving
            // (bench/analysis.md, "Eighth pass").
            ctx.unwatch(ended);
            ctx.stop(ended); // it waits for this after its last word
        }
        return false;
    }

    /** An instance actor stopped without saying how its life ended: a bug in it; taken as a crash. */
    void onGone(Terminated s) {
        Slot slot = slots.values().stream().filter(x -> x.ref != null && x.ref.equals(s.getRef())).findFirst().orElse(null);
        if (slot != null) {
            Throwable cause = s instanceof ChildFailed f ? f.getCause() : null;
            String why = cause != null ? "internal error: " + cause : "instance actor stopped unexpectedly";
            announcer.log().error("{}:{} {}", service.name(), slot.port, why, cause);
            slot.ref = null;
            endOfLife(slot, new InstanceActor.Ended(null, slot.port, InstanceActor.End.EXITED, slot.pid, Optional.empty(), why, false));
        }
    }

    /** A life is over: start it again, fail it, or leave it stopped, as the pool wants. */
    private void endOfLife(Slot slot, InstanceActor.Ended e) {
        String detail = e.reason();
        if (slot.intent == Slot.Intent.RESPAWN && slot.assigned) {
            recordExit(slot, e, detail);
            transition(slot, InstanceState.STOPPED, e.pid(), detail);
            env.metrics().restarted(service.name(), slot.respawnReason);
            spawn(slot, slot.restarts + 1, RestartBudget.fresh());
        } else if (slot.intent == Slot.Intent.STOP || !slot.assigned || e.end() == InstanceActor.End.STOPPED) {
            recordExit(slot, e, detail);
            transition(slot, InstanceState.STOPPED, e.pid(), detail);
            vacated(slot);
        } else if (e.end() == InstanceActor.End.NOT_STARTABLE) {
            recordExit(slot, e, detail);
            failed(slot, detail, e.pid());
        } else {
            slot.failCause = e.end() == InstanceActor.End.UNHEALTHY ? RestartReason.UNHEALTHY : RestartReason.EXIT;
            RestartBudget.Verdict verdict = slot.budget.afterFailure(service.restart(), e.stable(), env.random().getAsDouble());
            detail += "; " + verdict.text();
            if (verdict instanceof RestartBudget.Restart r && r.delay().isZero()) {
                // No backoff: the restart first, then the record and the word about it, so that
                // the exit's history, the log line and the status are not on the path from a
                // crash to serving again.
                slot.budget = r.next();
                int restarts = slot.restarts;
                wake(slot);
                recordExit(slot, e, detail);
                transition(slot, InstanceState.BACKOFF, e.pid(), detail, restarts);
                return;
            }
            recordExit(slot, e, detail);
            if (verdict instanceof RestartBudget.Restart r) {
                slot.budget = r.next();
                transition(slot, InstanceState.BACKOFF, e.pid(), detail);
                wakeAfter(slot, r.delay());
            } else {
                slot.budget = ((RestartBudget.Exhausted) verdict).spentBudget();
                failed(slot, detail, e.pid());
            }
        }
    }

    private void recordExit(Slot slot, InstanceActor.Ended e, String detail) {
        if (e.exit().isPresent()) {
            slot.lastExit = e.exit();
            slot.recordExit(new ExitRecord(Instant.now(), e.pid().orElse(0), e.exit().get(), detail));
        }
    }

    /** FAILED: tried again after {@code restart.cooldown}, with a fresh budget (never when it is 0). */
    private void failed(Slot slot, String detail, OptionalLong pid) {
        Duration cooldown = service.restart().cooldown();
        boolean retry = service.restart().retriesAfterCooldown();
        transition(slot, InstanceState.FAILED, pid, detail + (retry ? "; retrying in " + Backoff.format(cooldown)
                : "; not retried (restart.cooldown = 0)"));
        if (retry) {
            wakeAfter(slot, cooldown);
        }
    }

    private void wakeAfter(Slot slot, Duration delay) {
        if (delay.isZero()) {
            wake(slot);
        } else {
            timers.startSingleTimer(wakeKey(slot.port), new PoolActor.Wake(slot.port, ++slot.wakeToken), delay);
        }
    }

    private static Object wakeKey(int port) {
        return "wake-" + port;
    }

    /** A door saw the instance on {@code port} fail: its actor probes it now, if it is probing. */
    void probeNow(int port) {
        Slot slot = slots.get(port);
        if (slot != null && slot.ref != null) {
            slot.ref.tell(InstanceActor.ProbeNow.INSTANCE);
        }
    }

    /**
     * Sends {@code signal} to the process of every instance that runs one (STARTING with a pid,
     * RUNNING, HEALTHY): ":8000 pid 41" for each, empty when none does.
     */
    List<String> signal(io.procpool.config.Signal signal) {
        List<String> sent = new ArrayList<>();
        for (Slot s : slots.values()) {
            boolean runs = s.state == InstanceState.RUNNING || s.state == InstanceState.HEALTHY
                    || s.state == InstanceState.STARTING && s.pid.isPresent();
            if (s.ref != null && runs) {
                s.ref.tell(new InstanceActor.SendSignal(signal));
                sent.add(":" + s.port + " pid " + s.pid.getAsLong());
            }
        }
        return sent;
    }

    /** A restart delay or a cooldown is over (a stale one is ignored). */
    void onWake(int port, long token) {
        Slot slot = slots.get(port);
        if (slot != null && slot.wakeToken == token && slot.ref == null && slot.assigned) {
            wake(slot);
        }
    }

    /** BACKOFF over: the restart; FAILED's cooldown over: a retry with a fresh budget. */
    private void wake(Slot slot) {
        if (slot.state == InstanceState.FAILED) {
            announcer.log().info("{}:{} cooldown over; starting again", service.name(), slot.port);
            slot.budget = RestartBudget.fresh();
        }
        spawn(slot, slot.restarts + 1, slot.budget);
        env.metrics().restarted(service.name(), slot.failCause); // after the start: not on a crash's path
    }

    /** The port has no instance now: forget it if it left the configuration, and refill the wanted count. */
    private void vacated(Slot slot) {
        if (!service.ports().contains(slot.port) && slot.ref == null) {
            slots.remove(slot.port);
        }
        want(target, "scaled down");
    }

    private void transition(Slot slot, InstanceState to, OptionalLong pid, String detail) {
        transition(slot, to, pid, detail, slot.restarts);
    }

    /** The one place where a slot changes state: the slot's view, then the log line, event and status. */
    private void transition(Slot slot, InstanceState to, OptionalLong pid, String detail, int restartsShown) {
        InstanceState from = slot.state;
        slot.enter(to, pid, detail, env.clock().getAsLong());
        announcer.transition(service.name(), slot.port, restartsShown, from, to, pid, detail);
    }

    /** The service's status now. */
    ServiceStatus status(int desired, Optional<String> underWay, Optional<OperationEvent> lastOperation) {
        List<InstanceStatus> instances = new ArrayList<>();
        List<InstanceStatus> wanted = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.assigned || s.ref != null || s.state != InstanceState.STOPPED) {
                InstanceStatus i = s.status(service, env.logDir());
                instances.add(i);
                if (s.assigned) {
                    wanted.add(i);
                }
            }
        }
        return new ServiceStatus(service.name(), ServiceState.of(desired, wanted), desired, instances, service, underWay,
                lastOperation);
    }
}
