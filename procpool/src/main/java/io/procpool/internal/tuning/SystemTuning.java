package io.procpool.internal.tuning;

import io.procpool.internal.Dispatchers;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;

/**
 * The settings of an actor system that procpool owns (not one an application hands in), on top of
 * the application's configuration. Each one's reason and figure:
 *
 * <ul>
 *   <li>{@link DeadlineScheduler} instead of Pekko's 10 ms tick: an idle pool of 500 instances
 *       woke 100 times a second for nothing, nearly all of its idle CPU (docs/benchmarks.md).</li>
 *   <li>One thread in the default dispatcher: procpool's actors never block and do little per
 *       message, so one thread keeps up with thousands of instances; with Pekko's default of at
 *       least 8 fork-join workers, most of the CPU of probing 500 instances every second was futex
 *       calls (a worker woken for one message, parked again), and 2 workers still cost half again
 *       as much as one.</li>
 *   <li>Streams (the gateway's and the admin API's connections) on a dispatcher of their own with
 *       a thread per core ({@code procpool.dispatchers.stream}): the gateway carries traffic on
 *       every core while the actors keep their one thread.</li>
 *   <li>The coordinated shutdown's service-stop phase lasts as long as a graceful stop of every
 *       instance may take, and the phase in which the gateway's requests in flight finish lasts
 *       as long as the gateway gives them (the longest {@code drain.timeout}), and 2 s.</li>
 *   <li>{@link #LOGGING}: Pekko logs through SLF4J (so through the command line's logback), no
 *       dead-letter lines, and the JVM is not exited by the system's shutdown. These were in
 *       procpool's {@code reference.conf}, where they leaked into every actor system of an
 *       application that embeds procpool, and where, in the command-line jar, Pekko's own
 *       {@code reference.conf} came later and undid them (the old jar logged dead letters; its
 *       log still went through SLF4J only because Pekko Typed's {@code pekko.use-slf4j} switches
 *       to it by itself). Here they apply to procpool's system alone, each unless the
 *       application's configuration (or the pool file's {@code pekko}) sets it itself.</li>
 * </ul>
 */
public final class SystemTuning {

    private SystemTuning() {
    }

    /** procpool's Pekko settings for a system of its own, each one under what the application sets itself. */
    public static final Config LOGGING = ConfigFactory.parseString("""
            pekko {
              loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
              logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
              loglevel = "INFO"
              stdout-loglevel = "OFF"
              log-dead-letters = 0
              log-dead-letters-during-shutdown = off
              coordinated-shutdown.exit-jvm = off
            }
            """, com.typesafe.config.ConfigParseOptions.defaults().setOriginDescription("procpool's own actor system"));

    /** The settings, with {@code application} behind them. */
    public static Config ownSystem(Duration stopBudget, Duration requestsDone, Config application) {
        return withoutNetworkSerializers(tuning(stopBudget, requestsDone)
                .withFallback(unlessSet(LOGGING, application))
                .withFallback(application)
                .withFallback(ConfigFactory.defaultReference(SystemTuning.class.getClassLoader())));
    }

    /**
     * Where the serializers of the modules that only a cluster node uses live: Pekko Remote's, Pekko
     * Cluster's (and its tools' and Distributed Data's), and Jackson's.
     */
    private static final List<String> NETWORK_SERIALIZERS = List.of("org.apache.pekko.remote.", "org.apache.pekko.cluster.",
            "org.apache.pekko.serialization.jackson.");

    /**
     * {@code config} with the serializers of {@link #NETWORK_SERIALIZERS} replaced by
     * {@link UnusedSerializer} and their bindings turned off ({@code none}: Pekko then does not even
     * load the bound classes). Pekko builds every configured serializer when a system starts, and
     * the command line's jar carries procpool-cluster, whose modules add theirs to the one merged
     * reference.conf: a pool running alone loaded about 750 classes of Pekko Cluster, Remote and
     * Jackson's Scala module for nothing, 10 MB more RSS (165 to 175 MB) and about 5 % more
     * startup. Replaced rather than removed: Pekko puts its reference configuration behind
     * whatever a system is given, so a removed key comes back. The pool's own system never talks
     * to another; the cluster runs in a system of its own (procpool-cluster), which keeps them.
     */
    static Config withoutNetworkSerializers(Config config) {
        String serializers = "pekko.actor.serializers";
        String bindings = "pekko.actor.serialization-bindings";
        if (!config.hasPath(serializers)) {
            return config;
        }
        java.util.Set<String> dropped = new java.util.HashSet<>();
        Config out = config;
        for (var e : config.getObject(serializers).entrySet()) {
            String className = String.valueOf(e.getValue().unwrapped());
            if (NETWORK_SERIALIZERS.stream().anyMatch(className::startsWith)) {
                dropped.add(e.getKey());
                out = out.withValue(serializers + "." + com.typesafe.config.ConfigUtil.quoteString(e.getKey()),
                        ConfigValueFactory.fromAnyRef(UnusedSerializer.class.getName()));
            }
        }
        if (config.hasPath(bindings)) {
            for (var e : config.getObject(bindings).entrySet()) {
                if (dropped.contains(String.valueOf(e.getValue().unwrapped()))) {
                    out = out.withValue(bindings + "." + com.typesafe.config.ConfigUtil.quoteString(e.getKey()),
                            ConfigValueFactory.fromAnyRef("none"));
                }
            }
        }
        return out;
    }

    /**
     * The values of {@code defaults} whose key {@code application} does not set itself: a value
     * from a library's {@code reference.conf} (Pekko's defaults) is not the application's.
     */
    static Config unlessSet(Config defaults, Config application) {
        Config out = ConfigFactory.empty();
        for (var e : defaults.entrySet()) {
            boolean own = application.hasPathOrNull(e.getKey()) && !fromReference(application.getValue(e.getKey()).origin());
            if (!own) {
                out = out.withValue(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static boolean fromReference(com.typesafe.config.ConfigOrigin origin) {
        if (origin.resource() != null) {
            return origin.resource().endsWith("reference.conf");
        }
        return origin.description() != null && origin.description().contains("reference.conf");
    }

    private static Config tuning(Duration stopBudget, Duration requestsDone) {
        return ConfigFactory.empty()
                .withValue("pekko.coordinated-shutdown.phases.service-stop.timeout",
                        ConfigValueFactory.fromAnyRef(stopBudget.toMillis() + "ms"))
                .withValue("pekko.coordinated-shutdown.phases.service-requests-done.timeout", ConfigValueFactory.fromAnyRef(requestsDone.plusSeconds(2).toMillis() + "ms"))
                .withValue("pekko.stream.materializer.dispatcher", ConfigValueFactory.fromAnyRef(Dispatchers.STREAMS))
                .withValue("pekko.scheduler.implementation", ConfigValueFactory.fromAnyRef(DeadlineScheduler.class.getName()))
                .withValue("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min", ConfigValueFactory.fromAnyRef(1))
                .withValue("pekko.actor.default-dispatcher.fork-join-executor.parallelism-factor", ConfigValueFactory.fromAnyRef(1.0))
                .withValue("pekko.actor.default-dispatcher.fork-join-executor.parallelism-max", ConfigValueFactory.fromAnyRef(1));
    }
}
