package io.procpool.internal;

import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The dispatchers procpool's own {@code reference.conf} defines ({@code procpool.dispatchers.*}), named once.
 * Why each exists and how many threads it has is written beside its definition there.
 */
public final class Dispatchers {

    /** The services' actors and their instances: one thread, so that a restart never waits for a hop. */
    public static final String INSTANCES = "procpool.dispatchers.instance";
    /** Pekko Streams in procpool's own system (gateway, admin API): a thread per core, apart from the actors. */
    public static final String STREAMS = "procpool.dispatchers.stream";
    /** File I/O (state file, log tails) and waiting for orphans: off every actor's thread. */
    public static final String BLOCKING = "procpool.dispatchers.blocking";

    private Dispatchers() {
    }

    public static DispatcherSelector instances() {
        return DispatcherSelector.fromConfig(INSTANCES);
    }

    public static DispatcherSelector streams() {
        return DispatcherSelector.fromConfig(STREAMS);
    }

    public static DispatcherSelector blocking() {
        return DispatcherSelector.fromConfig(BLOCKING);
    }
}
