package io.procpool.config;

import java.util.Optional;

/**
 * The admin HTTP server.
 *
 * @param enabled false when an embedding application does not want the server at all
 * @param host the address to bind; loopback unless a token is set
 * @param port the port to bind; 0 picks a free one
 * @param token when present, mutating calls need {@code Authorization: Bearer TOKEN}
 */
public record AdminSettings(boolean enabled, String host, int port, Optional<String> token) {

    /** True when the API listens beyond loopback: then it must have a token. */
    public boolean reachableFromOutside() {
        return enabled && !PoolConfigLoader.isLoopback(host);
    }
}
