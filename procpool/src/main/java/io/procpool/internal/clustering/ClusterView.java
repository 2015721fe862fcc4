package io.procpool.internal.clustering;

import io.procpool.api.ClusterStatus;
import io.procpool.api.InstanceState;
import io.procpool.api.InstanceStatus;
import io.procpool.api.OpResult;
import io.procpool.api.PoolStatus;
import io.procpool.api.ServiceStatus;
import io.procpool.spi.TrafficDoor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What this node knows of the other nodes of its cluster: the instances each runs, as each last
 * reported them. The cluster side ({@code procpool-cluster}'s node agents) keeps it current; the
 * library reads it to answer for the whole cluster: {@link #merge} gives {@code /status} and the
 * proxy feeds every node's instances, and the gateway follows it ({@link #listen}) to route to
 * the ready instances of every node.
 *
 * <p>It is also the cluster's half of the drain: an instance about to be stopped here is taken out
 * of every node's gateway, not only this one's ({@link #door}), and this node's gateway does the
 * same for the others' instances ({@link #drainHere}).
 *
 * <p>Thread-safe: the cluster side writes from its actors' threads, requests read from theirs.
 */
public final class ClusterView {

    /** One instance of another node, as that node reported it. */
    public record RemoteInstance(String service, int port, long pid, String state, int restarts, long uptimeMillis, String reason) {
    }

    /**
     * What one node runs.
     *
     * @param id the node's incarnation (a node the cluster downed comes back as a new one)
     * @param node its name in a status, {@code host:port} of its cluster address
     * @param host where its instances are reached (its {@code cluster.advertise-host})
     * @param desired per service, how many instances it should run
     */
    public record NodeReport(String id, String node, String host, Map<String, Integer> desired, List<RemoteInstance> instances) {
        public NodeReport {
            desired = Map.copyOf(desired);
            instances = List.copyOf(instances);
        }
    }

    /** Takes another node's instance out of this node's gateway: the stage completes when none of its requests is left. */
    public interface Drain {
        Drain NONE = (service, address) -> CompletableFuture.completedFuture(null);

        CompletionStage<Void> drain(String service, String address);
    }

    /** An operation an operator asks of one node, which acts on the whole cluster (each node on its own instances). */
    public enum Operation {
        RESTART, BEGIN_RESTART, STOP, START, RELOAD
    }

    /** What one node answered to an operation. */
    public record NodeResult(String node, OpResult result) {
    }

    /** How an operation reaches the other nodes: the cluster side's agents. */
    public interface Others {
        /** No cluster side (not joined yet, or stopped): no other node is reached. */
        Others NONE = new Others() {
            @Override
            public CompletionStage<List<NodeResult>> operate(Operation operation, String service, boolean oneByOne) {
                return CompletableFuture.completedFuture(List.of());
            }

            @Override
            public CompletionStage<OpResult> scale(String service, int instances) {
                return CompletableFuture.completedFuture(new OpResult(OpResult.Outcome.UNAVAILABLE,
                        "this node's cluster side is not running (it is joining, or coming back after it was downed); ask again"));
            }
        };

        /** Scales {@code service} to {@code instances} across the cluster: the placement coordinator's decision. */
        CompletionStage<OpResult> scale(String service, int instances);

        /**
         * Asks every other node to carry out {@code operation} on its share of {@code service} (none
         * for a reload), in the order of their names: one after another when {@code oneByOne},
         * stopping at the first that does not answer OK; else all at once. Each answer, in order.
         */
        CompletionStage<List<NodeResult>> operate(Operation operation, String service, boolean oneByOne);
    }

    private record Held(NodeReport report, long receivedNanos) {
    }

    private final String self;
    private final String host;
    private final LongSupplier clock;
    private final Map<String, Held> nodes = new ConcurrentHashMap<>();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    /** Incarnations the cluster has removed: a report of theirs that comes late is not taken. */
    private final Set<String> removed = ConcurrentHashMap.newKeySet();
    private final List<Consumer<Collection<NodeReport>>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> unplaced = new ConcurrentHashMap<>();
    private final List<Consumer<io.procpool.api.PoolEvent>> eventListeners = new CopyOnWriteArrayList<>();
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    /** The other nodes' gateways, as the cluster side reaches them; none until it runs. */
    private volatile Drain elsewhere = Drain.NONE;
    /** This node's gateway, when it has one. */
    private volatile Drain here = Drain.NONE;
    /** The other nodes, for operations; none until the cluster side runs. */
    private volatile Others operations = Others.NONE;

    /**
     * @param self this node's name ({@code host:port} of its cluster address)
     * @param host where this node's instances are reached from the others
     * @param clock the pool's monotonic clock, on which a status's times are read
     */
    public ClusterView(String self, String host, LongSupplier clock) {
        this.self = self;
        this.host = host;
        this.clock = clock;
    }

    /** This node's name. */
    public String self() {
        return self;
    }

    /** Where this node's instances are reached. */
    public String host() {
        return host;
    }

    /** {@code report} is what its node runs now. */
    public void report(NodeReport report) {
        if (removed.contains(report.id())) {
            return;
        }
        nodes.put(report.id(), new Held(report, clock.getAsLong()));
        changed();
    }

    /**
     * The placement coordinator's word on {@code service}: {@code count} instances the cluster
     * wants fit on no node now.
     */
    public void unplaced(String service, int count) {
        unplaced.put(service, count);
    }

    /** Whether this node runs none of {@code service} because the coordinator refused its definition. */
    public boolean refuses(String service) {
        return refused.containsKey(service);
    }

    /** This node's definition of {@code service} is the cluster's again (a reload mended it). */
    public void accepted(String service) {
        refused.remove(service);
    }

    /**
     * A new incarnation of this node starts (it was downed and comes back): what the last one
     * knew of the others (their reports, who was unreachable or removed, the coordinator's word)
     * is forgotten; the new one learns it afresh. The removals too: a downed node is told that
     * every other member was removed (from where it stands, they were), and those members are
     * the very ones it rejoins.
     */
    public void reset() {
        nodes.clear();
        unreachable.clear();
        removed.clear();
        unplaced.clear();
        refused.clear();
        changed();
    }

    /** This node runs none of {@code service}, for {@code why} (the coordinator said so). */
    public void refused(String service, String why) {
        refused.put(service, why);
    }

    /** A transition of another node's instance, as that node sent it ({@link io.procpool.api.PoolEvent#node} set). */
    public void event(io.procpool.api.PoolEvent e) {
        eventListeners.forEach(l -> l.accept(e));
    }

    /** Tells {@code listener} every transition of the other nodes' instances from now on, until closed. */
    public io.procpool.api.Subscription onEvents(Consumer<io.procpool.api.PoolEvent> listener) {
        eventListeners.add(listener);
        return () -> eventListeners.remove(listener);
    }

    /** Node {@code id} does not answer (it is left out until it does) or answers again. */
    public void reachable(String id, boolean reachable) {
        boolean change = reachable ? unreachable.remove(id) : unreachable.add(id);
        if (change && nodes.containsKey(id)) {
            changed();
        }
    }

    /** Node {@code id} has left the cluster, or was removed from it: what it ran is forgotten. */
    public void removed(String id) {
        removed.add(id);
        unreachable.remove(id);
        if (nodes.remove(id) != null) {
            changed();
        }
    }

    /**
     * Node {@code id} is about to stop all its instances (it leaves the cluster): this node's
     * gateway sends them nothing new, and the node is forgotten. The stage completes when none of
     * their requests is left here.
     */
    public CompletionStage<Void> withdraw(String id) {
        Held h = nodes.get(id);
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        if (h != null) {
            for (RemoteInstance i : h.report().instances()) {
                drained.add(drainHere(i.service(), h.report().host() + ":" + i.port()).toCompletableFuture());
            }
        }
        removed(id);
        return CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new));
    }

    /** The reports of the nodes that answer, by name. */
    public List<NodeReport> reachable() {
        return nodes.entrySet().stream().filter(e -> !unreachable.contains(e.getKey())).map(e -> e.getValue().report())
                .sorted(Comparator.comparing(NodeReport::node)).toList();
    }

    /** Tells {@code listener} the reports of the nodes that answer, now and at every change (on the cluster side's threads). */
    public void listen(Consumer<Collection<NodeReport>> listener) {
        listeners.add(listener);
        listener.accept(reachable());
    }

    private void changed() {
        List<NodeReport> now = reachable();
        listeners.forEach(l -> l.accept(now));
    }

    /**
     * {@code local}, this node's status, as the whole cluster's: each service's instances on every
     * node that answers, each with its node and host, sorted by node and port, and its desired
     * count the sum of the nodes'. Another node's instance has no command, log or exits here:
     * those are that node's to show.
     */
    public PoolStatus merge(PoolStatus local) {
        List<Held> others = nodes.entrySet().stream().filter(e -> !unreachable.contains(e.getKey())).map(Map.Entry::getValue).toList();
        long now = clock.getAsLong();
        List<ServiceStatus> services = new ArrayList<>();
        for (ServiceStatus s : local.services()) {
            List<InstanceStatus> instances = new ArrayList<>();
            s.instances().forEach(i -> instances.add(i.on(self, host)));
            int desired = s.desired();
            for (Held h : others) {
                NodeReport r = h.report();
                desired += r.desired().getOrDefault(s.name(), 0);
                for (RemoteInstance i : r.instances()) {
                    if (i.service().equals(s.name())) {
                        instances.add(instance(i, r, local.atNanos() - (now - h.receivedNanos())));
                    }
                }
            }
            instances.sort(Comparator.comparing(InstanceStatus::node).thenComparingInt(InstanceStatus::port));
            services.add(new ServiceStatus(s.name(), s.state(), desired, instances, s.settings(), s.operation(), s.lastOperation(),
                    s.load()));
        }
        List<String> names = new ArrayList<>();
        names.add(self);
        others.forEach(h -> names.add(h.report().node()));
        names.sort(null);
        Map<String, Integer> stillUnplaced = new java.util.TreeMap<>();
        unplaced.forEach((service, n) -> {
            if (n > 0) {
                stillUnplaced.put(service, n);
            }
        });
        return new PoolStatus(services, local.atNanos(), Optional.of(new ClusterStatus(self, names, stillUnplaced,
                new java.util.TreeMap<>(refused))));
    }

    /** {@code i} as a status; {@code reportedAt} is when its node reported it, on the local status's clock. */
    private static InstanceStatus instance(RemoteInstance i, NodeReport r, long reportedAt) {
        InstanceState state;
        try {
            state = InstanceState.valueOf(i.state());
        } catch (IllegalArgumentException e) {
            // A node of a newer procpool with a state this one does not know: shown as not ready.
            state = InstanceState.STOPPED;
        }
        long started = i.uptimeMillis() > 0 ? reportedAt - i.uptimeMillis() * 1_000_000 : 0;
        return new InstanceStatus(i.port(), i.pid() > 0 ? OptionalLong.of(i.pid()) : OptionalLong.empty(), state, i.restarts(), started,
                Optional.empty(), i.reason(), Optional.empty(), List.of(), Path.of(""), List.of(), r.node(), r.host());
    }

    /**
     * The door the supervision tree drains through on a node: {@code local} (this node's gateway,
     * or none) and every other node's gateway, which route to this node's instances too. A planned
     * stop waits for both, within the service's {@code drain.timeout} as always.
     */
    public TrafficDoor door(TrafficDoor local) {
        return new TrafficDoor() {
            @Override
            public CompletionStage<Void> drain(String service, int port) {
                CompletableFuture<Void> mine = local.drain(service, port).toCompletableFuture();
                CompletableFuture<Void> theirs = elsewhere.drain(service, host + ":" + port).toCompletableFuture();
                return CompletableFuture.allOf(mine, theirs);
            }

            @Override
            public java.util.OptionalDouble averageInFlight(String service, int port) {
                return local.averageInFlight(service, port);
            }
        };
    }

    /** How the cluster side reaches the other nodes for an operation; {@link Others#NONE} when it stops. */
    public void others(Others others) {
        this.operations = others;
    }

    /** {@code service} scaled to {@code instances} across the cluster (see {@link Others#scale}). */
    public CompletionStage<OpResult> scale(String service, int instances) {
        return operations.scale(service, instances);
    }

    /** {@code operation} on every other node (see {@link Others#operate}). */
    public CompletionStage<List<NodeResult>> onOthers(Operation operation, String service, boolean oneByOne) {
        return operations.operate(operation, service, oneByOne);
    }

    /** How the cluster side drains an instance of this node from the other nodes' gateways; {@link Drain#NONE} when it stops. */
    public void elsewhere(Drain drain) {
        this.elsewhere = drain;
    }

    /** This node's gateway's drain of another node's instances. */
    public void here(Drain drain) {
        this.here = drain;
    }

    /** Another node is about to stop its instance of {@code service} at {@code address}: this node's gateway sends it nothing new. */
    public CompletionStage<Void> drainHere(String service, String address) {
        return here.drain(service, address);
    }
}
