package io.procpool.internal.gateway;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance as the gateway sees it: its port, the requests the gateway has in flight to it,
 * and whether it may be chosen. Its fields are written by the thread that delivers pool events
 * (and by drains and ejections) and read by request threads.
 */
final class Backend {

    private final String service;
    private final int port;
    private final String host;
    private final String authority;
    /** An instance of another cluster node. */
    private final boolean remote;
    /** Another node's instance: the process its node last reported on it (a new one is a new life). */
    private volatile long pid;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The pool says it is ready (HEALTHY). */
    private volatile boolean ready;
    /** A planned stop has begun: never chosen again in this life. Cleared when a new life starts. */
    private volatile boolean draining;
    /** A connection to it was refused: not chosen before this time (System.nanoTime), unless an event says otherwise. */
    private volatile long ejectedUntil;
    /** Which life of the instance on this port (counts STARTING reports). */
    private volatile int life;

    private final java.util.function.LongSupplier nanos;
    /** The time integral of the in-flight count, in request-nanoseconds; guarded by {@code this}. */
    private long integral;
    private long lastChange;
    private long askedIntegral;
    private long askedAt;
    private boolean asked;

    Backend(String service, int port) {
        this(service, port, System::nanoTime);
    }

    Backend(String service, int port, java.util.function.LongSupplier nanos) {
        this(service, io.procpool.api.InstanceStatus.LOOPBACK, port, false, nanos);
    }

    /** An instance reached at {@code host:port}; {@code remote} when it runs on another cluster node. */
    Backend(String service, String host, int port, boolean remote, java.util.function.LongSupplier nanos) {
        this.service = service;
        this.port = port;
        this.host = host;
        this.authority = host + ":" + port;
        this.remote = remote;
        this.nanos = nanos;
        this.lastChange = nanos.getAsLong();
    }

    String service() {
        return service;
    }

    int port() {
        return port;
    }

    String host() {
        return host;
    }

    /** {@code HOST:PORT}: {@code 127.0.0.1:PORT} for this node's own instances. */
    String authority() {
        return authority;
    }

    /** Runs on another cluster node: its node decides its state, this gateway only hears of it. */
    boolean remote() {
        return remote;
    }

    /**
     * Another node reports this instance with process {@code pid}: a process other than the last
     * one reported is a new life ({@link #newLife}); true when it is.
     */
    boolean reported(long pid) {
        if (pid != this.pid) {
            this.pid = pid;
            newLife();
            return true;
        }
        return false;
    }

    int life() {
        return life;
    }

    int inFlight() {
        return inFlight.get();
    }

    boolean ready() {
        return ready;
    }

    boolean draining() {
        return draining;
    }

    /** May it be given a new request at {@code now} (System.nanoTime)? */
    boolean choosable(long now) {
        return ready && !draining && now - ejectedUntil >= 0;
    }

    void ready(boolean ready) {
        this.ready = ready;
    }

    /** A new life (STARTING): whatever the last one was doing is forgotten. */
    void newLife() {
        life++;
        draining = false;
        ejectedUntil = 0;
    }

    void drain() {
        draining = true;
    }

    void eject(long until) {
        ejectedUntil = until;
    }

    void clearEjection() {
        ejectedUntil = 0;
    }

    /** One more request in flight; the caller must check {@link #choosable} again after this. */
    void begin() {
        long now = nanos.getAsLong();
        synchronized (this) {
            accumulate(now);
            inFlight.incrementAndGet();
        }
    }

    /** One request fewer in flight; true when none is left. */
    boolean end() {
        long now = nanos.getAsLong();
        synchronized (this) {
            accumulate(now);
            return inFlight.decrementAndGet() == 0;
        }
    }

    private void accumulate(long now) {
        integral += inFlight.get() * (now - lastChange);
        lastChange = now;
    }

    /** The average in-flight count since the last time this was asked; empty the first time. */
    synchronized java.util.OptionalDouble averageSinceAsked() {
        long now = nanos.getAsLong();
        accumulate(now);
        java.util.OptionalDouble answer = asked && now > askedAt
                ? java.util.OptionalDouble.of((integral - askedIntegral) / (double) (now - askedAt)) : java.util.OptionalDouble.empty();
        asked = true;
        askedIntegral = integral;
        askedAt = now;
        return answer;
    }

    @Override
    public String toString() {
        return remote ? service + "@" + authority : service + ":" + port;
    }
}
