package io.procpool.internal.cluster;

import io.procpool.config.ServiceSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;

/**
 * What must be the same for a service on every node (its definition travels with each node's own
 * file): the command, the cluster-wide counts, the environment, restarts, stops, drain, route,
 * dependencies and placement roles. Not the ports (each node's are its capacity) and not paths,
 * which resolve against each node's own directory.
 */
final class ServiceDefinition {

    private ServiceDefinition() {
    }

    /** A short digest of the definition, equal on two nodes exactly when their definitions agree. */
    static String fingerprint(ServiceSettings s) {
        String text = String.join("\n", s.name(), String.valueOf(s.command()), "min=" + s.minProcesses(), "max=" + s.maxProcesses(),
                String.valueOf(new TreeMap<>(s.env())), String.valueOf(s.restart()), String.valueOf(s.stop()),
                String.valueOf(s.drain()), String.valueOf(s.route()), String.valueOf(s.dependsOn()), "enabled=" + s.enabled(),
                "roles=" + s.placementRoles());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
