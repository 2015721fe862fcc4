package io.procpool.internal.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class SystemTuningTest {

    private static final Config WITH_CLUSTER_JARS = ConfigFactory.parseString("""
            pekko.actor.serializers {
              java = "org.apache.pekko.serialization.JavaSerializer"
              pekko-stream-ref = "org.apache.pekko.stream.serialization.StreamRefSerializer"
              pekko-cluster = "org.apache.pekko.cluster.protobuf.ClusterMessageSerializer"
              artery = "org.apache.pekko.remote.serialization.ArteryMessageSerializer"
              jackson-cbor = "org.apache.pekko.serialization.jackson.JacksonCborSerializer"
            }
            pekko.actor.serialization-bindings {
              "java.io.Serializable" = java
              "org.apache.pekko.cluster.ClusterMessage" = pekko-cluster
              "org.apache.pekko.remote.artery.ArteryMessage" = artery
              "com.example.Event" = jackson-cbor
            }
            """);

    @Test
    void aPoolsOwnSystemBuildsNoSerializerOfTheClustersModules() {
        Config c = SystemTuning.withoutNetworkSerializers(WITH_CLUSTER_JARS);
        assertEquals("org.apache.pekko.serialization.JavaSerializer", c.getString("pekko.actor.serializers.java"));
        assertEquals("org.apache.pekko.stream.serialization.StreamRefSerializer", c.getString("pekko.actor.serializers.pekko-stream-ref"));
        for (String gone : List.of("pekko-cluster", "artery", "jackson-cbor")) {
            assertEquals(UnusedSerializer.class.getName(), c.getString("pekko.actor.serializers." + gone), gone);
        }
        assertEquals("java", c.getString("pekko.actor.serialization-bindings.\"java.io.Serializable\""));
        for (String off : List.of("org.apache.pekko.cluster.ClusterMessage", "org.apache.pekko.remote.artery.ArteryMessage",
                "com.example.Event")) {
            assertEquals("none", c.getString("pekko.actor.serialization-bindings.\"" + off + "\""), off);
        }
    }

    @Test
    void aSystemStartsWithThemInPlace() {
        Config c = SystemTuning.withoutNetworkSerializers(WITH_CLUSTER_JARS.withFallback(ConfigFactory.defaultReference()));
        org.apache.pekko.actor.typed.ActorSystem<Void> system = org.apache.pekko.actor.typed.ActorSystem.create(
                org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "tuned", c);
        try {
            // Built at the start, each under its own identifier, or the system would not be up.
            assertEquals(UnusedSerializer.class, org.apache.pekko.serialization.SerializationExtension.get(system)
                    .serializerByIdentity().values().toStream().filter(x -> x instanceof UnusedSerializer).head().getClass());
        } finally {
            system.terminate();
        }
    }

    @Test
    void everyNetworkSerializerOfPekkoGetsAnIdentifierOfItsOwn() {
        List<String> aliases = List.of("typed-cluster", "reliable-delivery", "pekko-cluster", "pekko-containers", "pekko-misc", "artery",
                "proto", "daemon-create", "pekko-system-msg", "pekko-pubsub", "pekko-cluster-client", "pekko-singleton",
                "pekko-data-replication", "pekko-replicated-data", "jackson-json", "jackson-cbor", "jackson-cbor-264");
        assertEquals(aliases.size(), aliases.stream().map(a -> new UnusedSerializer(null, a).identifier()).distinct().count());
    }
}
