package io.procpool.internal.clustering;

import io.procpool.config.PoolSettings;
import io.procpool.internal.supervision.PoolClient;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * The seam between the library and {@code procpool-cluster}, which makes a pool a node of a Pekko
 * Cluster. Found with {@link ServiceLoader} only when {@code procpool.cluster.enabled} is on, so a
 * pool that runs alone loads none of Pekko Cluster (its jars need not even be there).
 *
 * <p>The cluster side runs in an actor system of its own: a node the cluster has downed can only
 * come back as a new incarnation, in a new actor system, while the supervision tree, the admin
 * API and the gateway go on in theirs (docs/architecture.md, "The cluster").
 */
public interface ClusterSupport {

    /**
     * Makes this pool a node of its cluster: it joins, and from then on runs the share of each
     * service the cluster places on it, through {@code door} ({@link PoolClient#place},
     * {@link PoolClient#killAll}).
     *
     * @param settings the pool's settings, {@link PoolSettings#cluster()} enabled
     * @param door the pool's front door
     * @param view what this node knows of the others: the node keeps it current, and drains this
     *     node's instances from the other nodes' gateways through it
     * @param exit called once, with a message, when the cluster downed this node and
     *     {@code cluster.on-downed = exit}: every instance has been killed, the pool should close
     */
    Node join(PoolSettings settings, PoolClient door, ClusterView view, Consumer<String> exit);

    /** A running node. */
    interface Node extends AutoCloseable {
        /** Leaves the cluster (its instances are placed on the other nodes) and ends the cluster side; waits for it. */
        @Override
        void close();
    }

    /** The implementation on the class path, or an error that says what is missing. */
    static ClusterSupport load() {
        return ServiceLoader.load(ClusterSupport.class, ClusterSupport.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("procpool.cluster.enabled is on, but procpool-cluster is not on the "
                        + "class path: add the io.procpool:procpool-cluster dependency (the command line's jar has it)"));
    }
}
