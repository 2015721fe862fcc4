package io.procpool.spi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A door that sends traffic to the instances (procpool's gateway; an embedding application's own
 * balancer), as the supervision tree sees it before a planned stop: the seam of the drain.
 *
 * <p>Contract: {@link #drain} is called on an actor's thread and must not block. From the moment
 * it is called the door sends {@code port} no new request; the stage completes when the requests
 * it already sent there are over. procpool sends the stop signal when the stage completes or the
 * service's {@code drain.timeout} has passed, whichever is first. A door with nothing in flight
 * answers a completed stage, and the stop goes on without a hop between threads.
 */
public interface TrafficDoor {

    /** No door: nothing is ever in flight. */
    TrafficDoor NONE = (service, port) -> CompletableFuture.completedFuture(null);

    /** The instance of {@code service} on {@code port} is about to be stopped: send it nothing new. */
    CompletionStage<Void> drain(String service, int port);

    /**
     * The operator stopped {@code service} ({@code true}) or started it again ({@code false}).
     * While it is stopped nobody will start an instance of it, so a door answers a request that
     * finds none ready at once instead of holding it for one. Called on an actor's thread; must
     * not block. A service scaled to 0, or placed on other cluster nodes, is not stopped.
     */
    default void stopped(String service, boolean stopped) {
    }

    /**
     * A reload removed {@code service} or disabled it: it takes no request from now on, and a
     * door answers those waiting for one of its instances at once. Called on an actor's thread,
     * before its instances are told to stop; must not block.
     */
    default void removed(String service) {
    }

    /**
     * The average number of requests the door had in flight to the instance of {@code service} on
     * {@code port} since the last time this was asked for it (the time integral of its in-flight
     * count over the time between the two asks): the {@code in-flight} scaling metric. Empty the
     * first time, and for a door that does not count.
     */
    default java.util.OptionalDouble averageInFlight(String service, int port) {
        return java.util.OptionalDouble.empty();
    }
}
