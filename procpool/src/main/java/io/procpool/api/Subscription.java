package io.procpool.api;

/** A subscription to a pool's events; close it to stop the deliveries. */
public interface Subscription extends AutoCloseable {

    /** Stops the deliveries. */
    @Override
    void close();
}
