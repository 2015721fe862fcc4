package io.procpool.internal.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import io.procpool.config.ClusterSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

    private static final ClusterSettings NODE = new ClusterSettings(true, "127.0.0.1", 25521,
            List.of(new ClusterSettings.HostPort("127.0.0.1", 25520), new ClusterSettings.HostPort("127.0.0.1", 25521)),
            List.of("web"), "10.0.0.7", ClusterSettings.OnDowned.REJOIN);

    @Test
    void bindsTheConfiguredInterfaceAndAdvertisesItsAddress() {
        Config c = ClusterConfig.of(NODE, NODE.seedNodes(), "1.2.3");
        assertEquals("cluster", c.getString("pekko.actor.provider"));
        assertEquals("127.0.0.1", c.getString("pekko.remote.artery.bind.hostname"));
        assertEquals(25521, c.getInt("pekko.remote.artery.bind.port"));
        assertEquals("10.0.0.7", c.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(25521, c.getInt("pekko.remote.artery.canonical.port"));
        assertEquals(List.of("pekko://procpool-cluster@127.0.0.1:25520", "pekko://procpool-cluster@127.0.0.1:25521"),
                c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(List.of("web"), c.getStringList("pekko.cluster.roles"));
        assertEquals("1.2.3", c.getString("pekko.cluster.app-version"));
    }

    @Test
    void tlsPutsTheNodesOnTlsTcpWithMutualAuthentication() {
        assertEquals("tcp", ClusterConfig.of(NODE, NODE.seedNodes(), "1").getString("pekko.remote.artery.transport"));
        ClusterSettings tls = new ClusterSettings(true, NODE.bindHost(), NODE.bindPort(), NODE.seedNodes(), NODE.roles(),
                NODE.advertiseHost(), NODE.onDowned(), java.util.Optional.of(new ClusterSettings.Tls(java.nio.file.Path.of("/etc/pp/k.p12"),
                "pw", java.nio.file.Path.of("/etc/pp/ca.p12"))));
        Config c = ClusterConfig.of(tls, tls.seedNodes(), "1");
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
        assertEquals("/etc/pp/k.p12", c.getString(engine + "key-store"));
        assertEquals("/etc/pp/ca.p12", c.getString(engine + "trust-store"));
        assertEquals("pw", c.getString(engine + "key-password"));
        assertEquals(true, c.getBoolean(engine + "require-mutual-authentication"));
        assertEquals("TLSv1.3", c.getString(engine + "protocol"));
        assertEquals(false, tls.tls().orElseThrow().toString().contains("pw"), "the password is not in the settings' text");
    }

    @Test
    void downsWithTheSplitBrainResolverTunedForTenSeconds() {
        Config c = ClusterConfig.of(NODE, NODE.seedNodes(), "1");
        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider", c.getString("pekko.cluster.downing-provider-class"));
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertEquals(Duration.ofSeconds(2), c.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
        assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.down-removal-margin"));
        assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
        assertEquals(Duration.ofMillis(1500), c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"));
        assertEquals(Duration.ofMillis(500), c.getDuration("pekko.cluster.typed.receptionist.distributed-data.gossip-interval"));
    }

    @Test
    void messagesGoAsJacksonCborNeverJavaSerialization() {
        Config c = ClusterConfig.of(NODE, List.of(), "1");
        assertEquals("off", c.getString("pekko.actor.allow-java-serialization"));
        assertEquals("jackson-cbor", c.getString("pekko.actor.serialization-bindings.\"io.procpool.internal.cluster.ClusterMessage\""));
    }

    @Test
    void anIpv6NodeIsBracketedInItsAddress() {
        assertEquals("pekko://procpool-cluster@[::1]:25520", ClusterConfig.address(new ClusterSettings.HostPort("::1", 25520)));
    }
}
