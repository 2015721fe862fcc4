package io.procpool.internal.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.procpool.internal.tuning.SystemTuning;
import io.procpool.internal.tuning.UnusedSerializer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

/**
 * Here, unlike in the library's own tests, Pekko Cluster, Remote and Jackson's serializer are on
 * the class path, as in the command line's jar: procpool's own actor system must build none of
 * their serializers, and the cluster's system all of them.
 */
class OwnSystemSerializersTest {

    private static final List<String> NETWORK = List.of("org.apache.pekko.cluster.", "org.apache.pekko.remote.",
            "org.apache.pekko.serialization.jackson.");

    private static boolean network(Object className) {
        return NETWORK.stream().anyMatch(String.valueOf(className)::startsWith);
    }

    @Test
    void aPoolsOwnSystemBuildsNoneOfTheClustersSerializers() {
        Map<String, Object> reference = ConfigFactory.defaultReference().getConfig("pekko.actor.serializers").root().unwrapped();
        List<String> aliases = reference.entrySet().stream().filter(e -> network(e.getValue())).map(Map.Entry::getKey).toList();
        assertTrue(aliases.size() >= 10, "the cluster's jars bring their serializers: " + aliases);

        Config own = SystemTuning.ownSystem(Duration.ofSeconds(5), Duration.ofSeconds(1), ConfigFactory.empty()).resolve();
        for (String alias : aliases) {
            assertEquals(UnusedSerializer.class.getName(), own.getString("pekko.actor.serializers.\"" + alias + "\""), alias);
        }
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "own", own);
        try {
            assertFalse(SerializationExtension.get(system).serializerByIdentity().values().toStream()
                    .exists(s -> network(s.getClass().getName())), "a serializer of the cluster's modules was built");
        } finally {
            system.terminate();
        }
    }

    @Test
    void theClustersOwnSystemKeepsThem() {
        Config cluster = ClusterConfig.of(io.procpool.config.ClusterSettings.DISABLED, List.of(), "1");
        assertEquals("org.apache.pekko.serialization.jackson.JacksonCborSerializer", cluster.getString("pekko.actor.serializers.jackson-cbor"));
    }
}
