package io.procpool.internal.cluster;

import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.api.Subscription;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.internal.supervision.PoolClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One per node, in the node's cluster actor system: the cluster's hands on this node's pool. It
 * tells the {@link PlacementCoordinator} what this node can run (its ports per service, whether
 * its definition of each service is the cluster's) and how many are ready, and carries out what
 * the coordinator assigns, through the pool's front door ({@link PoolClient#place}). The
 * InstanceActors that own the processes stay in the pool's own tree on this node; only the counts
 * cross the network.
 */
public final class NodeAgent {

    /** Every node's agent is registered under this key; the coordinator finds them through the receptionist. */
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "procpool-node-agents");

    /** How often a node's report goes out even when nothing changed: a lost message is not a lost node. */
    static final Duration REPORT_EVERY = Duration.ofSeconds(5);

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

    /** Run {@code count} instances of {@code service} on this node. */
    public record Assign(String service, int count) implements Command, ClusterMessage {
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

    private enum Changed implements Command {
        INSTANCE
    }

    private record StatusRead(PoolStatus status, boolean always) implements Command {
    }

    private enum Tick implements Command {
        INSTANCE
    }

    private final ActorContext<Command> ctx;
    private final PoolSettings settings;
    private final PoolClient door;
    private final String node;
    private final Map<String, Integer> assigned = new HashMap<>();
    private final Map<String, Integer> ready = new HashMap<>();
    private final java.util.Set<String> mismatched = new java.util.HashSet<>();
    /** Services whose pool here waits for what it depends on (depends-on): they can run nothing here yet. */
    private final java.util.Set<String> waiting = new java.util.HashSet<>();
    /** The coordinator singleton's proxy: it finds the coordinator wherever it runs now, and holds messages while it moves. */
    private final ActorRef<PlacementCoordinator.Command> coordinator;
    private boolean reading;
    /** Who waits for the hand-over of this node's share, while it is under way. */
    private final List<ActorRef<org.apache.pekko.Done>> handingOver = new ArrayList<>();
    /** A change came while a read was under way: read again when it answers. */
    private boolean readAgain;

    static Behavior<Command> create(PoolSettings settings, PoolClient door, ActorRef<PlacementCoordinator.Command> coordinator) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new NodeAgent(ctx, timers, settings, door, coordinator).listening()));
    }

    private NodeAgent(ActorContext<Command> ctx, TimerScheduler<Command> timers, PoolSettings settings, PoolClient door,
                      ActorRef<PlacementCoordinator.Command> coordinator) {
        this.ctx = ctx;
        this.settings = settings;
        this.door = door;
        this.coordinator = coordinator;
        this.node = Nodes.id(Cluster.get(ctx.getSystem()).selfMember().uniqueAddress());
        ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, REPORT_EVERY);
        // The first report at once: the receptionist's listing, through which a coordinator greets
        // the agents, follows gossip every 2 s.
        readStatus(true);
    }

    private Behavior<Command> listening() {
        ActorRef<Command> self = ctx.getSelf();
        // Readiness changes go to the coordinator, which holds a move's shrinking side until they come.
        Subscription events = door.subscribe(e -> self.tell(Changed.INSTANCE));
        return Behaviors.receive(Command.class)
                .onMessage(Hello.class, m -> { report(m.replyTo()); return Behaviors.same(); })
                .onMessage(Assign.class, this::onAssign)
                .onMessage(Mismatch.class, this::onMismatch)
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
                .onMessageEquals(Changed.INSTANCE, () -> readStatus(false))
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(StatusRead.class, this::onStatus)
                .onSignal(PostStop.class, s -> { events.close(); return Behaviors.same(); })
                .build();
    }

    private Behavior<Command> onAssign(Assign m) {
        Integer before = assigned.put(m.service(), m.count());
        if (before == null || before != m.count()) {
            door.place(m.service(), m.count(), "the cluster's share for this node is " + m.count());
        }
        return Behaviors.same();
    }

    private Behavior<Command> onMismatch(Mismatch m) {
        if (mismatched.add(m.service())) {
            ctx.getLog().error("{}: this node runs none of it: {}", m.service(), m.detail());
        }
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
        return Behaviors.same();
    }

    private void report() {
        report(coordinator);
    }

    private void report(ActorRef<PlacementCoordinator.Command> to) {
        List<PlacementCoordinator.ServiceReport> services = new ArrayList<>();
        for (ServiceSettings s : settings.services().values()) {
            services.add(new PlacementCoordinator.ServiceReport(s.name(), s.enabled() && !waiting.contains(s.name()) ? s.ports().size() : 0,
                    ServiceDefinition.fingerprint(s), assigned.getOrDefault(s.name(), 0), ready.getOrDefault(s.name(), 0)));
        }
        to.tell(new PlacementCoordinator.Report(ctx.getSelf(), node, services));
    }
}
