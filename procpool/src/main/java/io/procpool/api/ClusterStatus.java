package io.procpool.api;

import java.util.List;
import java.util.Map;

/**
 * The cluster as one of its nodes sees it; immutable.
 *
 * @param self this node ({@code host:port} of its cluster address)
 * @param nodes the nodes whose instances the status lists: this one and every other that answers, by name
 * @param unplaced per service, the instances the cluster wants but no node has a port free for
 *     (as the placement coordinator last said); services with none are left out
 * @param refused per service this node runs none of, why (its definition differs from the
 *     cluster's, or the cluster has no such service)
 */
public record ClusterStatus(String self, List<String> nodes, Map<String, Integer> unplaced, Map<String, String> refused) {

    /** Copies the collections: a status is immutable. */
    public ClusterStatus {
        nodes = List.copyOf(nodes);
        unplaced = Map.copyOf(unplaced);
        refused = Map.copyOf(refused);
    }
}
