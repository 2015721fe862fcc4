package io.procpool.internal.cluster;

import org.apache.pekko.cluster.UniqueAddress;

/** How a node is named between the coordinator and the agents: its address and its incarnation. */
final class Nodes {

    private Nodes() {
    }

    /** {@code pekko://procpool-cluster@host:port#uid}: a node that comes back after being downed is a new one. */
    static String id(UniqueAddress node) {
        return node.address() + "#" + node.longUid();
    }
}
