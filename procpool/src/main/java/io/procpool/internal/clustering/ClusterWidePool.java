package io.procpool.internal.clustering;

import com.typesafe.config.Config;
import io.procpool.api.Event;
import io.procpool.api.InstanceStatus;
import io.procpool.api.LogTail;
import io.procpool.api.OpResult;
import io.procpool.api.Pool;
import io.procpool.api.PoolEvent;
import io.procpool.api.PoolStatus;
import io.procpool.api.Subscription;
import io.procpool.config.PoolSettings;
import io.procpool.config.Signal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A cluster node's pool as its admin API and proxy feeds see it: the status of the whole cluster
 * ({@link ClusterView#merge}), and operations that act on every node ({@code restart} a roll
 * across the nodes, one after another; {@code stop}, {@code start} and {@code reload} on all at
 * once), each node on its own instances. Logs and signals are this node's own. The supervision
 * tree, the node's cluster agent and its gateway keep talking to the pool's front door itself:
 * they act on this node's instances.
 */
public final class ClusterWidePool implements Pool {

    private final Pool local;
    private final ClusterView view;

    public ClusterWidePool(Pool local, ClusterView view) {
        this.local = local;
        this.view = view;
    }

    @Override
    public PoolSettings settings() {
        return local.settings();
    }

    @Override
    public CompletionStage<PoolStatus> status() {
        return local.status().thenApply(view::merge);
    }

    @Override
    public CompletionStage<List<String>> backends(String service) {
        // This node's answer first: a name that is no service fails there, with the services listed.
        return local.backends(service).thenCompose(mine -> status()).thenApply(all -> all.services().stream()
                .filter(s -> s.name().equals(service)).flatMap(s -> s.ready().stream()).map(InstanceStatus::address).toList());
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines) {
        return local.log(service, port, lines);
    }

    @Override
    public CompletionStage<LogTail> log(String service, int port, int lines, boolean stderr) {
        return local.log(service, port, lines, stderr);
    }

    @Override
    public CompletionStage<LogTail> logAfter(String service, int port, long offset) {
        return local.logAfter(service, port, offset);
    }

    @Override
    public CompletionStage<OpResult> signal(String service, Signal signal) {
        return local.signal(service, signal);
    }

    @Override
    public void probeNow(String service, int port) {
        local.probeNow(service, port);
    }

    /** The cluster's count: the placement coordinator's, wherever it runs; a name that is no service fails here first. */
    @Override
    public CompletionStage<OpResult> scale(String service, int instances) {
        return local.status().thenCompose(here -> here.services().stream().anyMatch(s -> s.name().equals(service))
                ? view.scale(service, instances)
                : java.util.concurrent.CompletableFuture.completedFuture(OpResult.notFound("no service '" + service + "'; services: "
                        + String.join(", ", here.services().stream().map(io.procpool.api.ServiceStatus::name).toList()))));
    }

    /** A roll across the cluster: this node's instances first, then each other node's in turn; it stops at the first that fails. */
    @Override
    public CompletionStage<OpResult> restart(String service) {
        return everywhere(local.restart(service), ClusterView.Operation.RESTART, service, true);
    }

    /** Begins the roll on every node at once (each node's own roll keeps its own surge); answered once every node has begun. */
    @Override
    public CompletionStage<OpResult> beginRestart(String service) {
        return everywhere(local.beginRestart(service), ClusterView.Operation.BEGIN_RESTART, service, false);
    }

    @Override
    public CompletionStage<OpResult> stopService(String service) {
        return everywhere(local.stopService(service), ClusterView.Operation.STOP, service, false);
    }

    @Override
    public CompletionStage<OpResult> startService(String service) {
        return everywhere(local.startService(service), ClusterView.Operation.START, service, false);
    }

    /** Every node reloads its own file (the nodes' files differ: ports, admin, state dir). */
    @Override
    public CompletionStage<OpResult> reload() {
        return everywhere(local.reload(), ClusterView.Operation.RELOAD, null, false);
    }

    /** A configuration given by the embedding application is this node's: only this node takes it. */
    @Override
    public CompletionStage<OpResult> reload(Config config) {
        return local.reload(config);
    }

    /**
     * {@code here}, this node's part, then the same on the other nodes: not when this node's
     * answer says the request itself is wrong (no such service, an invalid value), which the other
     * nodes, with the same definitions, would answer the same.
     */
    private CompletionStage<OpResult> everywhere(CompletionStage<OpResult> here, ClusterView.Operation operation, String service,
                                                 boolean oneByOne) {
        return here.thenCompose(mine -> {
            if (mine.outcome() == OpResult.Outcome.NOT_FOUND || mine.outcome() == OpResult.Outcome.INVALID
                    || oneByOne && !mine.ok()) {
                return java.util.concurrent.CompletableFuture.completedFuture(mine);
            }
            return view.onOthers(operation, service, oneByOne).thenApply(theirs -> combined(mine, theirs, oneByOne));
        });
    }

    /**
     * One answer for the cluster: OK when every node's is; else the first other outcome, this
     * node's first. Its message names each node with what it answered, and in a roll the nodes
     * not reached after a failure.
     */
    OpResult combined(OpResult mine, List<ClusterView.NodeResult> theirs, boolean oneByOne) {
        if (theirs.isEmpty()) {
            return mine;
        }
        List<ClusterView.NodeResult> all = new java.util.ArrayList<>();
        all.add(new ClusterView.NodeResult(view.self(), mine));
        all.addAll(theirs);
        OpResult.Outcome outcome = all.stream().map(r -> r.result().outcome()).filter(o -> o != OpResult.Outcome.OK).findFirst()
                .orElse(OpResult.Outcome.OK);
        StringBuilder message = new StringBuilder();
        List<String> details = new java.util.ArrayList<>();
        for (ClusterView.NodeResult r : all) {
            message.append(message.length() == 0 ? "" : "; ").append("on ").append(r.node()).append(": ").append(r.result().message());
            r.result().details().forEach(d -> details.add(r.node() + ": " + d));
        }
        if (oneByOne && outcome != OpResult.Outcome.OK) {
            java.util.Set<String> reached = new java.util.HashSet<>();
            all.forEach(r -> reached.add(r.node()));
            List<String> left = view.reachable().stream().map(ClusterView.NodeReport::node).filter(n -> !reached.contains(n)).toList();
            if (!left.isEmpty()) {
                message.append("; not done on ").append(String.join(", ", left)).append(" (the roll stops at a node that fails)");
            }
        }
        return new OpResult(outcome, message.toString(), details);
    }

    @Override
    public Subscription subscribe(Consumer<PoolEvent> listener) {
        return local.subscribe(listener);
    }

    /** Every node's transitions: this node's own, and the others' as they send them, each with its node. */
    @Override
    public Source<PoolEvent, NotUsed> events() {
        return local.events().map(e -> e.on(view.self())).merge(elsewhere());
    }

    /** {@link #events()}, with this node's scaling and operation events (the others' stay theirs). */
    @Override
    public Source<Event, NotUsed> allEvents() {
        return local.allEvents().map(this::named).merge(elsewhere().map(e -> (Event) e));
    }

    /** {@link #allEvents()}'s listener form: this node's events with its node, and the others' as they send them. */
    @Override
    public Subscription subscribeAll(Consumer<Event> listener) {
        Subscription here = local.subscribeAll(e -> listener.accept(named(e)));
        Subscription there = view.onEvents(listener::accept);
        return () -> {
            there.close();
            here.close();
        };
    }

    /** This node's event as the cluster shows it: a transition names this node; the rest stay as they are. */
    private Event named(Event e) {
        return e instanceof PoolEvent p ? p.on(view.self()) : e;
    }

    /**
     * The other nodes' transitions, from when the stream runs until it ends. A subscriber that
     * falls 256 behind loses the oldest: the status stays the truth, as for the local events.
     */
    private Source<PoolEvent, NotUsed> elsewhere() {
        return Source.<PoolEvent>queue(256, org.apache.pekko.stream.OverflowStrategy.dropHead()).mapMaterializedValue(queue -> {
            Subscription heard = view.onEvents(queue::offer);
            io.procpool.internal.Stages.here(queue.watchCompletion()).whenComplete((done, failed) -> heard.close());
            return NotUsed.getInstance();
        });
    }

    @Override
    public Duration longestAnswer() {
        // A roll across the cluster takes each node's roll in turn, each with the agents' margin.
        // Read when the admin API binds too, before the other nodes are known: the seed nodes
        // are the least the cluster will have.
        int others = Math.max(view.reachable().size(), local.settings().cluster().seedNodes().size() - 1);
        return local.longestAnswer().multipliedBy(1 + others).plusSeconds(15L * others);
    }
}
