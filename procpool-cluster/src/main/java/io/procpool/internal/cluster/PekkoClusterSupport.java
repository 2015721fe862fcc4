package io.procpool.internal.cluster;

import io.procpool.config.PoolSettings;
import io.procpool.internal.clustering.ClusterSupport;
import io.procpool.internal.clustering.ClusterView;
import io.procpool.internal.supervision.PoolClient;
import java.util.function.Consumer;

/** procpool-cluster's implementation of the library's seam, found through {@link java.util.ServiceLoader}. */
public final class PekkoClusterSupport implements ClusterSupport {

    @Override
    public Node join(PoolSettings settings, PoolClient door, ClusterView view, Consumer<String> exit) {
        ClusterNode node = new ClusterNode(settings, door, view, exit);
        node.start();
        return node;
    }
}
