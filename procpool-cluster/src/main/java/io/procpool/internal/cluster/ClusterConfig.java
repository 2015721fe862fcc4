package io.procpool.internal.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.procpool.config.ClusterSettings;
import java.util.List;
import java.util.Map;

/**
 * The Pekko configuration of a node's cluster actor system, from {@code procpool.cluster}. Pure:
 * tested key by key. Why each value (docs/cluster.md has the whole timeline):
 *
 * <ul>
 *   <li>Split Brain Resolver, {@code keep-majority}: Pekko downs nobody without a downing
 *       provider, and a lost node's instances are only placed elsewhere once it is downed.</li>
 *   <li>{@code stable-after = 2s} (Pekko's default 20 s, its advice at least 7 s from 5 nodes):
 *       procpool promises a lost node's instances serving elsewhere within 10 s. With a heartbeat
 *       every 500 ms and 1.5 s of acceptable pause, a killed node is unreachable after about 2.5 s
 *       and downed about 2 s (and the resolver's 1 s tick) later. The price: a node that stalls
 *       for more than about 4.5 s (a long GC pause, a starved VM) is downed and its instances
 *       move; it then comes back as a new incarnation ({@code on-downed = rejoin}).</li>
 *   <li>{@code down-removal-margin = 500ms}: the singleton that places instances moves off a lost
 *       node that much after its removal (unset, it would wait stable-after).</li>
 *   <li>Messages between nodes as Jackson CBOR ({@link ClusterMessage}); Java serialization off.</li>
 *   <li>Artery TCP ({@code tls-tcp} with {@code cluster.tls}) bound to the configured interface only; the canonical address is
 *       {@code advertise-host}. JMX off: procpool has its own metrics, and several nodes in one
 *       test JVM would clash on the MBean's name.</li>
 * </ul>
 */
public final class ClusterConfig {

    /** The cluster actor system's name: part of every node's address, so the same on every node. */
    public static final String SYSTEM = "procpool-cluster";

    private ClusterConfig() {
    }

    /** The Pekko address of a node, as seed-nodes need it. */
    public static String address(ClusterSettings.HostPort node) {
        String host = node.host().contains(":") ? "[" + node.host() + "]" : node.host();
        return "pekko://" + SYSTEM + "@" + host + ":" + node.port();
    }

    /**
     * The configuration for {@code settings}, joining {@code seeds} (the configured seed nodes at
     * the first start; without this node itself when it comes back after being downed).
     */
    public static Config of(ClusterSettings settings, List<ClusterSettings.HostPort> seeds, String appVersion) {
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("pekko.actor.provider", "cluster");
        values.put("pekko.actor.allow-java-serialization", "off");
        values.put("pekko.actor.serialization-bindings.\"" + ClusterMessage.class.getName() + "\"", "jackson-cbor");
        values.put("pekko.remote.artery.transport", settings.tls().isPresent() ? "tls-tcp" : "tcp");
        settings.tls().ifPresent(tls -> {
            // Pekko's own engine: TLS 1.3, mutual authentication on (its defaults), one password
            // for the key store, the key and the trust store.
            String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
            values.put(engine + "key-store", tls.keyStore().toString());
            values.put(engine + "key-store-password", tls.password());
            values.put(engine + "key-password", tls.password());
            values.put(engine + "trust-store", tls.trustStore().toString());
            values.put(engine + "trust-store-password", tls.password());
            values.put(engine + "require-mutual-authentication", "on");
        });
        values.put("pekko.remote.artery.canonical.hostname", settings.advertiseHost());
        values.put("pekko.remote.artery.canonical.port", settings.bindPort());
        values.put("pekko.remote.artery.bind.hostname", settings.bindHost());
        values.put("pekko.remote.artery.bind.port", settings.bindPort());
        values.put("pekko.cluster.seed-nodes", seeds.stream().map(ClusterConfig::address).toList());
        values.put("pekko.cluster.roles", settings.roles());
        values.put("pekko.cluster.app-version", appVersion);
        values.put("pekko.cluster.downing-provider-class", "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
        values.put("pekko.cluster.split-brain-resolver.active-strategy", "keep-majority");
        values.put("pekko.cluster.split-brain-resolver.stable-after", "2s");
        values.put("pekko.cluster.down-removal-margin", "500ms");
        values.put("pekko.cluster.failure-detector.heartbeat-interval", "500ms");
        values.put("pekko.cluster.failure-detector.acceptable-heartbeat-pause", "1500ms");
        values.put("pekko.cluster.unreachable-nodes-reaper-interval", "250ms");
        // A downed node is removed at the leader's next tick, and only then does the placement
        // coordinator start anew when it ran there; the singleton's hand-over and its proxies'
        // search for the new one each waited a further second (bench-cluster: losing the
        // coordinator's node took up to 10.9 s with Pekko's defaults here).
        values.put("pekko.cluster.leader-actions-interval", "500ms");
        values.put("pekko.cluster.singleton.hand-over-retry-interval", "200ms");
        values.put("pekko.cluster.singleton-proxy.singleton-identification-interval", "200ms");
        // The agents find each other through the receptionist, whose registrations spread by
        // Distributed Data gossip, every 2 s by default: a node's first report reached the others
        // only then, and poolctl on another node, asked right after the cluster formed, listed
        // two nodes of three (seen in the hand check). A few nodes gossip cheaply.
        values.put("pekko.cluster.typed.receptionist.distributed-data.gossip-interval", "500ms");
        values.put("pekko.cluster.run-coordinated-shutdown-when-down", "on");
        values.put("pekko.cluster.jmx.enabled", "off");
        values.put("pekko.coordinated-shutdown.exit-jvm", "off");
        // procpool ends this system itself (a leave at the pool's close); the JVM's hook would race it.
        values.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
        values.put("pekko.loggers", List.of("org.apache.pekko.event.slf4j.Slf4jLogger"));
        values.put("pekko.logging-filter", "org.apache.pekko.event.slf4j.Slf4jLoggingFilter");
        values.put("pekko.stdout-loglevel", "OFF");
        values.put("pekko.log-dead-letters", 0);
        values.put("pekko.log-dead-letters-during-shutdown", "off");
        Config own = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            own = own.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue(), "procpool.cluster"));
        }
        return own.withFallback(ConfigFactory.defaultReference(ClusterConfig.class.getClassLoader()));
    }
}
