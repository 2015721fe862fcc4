package io.procpool.internal.cluster;

import io.procpool.config.ClusterSettings;
import io.procpool.config.PoolSettings;
import io.procpool.internal.BuildInfo;
import io.procpool.internal.clustering.ClusterSupport;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.supervision.PoolClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's life as a cluster node: its cluster actor system, and a new one each time the cluster
 * downs the node and it comes back ({@code on-downed = rejoin}). Pekko never lets an actor system
 * join again once it was downed or removed; the node's supervision tree, admin API and gateway
 * live in the pool's own system and go on meanwhile.
 */
final class ClusterNode implements ClusterSupport.Node {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    /** Waits between tries to come back (the port may still be held a moment by the old system). */
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LAST_RETRY = Duration.ofSeconds(30);
    /** A graceful leave's bound: the cluster's exiting phases, and margin. */
    private static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(20);
    /** How long a stopping node waits for the others to run its share ready. */
    private static final Duration HAND_OVER_TIMEOUT = Duration.ofSeconds(30);
    /** How long it waits for the other nodes' gateways to drain its instances (they answer within it on their own). */
    private static final Duration WITHDRAW_TIMEOUT = NodeAgent.WITHDRAW_TIMEOUT.plusSeconds(1);

    private final PoolSettings settings;
    private final ClusterSettings cluster;
    private final PoolClient door;
    private final ClusterView view;
    private final Consumer<String> exit;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile ActorSystem<ClusterGuardian.Command> system;

    /** The leave at close: the cluster moves the node's instances while its own stop. */
    private enum Leaving implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    ClusterNode(PoolSettings settings, PoolClient door, ClusterView view, Consumer<String> exit) {
        this.settings = settings;
        this.cluster = settings.cluster();
        this.door = door;
        this.view = view;
        this.exit = exit;
    }

    /** Starts the first incarnation: an error (the port taken, a bad address) is the pool's start failing. */
    void start() {
        try {
            incarnation(cluster.seedNodes());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start this cluster node on " + cluster.bindHost() + ":" + cluster.bindPort() + " ("
                    + settings.named("cluster.bind") + " in " + settings.source() + "): " + e.getMessage(), e);
        }
        log.info("cluster node {} joining {}", cluster.self(), cluster.seedNodes());
    }

    private void incarnation(List<ClusterSettings.HostPort> seeds) {
        AtomicBoolean down = new AtomicBoolean();
        Consumer<String> downed = why -> onDowned(down, why);
        ActorSystem<ClusterGuardian.Command> sys = ActorSystem.create(ClusterGuardian.create(settings, door, view, downed),
                ClusterConfig.SYSTEM, ClusterConfig.of(cluster, seeds, BuildInfo.current().version()));
        system = sys;
        sys.getWhenTerminated().thenRun(() -> downed.accept("its cluster actor system stopped"));
    }

    /** Once per incarnation: kill every instance at once, then come back or exit. */
    private void onDowned(AtomicBoolean once, String why) {
        if (closing.get() || !once.compareAndSet(false, true)) {
            return;
        }
        String reason = "this node (" + cluster.self() + ") was downed by the cluster: " + why
                + "; its instances are placed on the other nodes";
        log.error("{}: killing every instance here now", reason);
        door.killAll(reason);
        ActorSystem<ClusterGuardian.Command> old = system;
        old.terminate();
        if (cluster.onDowned() == ClusterSettings.OnDowned.EXIT) {
            exit.accept(reason + "; every instance here was killed; cluster.on-downed = exit");
            return;
        }
        // Join through the others: a node that comes back must not start a cluster of its own (a
        // node cut off from the rest would then place every instance on itself).
        List<ClusterSettings.HostPort> others = cluster.seedNodes().stream().filter(s -> !s.equals(cluster.self())).toList();
        old.getWhenTerminated().thenRun(() -> comeBack(others.isEmpty() ? cluster.seedNodes() : others));
    }

    private void comeBack(List<ClusterSettings.HostPort> seeds) {
        Thread retry = new Thread(() -> {
            Duration wait = Duration.ZERO;
            while (!closing.get()) {
                try {
                    Thread.sleep(wait.toMillis());
                    if (closing.get()) {
                        return;
                    }
                    incarnation(seeds);
                    log.info("cluster node {} joining {} again, as a new incarnation", cluster.self(), seeds);
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    wait = wait.isZero() ? FIRST_RETRY : wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
                    log.warn("cluster node {} cannot come back yet ({}); trying again in {} s", cluster.self(), e.getMessage(),
                            wait.toSeconds());
                }
            }
        }, "procpool-cluster-rejoin");
        retry.setDaemon(true);
        retry.start();
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        ActorSystem<ClusterGuardian.Command> sys = system;
        // Its share to the others first, ready, and only then its own stop: a surge, as the rolling
        // restart. Bounded: what cannot be handed over in time is stopped anyway.
        try {
            org.apache.pekko.actor.typed.javadsl.AskPattern.<ClusterGuardian.Command, org.apache.pekko.Done>ask(sys,
                    ClusterGuardian.HandOver::new, HAND_OVER_TIMEOUT, sys.scheduler()).toCompletableFuture()
                    .get(HAND_OVER_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            log.info("cluster node {}: the other nodes run its share ready; leaving the cluster", cluster.self());
        } catch (Exception e) {
            log.warn("cluster node {}: its share is not ready elsewhere within {} s ({}); leaving anyway", cluster.self(),
                    HAND_OVER_TIMEOUT.toSeconds(), e.getClass().getSimpleName());
        }
        try {
            // The other nodes' gateways stop sending to this node's instances, and finish what they
            // sent, before the node leaves: after that only this node's own gateway reaches them,
            // and the pool's stop drains that one.
            org.apache.pekko.actor.typed.javadsl.AskPattern.<ClusterGuardian.Command, org.apache.pekko.Done>ask(sys,
                    ClusterGuardian.Withdraw::new, WITHDRAW_TIMEOUT, sys.scheduler()).toCompletableFuture()
                    .get(WITHDRAW_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster node {}: the other nodes' gateways did not drain its instances within {} s ({}); leaving anyway",
                    cluster.self(), WITHDRAW_TIMEOUT.toSeconds(), e.getClass().getSimpleName());
        }
        try {
            // Pekko's coordinated shutdown of a cluster member leaves the cluster gracefully first.
            CoordinatedShutdown.get(sys).runAll(Leaving.INSTANCE).toCompletableFuture().get(LEAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster node {}: leaving the cluster did not finish ({}); stopping its cluster side", cluster.self(), e.toString());
            sys.terminate();
        }
    }
}
