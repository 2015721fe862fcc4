package io.procpool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole pool, validated and immutable: read once from a {@code Config} and then passed around.
 *
 * @param source where the configuration came from (a file name), for messages
 * @param admin the admin HTTP server
 * @param stateDir where child logs and the state file live (absolute)
 * @param services every configured service, enabled or not, in the order of the file
 * @param watchConfig re-read the configuration file when it changes on disk
 * @param childrenDieWithManager the kernel sends SIGTERM to the children when the manager dies
 * @param gateway procpool's own reverse proxy
 * @param feeds the proxy feeds written on every change of the ready set
 * @param startupTimeout how long the command line waits for every enabled service to have
 *     min-processes ready before it tells systemd it is ready anyway ({@code startup-timeout})
 * @param key the top key the section was written under ({@code procpool}, or {@code pool}, its
 *     older name), so that messages name keys as the file wrote them
 * @param cluster this procpool as a node of a cluster ({@link ClusterSettings#DISABLED}: alone)
 */
public record PoolSettings(String source, AdminSettings admin, Path stateDir, Map<String, ServiceSettings> services,
                           boolean watchConfig, boolean childrenDieWithManager, GatewaySettings gateway,
                           java.util.List<FeedSettings> feeds, Duration startupTimeout, String key, ClusterSettings cluster) {

    /** {@code startup-timeout}'s default (reference.conf has the same). */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

    public PoolSettings {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        feeds = java.util.List.copyOf(feeds);
    }

    /** Settings of a pool that runs alone (no cluster). */
    public PoolSettings(String source, AdminSettings admin, Path stateDir, Map<String, ServiceSettings> services,
                        boolean watchConfig, boolean childrenDieWithManager, GatewaySettings gateway,
                        java.util.List<FeedSettings> feeds, Duration startupTimeout, String key) {
        this(source, admin, stateDir, services, watchConfig, childrenDieWithManager, gateway, feeds, startupTimeout, key,
                ClusterSettings.DISABLED);
    }

    /** Settings of a section written under {@code procpool}, with the default startup timeout. */
    public PoolSettings(String source, AdminSettings admin, Path stateDir, Map<String, ServiceSettings> services,
                        boolean watchConfig, boolean childrenDieWithManager, GatewaySettings gateway,
                        java.util.List<FeedSettings> feeds) {
        this(source, admin, stateDir, services, watchConfig, childrenDieWithManager, gateway, feeds,
                DEFAULT_STARTUP_TIMEOUT, "procpool");
    }

    /** Settings of a section written under {@code procpool}. */
    public PoolSettings(String source, AdminSettings admin, Path stateDir, Map<String, ServiceSettings> services,
                        boolean watchConfig, boolean childrenDieWithManager, GatewaySettings gateway,
                        java.util.List<FeedSettings> feeds, Duration startupTimeout) {
        this(source, admin, stateDir, services, watchConfig, childrenDieWithManager, gateway, feeds, startupTimeout, "procpool");
    }

    /** Settings of a section written under {@code key}, with the default startup timeout. */
    public PoolSettings(String source, AdminSettings admin, Path stateDir, Map<String, ServiceSettings> services,
                        boolean watchConfig, boolean childrenDieWithManager, GatewaySettings gateway,
                        java.util.List<FeedSettings> feeds, String key) {
        this(source, admin, stateDir, services, watchConfig, childrenDieWithManager, gateway, feeds,
                DEFAULT_STARTUP_TIMEOUT, key);
    }

    /** {@code key} with the section's name in front, as the file wrote it: {@code procpool.admin.port}. */
    public String named(String key) {
        return this.key + "." + key;
    }

    /** The directory captured output goes to. */
    public Path logDir() {
        return stateDir.resolve("logs");
    }

    /** The longest time a graceful stop of any service may take, kill included (its drain not). */
    public Duration longestStop() {
        return services.values().stream().map(s -> s.stop().timeout()).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /**
     * How long the gateway's requests in flight get at shutdown, when every instance is drained at
     * once: the longest {@code drain.timeout} of the enabled services (10 s by default).
     */
    public Duration shutdownDrain() {
        return services.values().stream().filter(ServiceSettings::enabled).map(s -> s.drain().timeout())
                .max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** The longest drain of any service before its stop signal. */
    public Duration longestDrain() {
        return services.values().stream().map(s -> s.drain().longest()).max(Duration::compareTo).orElse(Duration.ZERO);
    }
}
