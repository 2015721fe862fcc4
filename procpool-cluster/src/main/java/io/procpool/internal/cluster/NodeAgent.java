package io.procpool.internal.cluster;

import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.Subscription;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.supervision.PoolClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One per node, in the node's cluster actor system: the cluster's hands on this node's pool. It
 * tells the {@link PlacementCoordinator} what this node can run (its ports per service, whether
 * its definition of each service is the cluster's) and how many are ready, and carries out what
 * the coordinator assigns, through the pool's front door ({@link PoolClient#place}). The
 * InstanceActors that own the processes stay in the pool's own tree on this node; only the counts
 * cross the network.
 *
 * <p>It also keeps this node's {@link ClusterView} of the others: every agent sends the others
 * what its node runs (each instance's port, process and state) at each change and every
 * {@link #REPORT_EVERY}, and drops a node the cluster finds unreachable or removes. Before an
 * instance here is stopped on purpose, it asks every other node's gateway to drain it
 * ({@link DrainHere}), and before the node leaves, to drain all of them ({@link Withdraw}).
 */
public final class NodeAgent {

    /** Every node's agent is registered under this key; the coordinator finds them through the receptionist. */
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "procpool-node-agents");

    /** How often a node's report goes out even when nothing changed: a lost message is not a lost node. */
    static final Duration REPORT_EVERY = Duration.ofSeconds(5);

    /** How long a leaving node waits for the other gateways to drain its instances. */
    static final Duration WITHDRAW_TIMEOUT = Duration.ofSeconds(10);

    /** Messages an agent understands. */
    public sealed interface Command {
    }

    /**
     * A coordinator (a new one, after the last one's node was lost) asks for this node's report,
     * answered to it directly: the singleton's proxies find a new coordinator only at their next
     * identification round.
     */
    public record Hello(ActorRef<PlacementCoordinator.Command> replyTo) implements Command, ClusterMessage {
    }

    /**
     * Run {@code count} instances of {@code service} on this node, of {@code target} across the
     * cluster, of which {@code unplaced} fit on no node now.
     */
    public record Assign(String service, int count, int target, int unplaced) implements Command, ClusterMessage {
    }

    /** This node's definition of {@code service} is the cluster's again. */
    public record Matched(String service) implements Command, ClusterMessage {
    }

    /** This node's definition of {@code service} is not the cluster's: it runs none of it. */
    public record Mismatch(String service, String detail) implements Command, ClusterMessage {
    }

    /** The other nodes run this node's share ready: it may stop its own (see {@link PlacementCoordinator.Leaving}). */
    public enum HandedOver implements Command, ClusterMessage {
        INSTANCE
    }

    /** This node's procpool is stopping: hand its share over first, then answer. */
    record HandOver(ActorRef<org.apache.pekko.Done> replyTo) implements Command {
    }

    /** What another node runs now. */
    public record Snapshot(ClusterView.NodeReport report) implements Command, ClusterMessage {
    }

    /** Another node is about to stop its instance of {@code service} at {@code address}: drain it from this node's gateway, then answer. */
    public record DrainHere(String service, String address, ActorRef<Drained> replyTo) implements Command, ClusterMessage {
    }

    /** Node {@code id} leaves: drain all its instances from this node's gateway and forget it, then answer. */
    public record DrainNode(String id, ActorRef<Drained> replyTo) implements Command, ClusterMessage {
    }

    /** The answer to {@link DrainHere} and {@link DrainNode}: nothing of it is in flight here any more. */
    public enum Drained implements ClusterMessage {
        INSTANCE
    }

    /** This node is about to leave: every other node's gateway drains its instances; answer when they have (or within a bound). */
    record Withdraw(ActorRef<org.apache.pekko.Done> replyTo) implements Command {
    }

    /** An operator's operation, asked of another node, for this node's share of {@code service} ({@code null} for a reload). */
    public record Operate(String operation, String service, ActorRef<Operated> replyTo) implements Command, ClusterMessage {
    }

    /** What a node answered to {@link Operate}: an {@link OpResult}, on the wire. */
    public record Operated(String node, String outcome, String message, List<String> details) implements ClusterMessage {
        static Operated of(String node, OpResult r) {
            return new Operated(node, r.outcome().name(), r.message(), r.details());
        }

        ClusterView.NodeResult result() {
            OpResult.Outcome o;
            try {
                o = OpResult.Outcome.valueOf(outcome);
            } catch (IllegalArgumentException e) {
                o = OpResult.Outcome.FAILED;
            }
            return new ClusterView.NodeResult(node, new OpResult(o, message, details));
        }
    }

    /** An operator's operation on this node, to be carried to the others. */
    private record OperateOthers(ClusterView.Operation operation, String service, boolean oneByOne,
                                 CompletableFuture<List<ClusterView.NodeResult>> done) implements Command {
    }

    /** An instance here is about to be stopped on purpose: drain it from the other nodes' gateways. */
    private record DrainOthers(String service, String address, CompletableFuture<Void> done) implements Command {
    }

    /** The answers to a drain are in: completed on the agent's thread, which owns the set of those under way. */
    private record Answered(CompletableFuture<Void> done) implements Command {
    }

    private record Listed(Receptionist.Listing listing) implements Command {
    }

    private record Member(ClusterEvent.MemberEvent event) implements Command {
    }

    private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command {
    }

    /** A transition of one of this node's instances. */
    private record Changed(io.procpool.api.PoolEvent event) implements Command {
    }

    /** A transition of another node's instance, for this node's {@code /events}. */
    public record Transition(String node, long epochMillis, String service, int port, long pid, String from, String to, String reason)
            implements Command, ClusterMessage {
    }

    private record StatusRead(PoolStatus status, boolean always) implements Command {
    }

    private enum Tick implements Command {
        INSTANCE
    }

    /** Time to send the autoscaled services' loads. */
    private enum LoadTick implements Command {
        INSTANCE
    }

    private final ActorContext<Command> ctx;
    private final PoolSettings settings;
    private final PoolClient door;
    private final String node;
    private final Map<String, Integer> assigned = new HashMap<>();
    /** The status read under way is a load tick's: the other nodes get a snapshot only if something changed. */
    private boolean loadOnly;
    /** Each autoscaled service's load per ready instance here, as its pool last read it. */
    private final Map<String, Double> loads = new HashMap<>();
    /** The cluster's count of each service, as the coordinator last said it. */
    private final Map<String, Integer> targets = new HashMap<>();
    private final Map<String, Integer> ready = new HashMap<>();
    /** Services whose pool here waits for what it depends on (depends-on): they can run nothing here yet. */
    private final java.util.Set<String> waiting = new java.util.HashSet<>();
    /** The coordinator singleton's proxy: it finds the coordinator wherever it runs now, and holds messages while it moves. */
    private final ActorRef<PlacementCoordinator.Command> coordinator;
    private boolean reading;
    /** Who waits for the hand-over of this node's share, while it is under way. */
    private final List<ActorRef<org.apache.pekko.Done>> handingOver = new ArrayList<>();
    /** A change came while a read was under way: read again when it answers. */
    private boolean readAgain;
    private final ClusterView view;
    /** The other nodes' agents, as the receptionist lists them. */
    private volatile Set<ActorRef<Command>> others = Set.of();
    /** What this node runs, as last sent to the others; null before the first status read. */
    private ClusterView.NodeReport sent;
    /** The members the failure detector says do not answer now: an operation does not wait for them. */
    private final Set<org.apache.pekko.actor.Address> unreachable = new HashSet<>();
    /** Operations carried to the other nodes that have not all answered yet: answered when this agent stops. */
    private final Set<CompletableFuture<List<ClusterView.NodeResult>>> operating = new HashSet<>();
    /** Drains of this node's instances from the other gateways that have not answered yet: answered when this agent stops. */
    private final Set<CompletableFuture<Void>> draining = new HashSet<>();

    static Behavior<Command> create(PoolSettings settings, PoolClient door, ClusterView view,
                                    ActorRef<PlacementCoordinator.Command> coordinator) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new NodeAgent(ctx, timers, settings, door, view, coordinator).listening()));
    }

    private NodeAgent(ActorContext<Command> ctx, TimerScheduler<Command> timers, PoolSettings settings, PoolClient door, ClusterView view,
                      ActorRef<PlacementCoordinator.Command> coordinator) {
        this.ctx = ctx;
        this.settings = settings;
        this.door = door;
        this.view = view;
        this.coordinator = coordinator;
        Cluster cluster = Cluster.get(ctx.getSystem());
        this.node = Nodes.id(cluster.selfMember().uniqueAddress());
        // A new incarnation (after being downed) learns the others afresh: the old one may have
        // seen them unreachable, and missed their removal.
        view.reset();
        ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, ctx.messageAdapter(Receptionist.Listing.class, Listed::new)));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class, Member::new),
                ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
                ClusterEvent.ReachabilityEvent.class));
        ActorRef<Command> self = ctx.getSelf();
        view.elsewhere((service, address) -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            self.tell(new DrainOthers(service, address, done));
            // Bounded even if this agent stops with the message unread: the instance's stop waits
            // no longer than its drain.timeout anyway.
            return done.completeOnTimeout(null, drainTimeout(service).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        });
        org.apache.pekko.actor.typed.Scheduler scheduler = ctx.getSystem().scheduler();
        view.others(new ClusterView.Others() {
            @Override
            public java.util.concurrent.CompletionStage<List<ClusterView.NodeResult>> operate(ClusterView.Operation operation, String service,
                                                                                             boolean oneByOne) {
                CompletableFuture<List<ClusterView.NodeResult>> done = new CompletableFuture<>();
                self.tell(new OperateOthers(operation, service, oneByOne, done));
                // Bounded even if this agent stops with the message unread.
                return done.completeOnTimeout(List.of(new ClusterView.NodeResult("the cluster", new OpResult(OpResult.Outcome.UNAVAILABLE,
                        "the other nodes did not answer in time (this node's cluster side may have stopped)"))),
                        operationTimeout().multipliedBy(Math.max(1, others.size())).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }

            @Override
            public java.util.concurrent.CompletionStage<OpResult> scale(String service, int instances) {
                // The coordinator owns the cluster's counts; its proxy holds the question while it moves.
                Duration timeout = Duration.ofSeconds(30);
                return io.procpool.internal.Stages.here(AskPattern.<PlacementCoordinator.Command, Operated>ask(coordinator,
                        r -> new PlacementCoordinator.Scale(service, instances, r), timeout, scheduler))
                        .thenApply(o -> o.result().result())
                        .exceptionally(e -> new OpResult(OpResult.Outcome.UNAVAILABLE, "the cluster's placement coordinator did not answer "
                                + "within " + timeout.toSeconds() + " s (it may be moving to another node); ask again"));
            }
        });
        timers.startTimerWithFixedDelay(Tick.INSTANCE, REPORT_EVERY);
        // An autoscaled service's load goes to the coordinator as often as it samples it.
        settings.services().values().stream().filter(s -> s.enabled() && s.scaling().enabled()).map(s -> s.scaling().interval())
                .min(Duration::compareTo).filter(d -> d.compareTo(REPORT_EVERY) < 0)
                .ifPresent(d -> timers.startTimerWithFixedDelay(LoadTick.INSTANCE, d));
        // The first report at once: the receptionist's listing, through which a coordinator greets
        // the agents, follows gossip every 2 s.
        readStatus(true);
    }

    private Behavior<Command> listening() {
        ActorRef<Command> self = ctx.getSelf();
        // Readiness changes go to the coordinator, which holds a move's shrinking side until they come.
        Subscription events = door.subscribe(e -> self.tell(new Changed(e)));
        return Behaviors.receive(Command.class)
                .onMessage(Hello.class, m -> { report(m.replyTo()); return Behaviors.same(); })
                .onMessage(Assign.class, this::onAssign)
                .onMessage(Mismatch.class, this::onMismatch)
                .onMessage(Matched.class, m -> {
                    if (view.refuses(m.service())) {
                        ctx.getLog().info("{}: this node's definition is the cluster's again", m.service());
                    }
                    view.accepted(m.service());
                    return Behaviors.same();
                })
                .onMessage(HandOver.class, m -> {
                    handingOver.add(m.replyTo());
                    coordinator.tell(new PlacementCoordinator.Leaving(node, ctx.getSelf()));
                    return Behaviors.same();
                })
                .onMessageEquals(HandedOver.INSTANCE, () -> {
                    handingOver.forEach(w -> w.tell(org.apache.pekko.Done.getInstance()));
                    handingOver.clear();
                    return Behaviors.same();
                })
                .onMessage(Changed.class, m -> {
                    io.procpool.api.PoolEvent e = m.event();
                    Transition t = new Transition(view.self(), e.time().toEpochMilli(), e.service(), e.port(), e.pid().orElse(0),
                            e.from().name(), e.to().name(), e.reason());
                    others.forEach(a -> a.tell(t));
                    return readStatus(false);
                })
                .onMessage(Transition.class, m -> {
                    try {
                        view.event(new io.procpool.api.PoolEvent(java.time.Instant.ofEpochMilli(m.epochMillis()), m.service(), m.port(),
                                m.pid() > 0 ? java.util.OptionalLong.of(m.pid()) : java.util.OptionalLong.empty(),
                                io.procpool.api.InstanceState.valueOf(m.from()), io.procpool.api.InstanceState.valueOf(m.to()), m.reason(),
                                m.node()));
                    } catch (IllegalArgumentException e) {
                        // A state of a newer procpool on that node: its status report still shows the instance.
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessageEquals(LoadTick.INSTANCE, () -> {
                    // The loads go to the coordinator; the other nodes hear of changes as they happen.
                    loadOnly = true;
                    return readStatus(true);
                })
                .onMessage(StatusRead.class, this::onStatus)
                .onMessage(Listed.class, this::onListed)
                .onMessage(Snapshot.class, m -> {
                    if (!m.report().id().equals(node)) {
                        view.report(m.report());
                    }
                    return Behaviors.same();
                })
                .onMessage(Member.class, m -> {
                    if (m.event() instanceof ClusterEvent.MemberRemoved removed) {
                        view.removed(Nodes.id(removed.member().uniqueAddress()));
                    }
                    return Behaviors.same();
                })
                .onMessage(Reachability.class, m -> {
                    boolean reachable = m.event() instanceof ClusterEvent.ReachableMember;
                    view.reachable(Nodes.id(m.event().member().uniqueAddress()), reachable);
                    if (reachable) {
                        unreachable.remove(m.event().member().address());
                    } else {
                        unreachable.add(m.event().member().address());
                    }
                    return Behaviors.same();
                })
                .onMessage(DrainOthers.class, this::onDrainOthers)
                .onMessage(DrainHere.class, m -> {
                    view.drainHere(m.service(), m.address()).thenRun(() -> m.replyTo().tell(Drained.INSTANCE));
                    return Behaviors.same();
                })
                .onMessage(DrainNode.class, m -> {
                    view.withdraw(m.id()).thenRun(() -> m.replyTo().tell(Drained.INSTANCE));
                    return Behaviors.same();
                })
                .onMessage(Withdraw.class, this::onWithdraw)
                .onMessage(Operate.class, this::onOperate)
                .onMessage(OperateOthers.class, this::onOperateOthers)
                .onMessage(OperatedOthers.class, m -> {
                    operating.remove(m.done());
                    m.done().complete(m.results());
                    return Behaviors.same();
                })
                .onMessage(Answered.class, m -> {
                    draining.remove(m.done());
                    m.done().complete(null);
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, s -> {
                    events.close();
                    view.elsewhere(ClusterView.Drain.NONE);
                    view.others(ClusterView.Others.NONE);
                    operating.forEach(f -> f.complete(List.of(new ClusterView.NodeResult("the cluster", new OpResult(
                            OpResult.Outcome.UNAVAILABLE, "this node's cluster side stopped before the other nodes answered")))));
                    // This node's cluster side is gone: no other gateway can be asked any more.
                    draining.forEach(d -> d.complete(null));
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onListed(Listed m) {
        Set<ActorRef<Command>> now = new HashSet<>(m.listing().getServiceInstances(KEY));
        now.remove(ctx.getSelf());
        if (sent != null) {
            // A node that has just joined hears what this one runs at once, not at the next round.
            now.stream().filter(a -> !others.contains(a)).forEach(a -> a.tell(new Snapshot(sent)));
        }
        others = Set.copyOf(now);
        return Behaviors.same();
    }

    /**
     * Asks every other node's gateway to drain one of this node's instances; {@code done}
     * completes when all have answered, or after the service's {@code drain.timeout} (the
     * instance's stop does not wait longer than that anyway).
     */
    private Behavior<Command> onDrainOthers(DrainOthers m) {
        askOthers(r -> new DrainHere(m.service(), m.address(), r), drainTimeout(m.service()), m.done());
        return Behaviors.same();
    }

    /** How long the other gateways' drain of an instance of {@code service} may take: its drain.timeout, and a margin. */
    private Duration drainTimeout(String service) {
        ServiceSettings s = settings.services().get(service);
        return s == null ? WITHDRAW_TIMEOUT : s.drain().timeout().plusSeconds(1);
    }

    /** How long one other node's part of an operation may take: its own bound, and a margin. */
    private Duration operationTimeout() {
        return door.longestAnswer().plusSeconds(10);
    }

    /** Another node asks this one to carry out an operator's operation on its own instances. */
    private Behavior<Command> onOperate(Operate m) {
        ClusterView.Operation operation;
        try {
            operation = ClusterView.Operation.valueOf(m.operation());
        } catch (IllegalArgumentException e) {
            m.replyTo().tell(new Operated(view.self(), OpResult.Outcome.INVALID.name(), "this node (procpool "
                    + io.procpool.internal.BuildInfo.current().version() + ") knows no operation " + m.operation(), List.of()));
            return Behaviors.same();
        }
        java.util.concurrent.CompletionStage<OpResult> result = switch (operation) {
            case RESTART -> door.restart(m.service());
            case BEGIN_RESTART -> door.beginRestart(m.service());
            case STOP -> door.stopService(m.service());
            case START -> door.startService(m.service());
            case RELOAD -> door.reload();
        };
        result.whenComplete((r, e) -> m.replyTo().tell(r != null ? Operated.of(view.self(), r)
                : new Operated(view.self(), OpResult.Outcome.UNAVAILABLE.name(), String.valueOf(e.getMessage()), List.of())));
        return Behaviors.same();
    }

    /**
     * Carries an operation asked of this node to the others, in the order of their addresses: one
     * after another, stopping at the first that does not answer OK, when {@code oneByOne}; else
     * all at once. A node that does not answer within its operation's bound is UNAVAILABLE.
     */
    private Behavior<Command> onOperateOthers(OperateOthers m) {
        List<ActorRef<Command>> order = others.stream().sorted(java.util.Comparator.comparing(a -> a.path().address().toString())).toList();
        Duration timeout = operationTimeout();
        org.apache.pekko.actor.typed.Scheduler scheduler = ctx.getSystem().scheduler();
        Set<org.apache.pekko.actor.Address> cutOff = Set.copyOf(unreachable);
        java.util.function.Function<ActorRef<Command>, CompletableFuture<ClusterView.NodeResult>> ask = a -> cutOff.contains(
                a.path().address())
                ? CompletableFuture.completedFuture(new ClusterView.NodeResult(name(a), new OpResult(OpResult.Outcome.UNAVAILABLE,
                        "unreachable (the failure detector hears nothing from it): not asked")))
                : io.procpool.internal.Stages.here(AskPattern.<Command, Operated>ask(a, r -> new Operate(m.operation().name(), m.service(), r),
                        timeout, scheduler)).thenApply(Operated::result)
                .exceptionally(e -> new ClusterView.NodeResult(name(a), new OpResult(OpResult.Outcome.UNAVAILABLE,
                        "no answer within " + timeout.toSeconds() + " s")));
        CompletableFuture<List<ClusterView.NodeResult>> results;
        if (m.oneByOne()) {
            results = CompletableFuture.completedFuture(List.of());
            for (ActorRef<Command> a : order) {
                results = results.thenCompose(sofar -> sofar.stream().anyMatch(r -> !r.result().ok())
                        ? CompletableFuture.completedFuture(sofar)
                        : ask.apply(a).thenApply(r -> {
                            List<ClusterView.NodeResult> more = new ArrayList<>(sofar);
                            more.add(r);
                            return more;
                        }));
            }
        } else {
            List<CompletableFuture<ClusterView.NodeResult>> asked = order.stream().map(ask).toList();
            results = CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                    .thenApply(x -> asked.stream().map(CompletableFuture::join).toList());
        }
        operating.add(m.done());
        ActorRef<Command> self = ctx.getSelf();
        results.thenAccept(r -> self.tell(new OperatedOthers(m.done(), r)));
        return Behaviors.same();
    }

    /** The other nodes have answered an operation: completed on the agent's thread, which owns the set of those under way. */
    private record OperatedOthers(CompletableFuture<List<ClusterView.NodeResult>> done, List<ClusterView.NodeResult> results)
            implements Command {
    }

    /** A node's name from its agent's address: {@code host:port}, as in a status. */
    private static String name(ActorRef<?> agent) {
        org.apache.pekko.actor.Address a = agent.path().address();
        return a.getHost().orElse("?") + ":" + a.getPort().map(String::valueOf).orElse("?");
    }

    private Behavior<Command> onWithdraw(Withdraw m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        done.thenRun(() -> m.replyTo().tell(org.apache.pekko.Done.getInstance()));
        askOthers(r -> new DrainNode(node, r), WITHDRAW_TIMEOUT, done);
        return Behaviors.same();
    }

    /** Asks every other agent {@code question}; {@code done} completes when all have answered or {@code timeout} has passed. */
    private void askOthers(java.util.function.Function<ActorRef<Drained>, Command> question, Duration timeout,
                           CompletableFuture<Void> done) {
        if (others.isEmpty()) {
            done.complete(null);
            return;
        }
        draining.add(done);
        ActorRef<Command> self = ctx.getSelf();
        CompletableFuture<?>[] answers = others.stream().map(a -> io.procpool.internal.Stages.here(AskPattern.<Command, Drained>ask(a,
                question::apply, timeout, ctx.getSystem().scheduler())).exceptionally(e -> Drained.INSTANCE)).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(answers).thenRun(() -> self.tell(new Answered(done)));
    }

    private Behavior<Command> onAssign(Assign m) {
        targets.put(m.service(), m.target());
        view.unplaced(m.service(), m.unplaced());
        Integer before = assigned.put(m.service(), m.count());
        if (before == null || before != m.count()) {
            door.place(m.service(), m.count(), "the cluster's share for this node is " + m.count());
        }
        return Behaviors.same();
    }

    private Behavior<Command> onMismatch(Mismatch m) {
        // Logged once per refusal: the view holds it until the coordinator accepts the service again.
        if (!view.refuses(m.service())) {
            ctx.getLog().error("{}: this node runs none of it: {}", m.service(), m.detail());
        }
        view.refused(m.service(), m.detail());
        return Behaviors.same();
    }

    /** The periodic round: the assignments again (a pool restarted by its supervisor starts with none), and a report. */
    private Behavior<Command> onTick() {
        assigned.forEach((service, count) -> door.place(service, count, "the cluster's share for this node is " + count));
        return readStatus(true);
    }

    private Behavior<Command> readStatus(boolean always) {
        if (reading) {
            readAgain = true;
        } else {
            reading = true;
            ctx.pipeToSelf(door.status(), (s, e) -> new StatusRead(s, always));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onStatus(StatusRead m) {
        reading = false;
        if (readAgain) {
            readAgain = false;
            readStatus(m.always());
        }
        if (m.status() == null) {
            return Behaviors.same();
        }
        Map<String, Integer> now = new HashMap<>();
        java.util.Set<String> waitingNow = new java.util.HashSet<>();
        for (ServiceStatus s : m.status().services()) {
            now.put(s.name(), s.ready().size());
            s.load().ifPresentOrElse(l -> loads.put(s.name(), l), () -> loads.remove(s.name()));
            if (s.state() == io.procpool.api.ServiceState.WAITING) {
                waitingNow.add(s.name());
            }
        }
        if (m.always() || !now.equals(ready) || !waitingNow.equals(waiting)) {
            waiting.clear();
            waiting.addAll(waitingNow);
            ready.clear();
            ready.putAll(now);
            report();
        }
        ClusterView.NodeReport mine = nodeReport(m.status());
        boolean snapshotDue = m.always() && !loadOnly;
        loadOnly = false;
        if (snapshotDue || sent == null || !shape(mine).equals(shape(sent))) {
            sent = mine;
            others.forEach(a -> a.tell(new Snapshot(mine)));
        }
        return Behaviors.same();
    }

    /** What this node runs, for the other nodes' views. */
    private ClusterView.NodeReport nodeReport(PoolStatus status) {
        Map<String, Integer> desired = new HashMap<>();
        List<ClusterView.RemoteInstance> instances = new ArrayList<>();
        for (ServiceStatus s : status.services()) {
            desired.put(s.name(), s.desired());
            for (InstanceStatus i : s.instances()) {
                instances.add(new ClusterView.RemoteInstance(s.name(), i.port(), i.pid().orElse(0), i.state().name(), i.restarts(),
                        i.uptimeMillis(status.atNanos()), i.reason()));
            }
        }
        return new ClusterView.NodeReport(node, view.self(), view.host(), desired, instances);
    }

    /** A report without its uptimes, which change at every read: what tells whether anything happened. */
    private static List<Object> shape(ClusterView.NodeReport r) {
        return List.of(r.desired(), r.instances().stream().map(i -> List.of(i.service(), i.port(), i.pid(), i.state(), i.restarts(),
                i.reason())).toList());
    }

    private void report() {
        report(coordinator);
    }

    private void report(ActorRef<PlacementCoordinator.Command> to) {
        List<PlacementCoordinator.ServiceReport> services = new ArrayList<>();
        for (ServiceSettings s : settings.services().values()) {
            // A node without every role the service asks for (placement.roles) has no room for it.
            boolean fits = s.enabled() && !waiting.contains(s.name()) && settings.cluster().roles().containsAll(s.placementRoles());
            services.add(new PlacementCoordinator.ServiceReport(s.name(), fits ? s.ports().size() : 0,
                    ServiceDefinition.fingerprint(s), assigned.getOrDefault(s.name(), 0), ready.getOrDefault(s.name(), 0),
                    targets.getOrDefault(s.name(), 0), loads.getOrDefault(s.name(), -1.0)));
        }
        to.tell(new PlacementCoordinator.Report(ctx.getSelf(), node, services));
    }
}
