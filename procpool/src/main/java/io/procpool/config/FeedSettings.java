package io.procpool.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One proxy feed ({@code procpool.feeds.NAME}): a file procpool rewrites, atomically, whenever the
 * ready set of any service changes, and a command it runs after each write.
 *
 * @param name the format: nginx, haproxy, yarp, traefik or envoy
 * @param file where the feed is written (absolute)
 * @param reloadCommand run after each write (no shell; empty for none), such as {@code nginx -s reload}
 * @param keepalive nginx only: the {@code keepalive} of each upstream (0: none)
 */
public record FeedSettings(String name, Path file, List<String> reloadCommand, int keepalive) {

    /** The formats a feed may have. */
    public static final List<String> NAMES = List.of("nginx", "haproxy", "yarp", "traefik", "envoy");

    public FeedSettings {
        reloadCommand = List.copyOf(reloadCommand);
    }
}
