package io.procpool.internal.cluster;

import io.procpool.api.OpResult;
import io.procpool.internal.scaling.ScalingMetric;
import io.procpool.internal.scaling.ScalingPolicy;
import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The one owner of placement: how many instances of each service each node runs. A Cluster
 * Singleton (at most one in the cluster, on the oldest node; on that node's loss, started again on
 * the next oldest after its removal). It keeps no state that must survive it: what each node can
 * run and has ready comes from the nodes' {@link NodeAgent} reports, which a new coordinator asks
 * for ({@link NodeAgent.Hello}) before it places anything, and the wanted counts come from the
 * service definitions, the same on every node.
 *
 * <p>It acts on membership, never on reachability: a node that cannot be reached keeps its share
 * until the Split Brain Resolver downs it (the instances it runs may well still serve), and then
 * its share goes to the others at once ({@link Placement}). Chosen over Cluster Sharding with
 * remembered entities: sharding would split each service's one owner (its PoolActor: restart
 * budget, roll, drain) into entities, knows nothing of a node's ports per service, and moves an
 * entity by stopping it first (docs/architecture.md, "The cluster").
 */
public final class PlacementCoordinator {

    /** Messages the coordinator understands. */
    public sealed interface Command {
    }

    /**
     * What a node can run and has ready, from its agent: sent when a coordinator says hello,
     * whenever its ready counts change, and every few seconds.
     *
     * @param node the node and its incarnation ({@link Nodes#id})
     */
    public record Report(ActorRef<NodeAgent.Command> agent, String node, List<ServiceReport> services)
            implements Command, ClusterMessage {
    }

    /**
     * One service on one node.
     *
     * @param capacity its ports for the service on that node (0 when it is disabled there)
     * @param fingerprint its definition there ({@link ServiceDefinition#fingerprint})
     * @param assigned what the node was told to run (by this coordinator or an earlier one)
     * @param ready its instances ready there now
     * @param target the cluster's count of the service as the node last heard it ({@link NodeAgent.Assign}), 0 before it has
     * @param load an autoscaled service's scaling metric per ready instance there; negative when there is none
     */
    public record ServiceReport(String service, int capacity, String fingerprint, int assigned, int ready, int target, double load) {
    }

    /** Time for one autoscaling sample of {@code service}, at its {@code scaling.interval}. */
    private record ScaleTick(String service) implements Command {
    }

    /**
     * An operator scales {@code service} to {@code instances} across the cluster (within its
     * min-processes..max-processes); answered at once, the instances placed as usual.
     */
    public record Scale(String service, int instances, ActorRef<NodeAgent.Operated> replyTo) implements Command, ClusterMessage {
    }

    /**
     * {@code node} is about to leave (its procpool is stopping): place its share on the others now,
     * and tell {@code agent} once they run it ready ({@link NodeAgent.HandedOver}), so that it
     * stops its own only then (a surge, as the rolling restart).
     */
    public record Leaving(String node, ActorRef<NodeAgent.Command> agent) implements Command, ClusterMessage {
    }

    private record AgentsListed(Receptionist.Listing listing) implements Command {
    }

    private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private final ActorContext<Command> ctx;
    private final Cluster cluster;
    /** The cluster's definition: this node's, the oldest's. */
    private final Map<String, ServiceSettings> definitions = new LinkedHashMap<>();
    private final Map<String, String> fingerprints = new HashMap<>();
    private final Map<String, Report> reports = new HashMap<>();
    /** Node to service to what it was told to run. */
    private final Map<String, Map<String, Integer>> assigned = new HashMap<>();
    private final Set<ActorRef<NodeAgent.Command>> greeted = new HashSet<>();
    private final Set<String> mismatchTold = new HashSet<>();
    private final Map<String, Integer> unplaced = new HashMap<>();
    /**
     * The cluster's count of a service an operator has asked for ({@link Scale}); min-processes
     * when none. Every node hears it with its assignments, so a new coordinator takes it from
     * their reports.
     */
    private final Map<String, Integer> targets = new HashMap<>();
    /** Each autoscaled service's recommendations so far (its windows), as a pool alone keeps them. */
    private final Map<String, ScalingPolicy.State> scaling = new HashMap<>();
    /** Nodes handing their share over before they leave, and the agent to tell when it is done. */
    private final Map<String, ActorRef<NodeAgent.Command>> leaving = new HashMap<>();

    public static Behavior<Command> create(PoolSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PlacementCoordinator(ctx, timers, settings).behavior()));
    }

    private PlacementCoordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, PoolSettings settings) {
        this.ctx = ctx;
        this.cluster = Cluster.get(ctx.getSystem());
        for (ServiceSettings s : settings.services().values()) {
            if (s.enabled()) {
                definitions.put(s.name(), s);
                fingerprints.put(s.name(), ServiceDefinition.fingerprint(s));
                if (s.scaling().enabled()) {
                    timers.startTimerWithFixedDelay(new ScaleTick(s.name()), s.scaling().interval());
                }
            }
        }
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.KEY,
                ctx.messageAdapter(Receptionist.Listing.class, AgentsListed::new)));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new),
                ClusterEvent.MemberEvent.class));
        ctx.getLog().info("placing {} service(s) across the cluster from this node ({})", definitions.size(),
                cluster.selfMember().address());
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(AgentsListed.class, this::onListing)
                .onMessage(Report.class, this::onReport)
                .onMessage(Leaving.class, m -> { leaving.put(m.node(), m.agent()); place(); return Behaviors.same(); })
                .onMessage(Scale.class, this::onScale)
                .onMessage(ScaleTick.class, this::onScaleTick)
                .onMessage(MembershipChanged.class, m -> { place(); return Behaviors.same(); })
                .build();
    }

    private Behavior<Command> onListing(AgentsListed m) {
        Set<ActorRef<NodeAgent.Command>> listed = m.listing().getServiceInstances(NodeAgent.KEY);
        for (ActorRef<NodeAgent.Command> agent : listed) {
            if (greeted.add(agent)) {
                agent.tell(new NodeAgent.Hello(ctx.getSelf()));
            }
        }
        greeted.retainAll(listed);
        return Behaviors.same();
    }

    private Behavior<Command> onReport(Report m) {
        reports.put(m.node(), m);
        greeted.add(m.agent());
        // A coordinator that took over from one on a lost node learns what each node was told.
        assigned.computeIfAbsent(m.node(), n -> {
            Map<String, Integer> told = new HashMap<>();
            m.services().forEach(x -> told.put(x.service(), x.assigned()));
            return told;
        });
        for (ServiceReport s : m.services()) {
            ServiceSettings defined = definitions.get(s.service());
            if (defined != null && s.target() > 0 && !targets.containsKey(s.service()) && s.target() != defined.minProcesses()) {
                // A coordinator that took over learns the count an operator asked of the last one.
                ctx.getLog().info("{}: {} instance(s) across the cluster, as scaled before (from {}'s report)", s.service(), s.target(),
                        m.node());
                targets.put(s.service(), s.target());
            }
            String own = fingerprints.get(s.service());
            if (own != null && own.equals(s.fingerprint()) && mismatchTold.remove(m.node() + " " + s.service())) {
                // Mended on that node (a reload): it runs its share again.
                ctx.getLog().info("{} on {}: its definition is the cluster's again", s.service(), m.node());
                m.agent().tell(new NodeAgent.Matched(s.service()));
            }
            if (own != null && !own.equals(s.fingerprint()) && mismatchTold.add(m.node() + " " + s.service())) {
                String detail = "its definition differs from the cluster's (the oldest node's); make the service's settings "
                        + "(ports and paths aside) the same in every node's file";
                ctx.getLog().error("{} on {}: {}", s.service(), m.node(), detail);
                m.agent().tell(new NodeAgent.Mismatch(s.service(), detail));
            } else if (own == null && s.capacity() > 0 && mismatchTold.add(m.node() + " " + s.service())) {
                m.agent().tell(new NodeAgent.Mismatch(s.service(), "the cluster (its oldest node) has no such enabled service"));
            }
        }
        place();
        return Behaviors.same();
    }

    /** Every service's next step, from the members that are up, oldest first, and their reports. */
    private void place() {
        List<Member> up = new ArrayList<>();
        cluster.state().getMembers().forEach(member -> {
            if (member.status().equals(MemberStatus.up())) {
                up.add(member);
            }
        });
        up.sort((a, b) -> a.isOlderThan(b) ? -1 : b.isOlderThan(a) ? 1 : 0);
        List<String> nodes = up.stream().map(x -> Nodes.id(x.uniqueAddress())).filter(reports::containsKey)
                .filter(n -> !leaving.containsKey(n)).toList();
        // Until every node up has reported, what does not fit yet may fit on one not heard from.
        boolean heardFromAll = nodes.size() + leaving.size() >= up.size();
        boolean handedOver = true;
        // What nodes that are gone (downed, left, removed) ran is no one's any more.
        assigned.keySet().retainAll(nodes);
        reports.keySet().retainAll(up.stream().map(x -> Nodes.id(x.uniqueAddress())).toList());
        for (ServiceSettings s : definitions.values()) {
            List<Placement.Share> shares = new ArrayList<>();
            for (String node : nodes) {
                ServiceReport r = reports.get(node).services().stream().filter(x -> x.service().equals(s.name())).findFirst().orElse(null);
                boolean fits = r != null && r.fingerprint().equals(fingerprints.get(s.name()));
                shares.add(new Placement.Share(node, fits ? r.capacity() : 0, assignedTo(node, s.name()), fits ? r.ready() : 0));
            }
            int target = target(s);
            Placement.Plan plan = Placement.plan(target, shares);
            int placed = plan.counts().values().stream().mapToInt(Integer::intValue).sum();
            // Until every node up has reported, what does not fit yet may fit on one not heard from.
            int unplacedNow = heardFromAll ? plan.unplaced() : 0;
            handedOver &= shares.stream().mapToInt(Placement.Share::ready).sum() >= placed;
            plan.counts().forEach((node, count) -> {
                int before = assignedTo(node, s.name());
                if (count != before) {
                    ctx.getLog().info("{}: {} instance(s) on {} (was {})", s.name(), count, node, before);
                    assigned.computeIfAbsent(node, n -> new HashMap<>()).put(s.name(), count);
                }
                // Sent every time: cheap, and a node that missed one gets it with the next change.
                reports.get(node).agent().tell(new NodeAgent.Assign(s.name(), count, target, unplacedNow));
            });
            if (!heardFromAll) {
                continue;
            }
            Integer was = unplaced.put(s.name(), plan.unplaced());
            if (plan.unplaced() > 0 && (was == null || was != plan.unplaced())) {
                ctx.getLog().warn("{}: {} of {} instance(s) fit on no node (no node up has a port free for them)", s.name(),
                        plan.unplaced(), target);
            } else if (plan.unplaced() == 0 && was != null && was > 0) {
                ctx.getLog().info("{}: every instance placed again", s.name());
            }
        }
        tellHandedOver(handedOver);
    }

    /** Tells the leaving nodes whose share runs ready elsewhere now (or can run nowhere else) that they may stop theirs. */
    private void tellHandedOver(boolean handedOver) {
        if (!handedOver || leaving.isEmpty()) {
            return;
        }
        leaving.forEach((node, agent) -> {
            ctx.getLog().info("{} may stop its instances: the other nodes run its share ready", node);
            agent.tell(NodeAgent.HandedOver.INSTANCE);
        });
        leaving.clear();
    }

    /** How many instances of {@code s} the cluster runs: what an operator scaled it to, else its min-processes. */
    private int target(ServiceSettings s) {
        return targets.getOrDefault(s.name(), s.minProcesses());
    }

    private Behavior<Command> onScale(Scale m) {
        String self = cluster.selfMember().address().getHost().orElse("?") + ":" + cluster.selfMember().address().getPort().orElse(0);
        ServiceSettings s = definitions.get(m.service());
        if (s == null) {
            m.replyTo().tell(NodeAgent.Operated.of(self, OpResult.notFound("no enabled service '" + m.service()
                    + "' in the cluster (its oldest node's file); services: " + String.join(", ", definitions.keySet()))));
        } else if (m.instances() < s.minProcesses() || m.instances() > s.maxProcesses()) {
            m.replyTo().tell(NodeAgent.Operated.of(self, OpResult.invalid("instances must be between " + s.minProcesses() + " and "
                    + s.maxProcesses() + " (min-processes..max-processes of " + s.name() + ", counted across the cluster), got "
                    + m.instances())));
        } else {
            int from = target(s);
            targets.put(s.name(), m.instances());
            scaling.remove(s.name());
            ctx.getLog().info("{}: scaled from {} to {} instance(s) across the cluster", s.name(), from, m.instances());
            place();
            m.replyTo().tell(NodeAgent.Operated.of(self, OpResult.ok(s.name() + " scaled from " + from + " to " + m.instances()
                    + " instance(s) across the cluster")));
        }
        return Behaviors.same();
    }

    /**
     * One autoscaling sample across the cluster: the scaling metric per instance, averaged over
     * the nodes' readings weighted by their ready instances, through the same policy (windows,
     * tolerance, the most cautious recommendation) as a pool alone, on the cluster's count.
     */
    private Behavior<Command> onScaleTick(ScaleTick m) {
        ServiceSettings s = definitions.get(m.service());
        if (s == null) {
            return Behaviors.same();
        }
        List<double[]> readings = new ArrayList<>();
        reports.forEach((node, r) -> {
            if (!leaving.containsKey(node)) {
                r.services().stream().filter(x -> x.service().equals(s.name()) && x.load() >= 0 && x.ready() > 0)
                        .forEach(x -> readings.add(new double[] {x.load(), x.ready()}));
            }
        });
        java.util.OptionalDouble observed = ClusterLoad.average(readings);
        if (observed.isEmpty()) {
            return Behaviors.same();
        }
        int current = target(s);
        ScalingPolicy.Outcome o = ScalingPolicy.decide(scaling.getOrDefault(s.name(), ScalingPolicy.State.INITIAL), current,
                observed.getAsDouble(), s.scaling(), s.minProcesses(), s.maxProcesses());
        scaling.put(s.name(), o.next());
        if (o.scaleTo().isPresent() && o.scaleTo().getAsInt() != current) {
            int to = o.scaleTo().getAsInt();
            ctx.getLog().info("{}: autoscaling {} -> {} instance(s) across the cluster: {} {} per instance vs target {}", s.name(),
                    current, to, ScalingMetric.of(s.scaling()).name(), String.format(java.util.Locale.ROOT, "%.3f", observed.getAsDouble()),
                    ScalingMetric.of(s.scaling()).target(s.scaling()));
            targets.put(s.name(), to);
            place();
        }
        return Behaviors.same();
    }

    private int assignedTo(String node, String service) {
        return assigned.getOrDefault(node, Map.of()).getOrDefault(service, 0);
    }
}
