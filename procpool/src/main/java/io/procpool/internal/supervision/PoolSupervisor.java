package io.procpool.internal.supervision;

import io.procpool.api.ServiceState;
import io.procpool.api.ServiceStatus;
import io.procpool.api.PoolStatus;
import io.procpool.api.OpResult;
import io.procpool.config.ConfigDiff;
import io.procpool.config.Durations;
import io.procpool.config.PoolSettings;
import io.procpool.config.ScalingSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.spi.ResourceSampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The root of the tree: one {@link PoolActor} per enabled service.
 *
 * <p>It is created idle, so that whoever starts it can first bind the admin API (and give up
 * with nothing started if that fails); {@link Start} spawns the pools. It keeps the latest
 * {@link ServiceStatus} each pool pushes, so {@link GetStatus} is answered at once. While any
 * service needs it, it samples the instances' CPU and memory and hands each pool its share.
 * {@link Reload} applies a new configuration, touching only the services that changed.
 *
 * <p><b>Start order.</b> It alone decides when a service's pool is spawned: a service with
 * {@code depends-on} stays WAITING, with no pool, until each service it depends on has an instance
 * ready in the statuses pushed here ({@link DependencyOrder}). Later changes of a dependency (a
 * crash, a stop) do not touch a service that has started, as in docker-compose.
 *
 * <p>{@link StopAll} stops every service and replies when every process is gone: services without
 * relations in parallel, a service only once the services that depend on it are gone. The same
 * happens in Pekko's coordinated shutdown (phase {@code service-stop}), so terminating the actor
 * system, in any way, stops the children gracefully first.
 */
public final class PoolSupervisor {

    /** Messages the root understands. */
    public sealed interface Command {
    }

    /** Start the pools (once). */
    public enum Start implements Command {
        INSTANCE
    }

    /** Reply with the status of every service. */
    public record GetStatus(ActorRef<PoolStatus> replyTo) implements Command {
    }

    /** Stop every service gracefully; reply when all their processes are gone. */
    public record StopAll(ActorRef<Done> replyTo) implements Command {
    }

    /** Probe the instance of {@code service} on {@code port} now (a door saw it fail); nothing when there is none. */
    public record ProbeNow(String service, int port) implements Command {
    }

    /** An operation on one service, by name (an unknown or disabled one gets its answer from here). */
    public record ForService(String service, PoolActor.Operation operation) implements Command {
    }

    /** Apply a new, already validated configuration: only what changed is touched. */
    public record Reload(PoolSettings settings, ActorRef<OpResult> replyTo) implements Command {
    }

    /**
     * With the cluster on: run {@code count} instances of {@code service} on this node, the
     * cluster's share for it; nothing for a service this node does not run.
     */
    public record Place(String service, int count, String reason) implements Command {
    }

    /** This node was downed by its cluster: kill every instance of every service at once; none runs until placed again. */
    public record KillAll(String reason) implements Command {
    }

    /** Stop this actor (after {@link StopAll}), when it runs inside an application's actor system. */
    public enum Terminate implements Command {
        INSTANCE
    }

    private record ServiceChanged(ServiceStatus status) implements Command {
    }

    private enum SampleTick implements Command {
        INSTANCE
    }

    private record Sampled(ResourceSampler.Sample sample) implements Command {
    }

    private static final Duration LIMITS_SAMPLE_INTERVAL = Duration.ofSeconds(1);
    /** Beyond a service's drain and stop timeout: SIGKILL's wait for the group, and margin. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(10);
    private static final String SHUTDOWN = "procpool is shutting down";

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final PoolEnvironment env;
    private final ActorRef<ServiceStatus> statusAdapter;
    private final Map<String, ServiceStatus> statuses = new LinkedHashMap<>();
    private final Map<String, ActorRef<PoolActor.Command>> pools = new LinkedHashMap<>();
    /** Pools told to stop by a reload, until they are gone. */
    private final Map<ActorRef<Void>, String> retiring = new LinkedHashMap<>();
    /** Enabled services with no pool yet: a service they depend on has no instance ready. */
    private final Set<String> waiting = new LinkedHashSet<>();
    /** Services stopped by an operator while they were waiting: they wait again when started. */
    private final Set<String> held = new LinkedHashSet<>();
    /** Pools told to stop by {@link StopAll}. */
    private final Set<String> toldToStop = new HashSet<>();
    private PoolSettings settings;
    /** The settings of the start: what the pool-level settings only a restart applies still are. */
    private final PoolSettings startedWith;
    /** The time the shutdown task was given at the start; a reload cannot lengthen it. */
    private Duration shutdownBudget = Duration.ZERO;
    private long generation;
    private boolean sampling;
    private Duration sampleInterval = LIMITS_SAMPLE_INTERVAL;

    /**
     * @param settings the pool to run
     * @param env the seams to run it against
     */
    public static Behavior<Command> create(PoolSettings settings, PoolEnvironment env) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolSupervisor(ctx, timers, settings, env).idle()));
    }

    private PoolSupervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, PoolSettings settings,
                           PoolEnvironment env) {
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.startedWith = settings;
        this.env = env;
        this.statusAdapter = ctx.messageAdapter(ServiceStatus.class, ServiceChanged::new);
        for (ServiceSettings s : settings.services().values()) {
            statuses.put(s.name(), notStartedYet(s));
        }
        publish();
        registerCoordinatedShutdown();
    }

    /**
     * Before {@link Start}: nothing runs yet, but each enabled service wants its min-processes, so
     * that readiness (/readyz, which answers as soon as the admin API is bound, before the gateway
     * and the start) is not reported while nothing has started.
     */
    private ServiceStatus notStartedYet(ServiceSettings s) {
        return s.enabled() ? new ServiceStatus(s.name(), ServiceState.STOPPED, firstDesired(s), List.of(), s, Optional.empty())
                : ServiceStatus.disabled(s);
    }

    /** What a pool wants when it starts: min-processes, or none on a cluster node until the cluster places some here. */
    private int firstDesired(ServiceSettings s) {
        return settings.cluster().enabled() ? 0 : s.minProcesses();
    }

    private static ServiceStatus initialStatus(ServiceSettings s) {
        return s.enabled() ? new ServiceStatus(s.name(), ServiceState.STOPPED, 0, List.of(), s, Optional.empty())
                : ServiceStatus.disabled(s);
    }

    /**
     * A service whose pool was just spawned and has not reported yet: it wants its min-processes
     * and has none ready, so readiness (/readyz, systemd's READY=1) waits for it.
     */
    private ServiceStatus starting(ServiceSettings s) {
        return new ServiceStatus(s.name(), ServiceState.of(firstDesired(s), List.of()), firstDesired(s), List.of(), s,
                Optional.empty());
    }

    /**
     * The time a graceful stop of everything may take: the longest drain, the longest stop timeout,
     * SIGKILL, margin; with {@code depends-on}, that of each service of the longest chain in turn.
     */
    public static Duration stopBudget(PoolSettings settings) {
        Duration parallel = settings.longestDrain().plus(settings.longestStop()).plus(STOP_MARGIN);
        Duration chain = DependencyOrder.longestChain(settings.services(),
                s -> s.drain().longest().plus(s.stop().timeout()).plus(STOP_MARGIN));
        return chain.compareTo(parallel) > 0 ? chain : parallel;
    }

    private void registerCoordinatedShutdown() {
        ActorRef<Command> self = ctx.getSelf();
        var system = ctx.getSystem();
        Duration budget = stopBudget(settings);
        shutdownBudget = budget;
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(),
                "procpool-stop-children-" + self.path().name(),
                () -> AskPattern.<Command, Done>ask(self, StopAll::new, budget, system.scheduler())
                        .exceptionally(e -> Done.getInstance()));
    }

    // IDLE: created, nothing started; status shows every service STOPPED.
    private Behavior<Command> idle() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Start.INSTANCE, this::onStart)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(ForService.class, m -> reject(m, "procpool is starting"))
                .onMessage(ProbeNow.class, m -> Behaviors.same())
                .onMessage(Place.class, m -> Behaviors.same())
                .onMessage(KillAll.class, m -> Behaviors.same())
                .onMessage(Reload.class, m -> rejectReload(m, "procpool is starting"))
                .onMessage(StopAll.class, this::replyDone)
                .onMessageEquals(Terminate.INSTANCE, Behaviors::stopped)
                .build();
    }

    // RUNNING: one pool per enabled service.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Start.INSTANCE, Behaviors::same)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(ServiceChanged.class, this::onServiceChangedStartReady)
                .onMessage(ForService.class, this::onForService)
                .onMessage(ProbeNow.class, this::onProbeNow)
                .onMessage(Place.class, this::onPlace)
                .onMessage(KillAll.class, this::onKillAll)
                .onMessage(Reload.class, this::onReload)
                .onMessageEquals(SampleTick.INSTANCE, this::onSampleTick)
                .onMessage(Sampled.class, this::onSampled)
                .onMessage(StopAll.class, this::onStopAll)
                .onSignal(Terminated.class, this::onPoolTerminated)
                .build();
    }

    // STOPPING: every pool was told to stop; reply to the waiters when all are gone.
    private Behavior<Command> stopping(List<ActorRef<Done>> waiters) {
        if (pools.isEmpty() && retiring.isEmpty()) {
            ctx.getLog().info("every service is stopped");
            waiters.forEach(w -> w.tell(Done.getInstance()));
            return stopped();
        }
        return Behaviors.receive(Command.class)
                .onMessageEquals(Start.INSTANCE, Behaviors::same)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(ServiceChanged.class, this::onServiceChanged)
                .onMessage(ForService.class, m -> reject(m, SHUTDOWN))
                .onMessage(ProbeNow.class, m -> Behaviors.same())
                .onMessage(Place.class, m -> Behaviors.same())
                .onMessage(KillAll.class, this::onKillAll)
                .onMessage(Reload.class, m -> rejectReload(m, SHUTDOWN))
                .onMessage(SampleTick.class, m -> Behaviors.same())
                .onMessage(Sampled.class, m -> Behaviors.same())
                .onMessage(StopAll.class, m -> stopping(append(waiters, m.replyTo())))
                .onSignal(Terminated.class, s -> afterPoolTerminated(s, waiters))
                .build();
    }

    // STOPPED: nothing runs; the actor stays to answer status until the system goes.
    private Behavior<Command> stopped() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Start.INSTANCE, Behaviors::same)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(ServiceChanged.class, this::onServiceChanged)
                .onMessage(ForService.class, m -> reject(m, "procpool has stopped"))
                .onMessage(ProbeNow.class, m -> Behaviors.same())
                .onMessage(Place.class, m -> Behaviors.same())
                .onMessage(KillAll.class, m -> Behaviors.same())
                .onMessage(Reload.class, m -> rejectReload(m, "procpool has stopped"))
                .onMessage(SampleTick.class, m -> Behaviors.same())
                .onMessage(Sampled.class, m -> Behaviors.same())
                .onMessage(StopAll.class, this::replyDone)
                .onMessageEquals(Terminate.INSTANCE, Behaviors::stopped)
                .build();
    }

    private Behavior<Command> onStart() {
        settings.services().values().stream().filter(ServiceSettings::enabled).forEach(s -> waiting.add(s.name()));
        startReady();
        settings.services().values().stream().filter(s -> !s.enabled()).forEach(s -> ctx.getLog().info("{}: disabled", s.name()));
        ctx.getLog().info("started {} service(s) from {}{}", pools.size(), settings.source(),
                waiting.isEmpty() ? "" : "; waiting for what they depend on: " + String.join(", ", waiting));
        updateSampling();
        return running();
    }

    /**
     * Spawns the pool of every waiting service whose dependencies each have an instance ready; the
     * others show what they still wait for.
     */
    private void startReady() {
        boolean changed = false;
        for (String name : List.copyOf(waiting)) {
            ServiceSettings s = settings.services().get(name);
            List<String> unready = DependencyOrder.unready(s, this::hasReadyInstance);
            if (unready.isEmpty()) {
                waiting.remove(name);
                if (!s.dependsOn().isEmpty()) {
                    ctx.getLog().info("{}: starting: {} ready (depends-on)", name, String.join(", ", s.dependsOn()));
                }
                spawnPool(s);
                statuses.put(name, starting(s));
                changed = true;
            } else {
                ServiceStatus shown = waitingStatus(s, unready);
                changed |= !shown.equals(statuses.put(name, shown));
            }
        }
        if (changed) {
            publish();
        }
    }

    /** True when {@code service} has a pool, and that pool reported an instance ready. */
    private boolean hasReadyInstance(String service) {
        ServiceStatus status = statuses.get(service);
        return pools.containsKey(service) && status != null && !status.ready().isEmpty();
    }

    private static ServiceStatus waitingStatus(ServiceSettings s, List<String> unready) {
        return new ServiceStatus(s.name(), ServiceState.WAITING, s.minProcesses(), List.of(), s,
                Optional.of("waiting for " + String.join(", ", unready) + " to have an instance ready (depends-on)"));
    }

    private void spawnPool(ServiceSettings s) {
        // A pool never fails by design; if a bug makes it throw, restart it rather than
        // let the failure spread to its siblings.
        // On the instances' thread: a restart is the pool's decision, and deciding it on the thread
        // that saw the exit and will start the replacement costs no hop between threads.
        ActorRef<PoolActor.Command> pool = ctx.spawn(
                Behaviors.supervise(settings.cluster().enabled() ? PoolActor.placed(s, env, statusAdapter)
                        : PoolActor.create(s, env, statusAdapter)).onFailure(SupervisorStrategy.restart()),
                "service-" + s.name() + "-" + (++generation), PoolActor.INSTANCE_DISPATCHER);
        ctx.watch(pool);
        pools.put(s.name(), pool);
    }

    private Behavior<Command> onPlace(Place m) {
        ActorRef<PoolActor.Command> pool = pools.get(m.service());
        if (pool != null) {
            pool.tell(new PoolActor.Place(m.count(), m.reason()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onKillAll(KillAll m) {
        pools.values().forEach(p -> p.tell(new PoolActor.KillAll(m.reason())));
        return Behaviors.same();
    }

    /** Samples while any service autoscales on CPU or has limits; at the shortest interval asked for. */
    private void updateSampling() {
        List<ServiceSettings> needing = settings.services().values().stream().filter(ServiceSettings::needsSampling).toList();
        sampleInterval = needing.stream()
                .map(s -> s.scaling().enabled() && s.scaling().metric() == ScalingSettings.Metric.CPU
                        ? s.scaling().interval() : LIMITS_SAMPLE_INTERVAL)
                .min(Duration::compareTo).orElse(LIMITS_SAMPLE_INTERVAL);
        if (needing.isEmpty()) {
            timers.cancel(SampleTick.INSTANCE);
        } else {
            timers.startTimerWithFixedDelay(SampleTick.INSTANCE, sampleInterval);
        }
    }

    private Behavior<Command> onSampleTick() {
        if (sampling) {
            return Behaviors.same(); // the previous sample is still being taken
        }
        List<Long> groups = statuses.values().stream()
                .filter(s -> s.settings() != null && s.settings().needsSampling())
                .flatMap(s -> s.instances().stream())
                .filter(i -> i.pid().isPresent()).map(i -> i.pid().getAsLong()).toList();
        if (groups.isEmpty()) {
            return Behaviors.same();
        }
        sampling = true;
        ctx.pipeToSelf(env.resources().sample(groups), (sample, error) -> new Sampled(
                sample != null ? sample : new ResourceSampler.Sample(Map.of(), 0)));
        return Behaviors.same();
    }

    private Behavior<Command> onSampled(Sampled m) {
        sampling = false;
        for (ServiceSettings s : settings.services().values()) {
            ActorRef<PoolActor.Command> pool = pools.get(s.name());
            if (pool != null && s.needsSampling()) {
                pool.tell(new PoolActor.Usage(m.sample(), sampleInterval));
            }
        }
        return Behaviors.same();
    }

    private Behavior<Command> onGetStatus(GetStatus m) {
        m.replyTo().tell(new PoolStatus(new ArrayList<>(statuses.values()), env.clock().getAsLong()));
        return Behaviors.same();
    }

    private Behavior<Command> onServiceChanged(ServiceChanged m) {
        if (pools.containsKey(m.status().name())) {
            statuses.put(m.status().name(), m.status());
            publish();
        }
        return Behaviors.same();
    }

    /** While RUNNING: a dependency may have its first ready instance now. */
    private Behavior<Command> onServiceChangedStartReady(ServiceChanged m) {
        onServiceChanged(m);
        if (!waiting.isEmpty()) {
            startReady();
        }
        return Behaviors.same();
    }

    /** Hands the metrics the latest view of the pool (read at scrape time). */
    private void publish() {
        env.metrics().publish(new PoolStatus(new ArrayList<>(statuses.values()), env.clock().getAsLong()));
    }

    private Behavior<Command> onProbeNow(ProbeNow m) {
        ActorRef<PoolActor.Command> pool = pools.get(m.service());
        if (pool != null) {
            pool.tell(new PoolActor.ProbeNow(m.port()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onForService(ForService m) {
        ActorRef<PoolActor.Command> pool = pools.get(m.service());
        if (pool != null) {
            pool.tell(m.operation());
        } else if (waiting.contains(m.service())) {
            onWaitingOperation(m.service(), m.operation());
        } else if (held.contains(m.service())) {
            onHeldOperation(m.service(), m.operation());
        } else if (settings.services().containsKey(m.service()) && !settings.services().get(m.service()).enabled()) {
            m.operation().replyTo().tell(OpResult.conflict("service '" + m.service() + "' is disabled (enabled = false)"));
        } else {
            m.operation().replyTo().tell(OpResult.notFound("no service '" + m.service() + "'; services: "
                    + String.join(", ", settings.services().keySet())));
        }
        return Behaviors.same();
    }

    /**
     * An operation on a service that has no pool yet: a stop holds it (it will not start by
     * itself), a start is answered with what it waits for; nothing else has anything to act on.
     */
    private void onWaitingOperation(String name, PoolActor.Operation op) {
        String waitsFor = statuses.get(name).operation().orElse("waiting (depends-on)");
        if (op instanceof PoolActor.StopService) {
            waiting.remove(name);
            held.add(name);
            statuses.put(name, initialStatus(settings.services().get(name)));
            ctx.getLog().info("{}: stopped while {}; it starts when told to", name, waitsFor);
            op.replyTo().tell(OpResult.ok(name + " stopped (it was " + waitsFor + " and had not started)"));
        } else if (op instanceof PoolActor.StartService) {
            op.replyTo().tell(OpResult.ok(name + " is " + waitsFor + "; it starts then"));
        } else {
            op.replyTo().tell(OpResult.conflict(name + " has not started: it is " + waitsFor));
        }
    }

    /** An operation on a service stopped while it was waiting: a start makes it wait (or start) again. */
    private void onHeldOperation(String name, PoolActor.Operation op) {
        if (op instanceof PoolActor.StartService) {
            held.remove(name);
            waiting.add(name);
            startReady();
            op.replyTo().tell(OpResult.ok(pools.containsKey(name) ? name + " started"
                    : name + " is " + statuses.get(name).operation().orElse("waiting") + "; it starts then"));
        } else if (op instanceof PoolActor.StopService) {
            op.replyTo().tell(OpResult.ok(name + " stopped"));
        } else {
            op.replyTo().tell(OpResult.conflict(name + " is stopped; start it first"));
        }
    }

    private Behavior<Command> onReload(Reload m) {
        PoolSettings next = m.settings();
        ConfigDiff diff = ConfigDiff.between(settings, next, startedWith);
        ctx.getLog().info("reloading {}: {}", next.source(), diff.summary());
        diff.ignored().forEach(w -> ctx.getLog().warn("reload: {}", w));
        for (String name : diff.removed()) {
            env.door().removed(name);
            waiting.remove(name);
            held.remove(name);
            ActorRef<PoolActor.Command> pool = pools.remove(name);
            if (pool != null) {
                retiring.put(pool.unsafeUpcast(), name);
                pool.tell(new PoolActor.Stop("removed by reload of " + next.source()));
            }
        }
        // Added services start as at procpool's start: once what they depend on is ready.
        waiting.addAll(diff.added());
        ActorRef<OpResult> ignore = ctx.getSystem().ignoreRef();
        for (String name : concat(diff.rolled(), diff.adjusted())) {
            ActorRef<PoolActor.Command> pool = pools.get(name);
            if (pool != null) { // a waiting or held service has no pool: it starts with the new settings
                pool.tell(new PoolActor.Reconfigure(next.services().get(name), ignore));
            }
        }
        Map<String, ServiceStatus> previous = new LinkedHashMap<>(statuses);
        statuses.clear();
        for (ServiceSettings s : next.services().values()) {
            ServiceStatus old = previous.get(s.name());
            statuses.put(s.name(), !pools.containsKey(s.name()) ? initialStatus(s)
                    : old != null && old.state() != ServiceState.DISABLED ? old : starting(s));
        }
        settings = next;
        startReady();
        publish(); // a service the reload added has its zeros in the metrics from now on
        updateSampling();
        List<String> notes = new ArrayList<>(diff.ignored());
        Duration needed = stopBudget(next);
        if (needed.compareTo(shutdownBudget) > 0) {
            // The shutdown's phase was sized at the start; what a stop of this configuration may
            // take (longer stop.timeout or drain, a depends-on chain) counts from the next start.
            String note = "stopping everything may now take up to " + Durations.format(needed) + " (stop.timeout, drain, "
                    + "depends-on), more than the " + Durations.format(shutdownBudget) + " procpool's shutdown was given at its "
                    + "start: until procpool is restarted, a stop that runs over is cut short with SIGKILL";
            ctx.getLog().warn("reload: {}", note);
            notes.add(note);
        }
        m.replyTo().tell(new OpResult(OpResult.Outcome.OK, "reloaded " + next.source() + ": " + diff.summary(), notes));
        return Behaviors.same();
    }

    private Behavior<Command> onStopAll(StopAll m) {
        ctx.getLog().info("stopping every service");
        timers.cancel(SampleTick.INSTANCE);
        for (String name : concat(List.copyOf(waiting), List.copyOf(held))) {
            statuses.put(name, initialStatus(settings.services().get(name)));
        }
        waiting.clear();
        held.clear();
        for (String name : pools.keySet()) {
            List<String> dependents = DependencyOrder.dependents(settings.services(), pools.keySet(), name);
            if (!dependents.isEmpty()) {
                ctx.getLog().info("{}: stops after {} (depends-on)", name, String.join(", ", dependents));
            }
        }
        stopNext();
        return stopping(List.of(m.replyTo()));
    }

    /** Tells every pool that no running service depends on any more to stop (once). */
    private void stopNext() {
        for (String name : DependencyOrder.stoppable(settings.services(), List.copyOf(pools.keySet()))) {
            if (toldToStop.add(name)) {
                pools.get(name).tell(new PoolActor.Stop(SHUTDOWN));
            }
        }
    }

    private Behavior<Command> onPoolTerminated(Terminated s) {
        String retired = retiring.remove(s.getRef());
        if (retired != null) {
            ctx.getLog().info("{}: removed", retired);
            return Behaviors.same();
        }
        String name = nameOf(s.getRef());
        if (name != null) {
            pools.remove(name);
            ctx.getLog().error("{}: pool actor stopped unexpectedly", name);
        }
        return Behaviors.same();
    }

    private Behavior<Command> afterPoolTerminated(Terminated s, List<ActorRef<Done>> waiters) {
        if (retiring.remove(s.getRef()) == null) {
            String name = nameOf(s.getRef());
            if (name != null) {
                pools.remove(name);
                stopNext(); // what it depended on may stop now
            }
        }
        return stopping(waiters);
    }

    private Behavior<Command> reject(ForService m, String why) {
        m.operation().replyTo().tell(OpResult.conflict(why));
        return Behaviors.same();
    }

    private Behavior<Command> rejectReload(Reload m, String why) {
        m.replyTo().tell(OpResult.conflict(why));
        return Behaviors.same();
    }

    private Behavior<Command> replyDone(StopAll m) {
        m.replyTo().tell(Done.getInstance());
        return Behaviors.same();
    }

    private String nameOf(ActorRef<Void> ref) {
        return pools.entrySet().stream().filter(e -> e.getValue().equals(ref)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> out = new ArrayList<>(list);
        out.add(item);
        return List.copyOf(out);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
