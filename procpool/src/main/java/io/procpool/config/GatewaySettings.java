package io.procpool.config;

import java.time.Duration;

/**
 * procpool's own reverse proxy ({@code procpool.gateway}).
 *
 * @param enabled false: no gateway
 * @param host the address to bind
 * @param port the port to bind; 0 picks a free one
 * @param balance how an instance is chosen among the ready ones
 * @param queueTimeout how long a request waits for a ready instance before 503
 * @param maxQueued how many requests may wait at once, over all services; more are answered 503 at once
 */
public record GatewaySettings(boolean enabled, String host, int port, Balance balance, Duration queueTimeout, int maxQueued) {

    /** The balancing rules. */
    public enum Balance {
        /** Two ready instances at random, the one with fewer requests in flight (YARP's and Traefik's default). */
        P2C,
        /** Each ready instance in turn (the original pool's). */
        ROUND_ROBIN,
        /** The ready instance with the fewest requests in flight. */
        LEAST_REQUESTS;

        /** The rule named {@code name} as written in a pool file ({@code round-robin}); null for none. */
        public static Balance named(String name) {
            for (Balance b : values()) {
                if (b.configName().equals(name)) {
                    return b;
                }
            }
            return null;
        }

        /** The name as written in a pool file. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** No gateway. */
    public static final GatewaySettings DISABLED = new GatewaySettings(false, "127.0.0.1", 0, Balance.P2C, Duration.ofSeconds(10), 1000);
}
