package io.procpool.config;

import java.util.List;

/**
 * {@code procpool.cluster}: this procpool as a node of a Pekko Cluster (docs/cluster.md). With it
 * on, a service's min-processes and max-processes count across the cluster, each node's ports for
 * it are that node's capacity, and the cluster decides how many run where.
 *
 * @param enabled whether this procpool joins a cluster
 * @param bindHost the interface cluster traffic is bound to (only that one)
 * @param bindPort the cluster port (fixed: seed nodes name it)
 * @param seedNodes the nodes to join, {@code host:port} each, the same list on every node
 * @param roles this node's roles, for services' {@code placement.roles}
 * @param advertiseHost the address other nodes (and their gateways) reach this one at
 * @param onDowned what a node the cluster has downed does once it has killed its instances
 * @param tls Artery TLS between the nodes, when {@code cluster.tls.enabled}
 */
public record ClusterSettings(boolean enabled, String bindHost, int bindPort, List<HostPort> seedNodes, List<String> roles,
                              String advertiseHost, OnDowned onDowned, java.util.Optional<Tls> tls) {

    /**
     * {@code cluster.tls}: the nodes talk TLS 1.3 and each proves itself to the other with a
     * certificate its trust store holds (mutual authentication).
     *
     * @param keyStore this node's key and certificate (PKCS12 or JKS)
     * @param password the key store's password, which is also the key's and the trust store's
     * @param trustStore the certificates of the nodes (or of their CA) this node accepts
     */
    public record Tls(java.nio.file.Path keyStore, String password, java.nio.file.Path trustStore) {
        /** Without the password: a settings dump must not show it. */
        @Override
        public String toString() {
            return "Tls[keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
        }
    }

    /** A cluster without TLS. */
    public ClusterSettings(boolean enabled, String bindHost, int bindPort, List<HostPort> seedNodes, List<String> roles,
                           String advertiseHost, OnDowned onDowned) {
        this(enabled, bindHost, bindPort, seedNodes, roles, advertiseHost, onDowned, java.util.Optional.empty());
    }

    /** A node's address: host and port. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** What a node does after the cluster downed it and it has killed every instance. */
    public enum OnDowned {
        /** Join again as a new incarnation, and run what the cluster places on it. */
        REJOIN,
        /** Exit with code 1 (a service manager restarts it). */
        EXIT
    }

    /** The default: no cluster, the pool runs alone. */
    public static final ClusterSettings DISABLED = new ClusterSettings(false, "127.0.0.1", 25520, List.of(), List.of(),
            "127.0.0.1", OnDowned.REJOIN);

    public ClusterSettings {
        seedNodes = List.copyOf(seedNodes);
        roles = List.copyOf(roles);
    }

    /** This node's address as the others know it. */
    public HostPort self() {
        return new HostPort(advertiseHost, bindPort);
    }
}
