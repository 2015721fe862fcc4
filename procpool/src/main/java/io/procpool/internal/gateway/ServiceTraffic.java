package io.procpool.internal.gateway;

import io.procpool.api.InstanceState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One service's backends as the gateway uses them: which may be chosen, the requests waiting for
 * one, and the drains waiting for a backend's last request. Request threads choose and release;
 * the pool's events, drains and ejections change the set. The set that may be chosen is rebuilt on
 * each change (a handful of instances, changing a few times a second at most) so that a choice
 * reads one array.
 */
final class ServiceTraffic {

    /** Schedules {@code task} after {@code delay} (the answer cancels it), and runs tasks now, off the caller's thread. */
    interface Timers {
        Runnable schedule(Duration delay, Runnable task);

        /** Runs {@code task} on the gateway's threads (on the caller's, in tests). */
        default void execute(Runnable task) {
            task.run();
        }
    }

    /** Why a request got no backend. */
    enum NoBackend {
        /** More requests were already waiting than {@code gateway.max-queued}. */
        QUEUE_FULL,
        /** None became ready within {@code gateway.queue-timeout}. */
        TIMED_OUT,
        /** The service is gone (removed by a reload) or the gateway is closing. */
        GONE,
        /** The operator stopped the service: no instance will start until it is started again. */
        STOPPED
    }

    /** The answer of {@link #acquire}: a backend with one more request in flight, or why none. */
    record Acquired(Backend backend, NoBackend none) {
    }

    private static final Backend[] NONE = new Backend[0];

    private final String service;
    private final Balancer balancer;
    private final AtomicInteger queued;
    private final int maxQueued;
    private final Timers timers;
    private final LongSupplier nanos;
    private final Map<Integer, Backend> byPort = new ConcurrentHashMap<>();
    /** The instances of other cluster nodes, by {@code host:port}. */
    private final Map<String, Backend> remote = new ConcurrentHashMap<>();
    private volatile Backend[] choosable = NONE;
    /** Guarded by {@code this}. */
    private final ArrayDeque<CompletableFuture<Boolean>> waiting = new ArrayDeque<>();
    /** Drains waiting for a backend's last request; guarded by {@code this}. */
    private final Map<Backend, List<CompletableFuture<Void>>> drains = new java.util.HashMap<>();
    private volatile boolean gone;
    /** The operator stopped the service ({@link #stopped(boolean)}). */
    private volatile boolean stopped;

    /**
     * @param queued requests waiting, over every service (shared)
     * @param maxQueued the most that may wait at once
     * @param nanos the monotonic clock ejections are measured on
     */
    ServiceTraffic(String service, Balancer balancer, AtomicInteger queued, int maxQueued, Timers timers, LongSupplier nanos) {
        this.service = service;
        this.balancer = balancer;
        this.queued = queued;
        this.maxQueued = maxQueued;
        this.timers = timers;
        this.nanos = nanos;
    }

    String service() {
        return service;
    }

    /** A backend that may be chosen now, with one more request in flight; null when there is none. */
    Backend tryAcquire(Tried excluded) {
        for (int attempt = 0; attempt < 4; attempt++) {
            Backend[] set = choosable;
            if (!excluded.isEmpty()) {
                set = java.util.Arrays.stream(set).filter(b -> !excluded.excludes(b)).toArray(Backend[]::new);
            }
            if (set.length == 0) {
                return null;
            }
            Backend b = balancer.choose(set);
            b.begin();
            // A drain may have begun between the choice and the count: it has not seen this one.
            if (b.choosable(nanos.getAsLong())) {
                return b;
            }
            release(b);
        }
        return null;
    }

    /**
     * A backend with one more request in flight, now or as soon as one is ready, within
     * {@code timeout}; the stage completes with the reason when there is none.
     */
    CompletionStage<Acquired> acquire(Tried excluded, Duration timeout) {
        Backend now = tryAcquire(excluded);
        if (now != null) {
            return CompletableFuture.completedFuture(new Acquired(now, null));
        }
        NoBackend closed = closed();
        if (closed != null) {
            return CompletableFuture.completedFuture(new Acquired(null, closed));
        }
        if (timeout.isZero()) {
            return CompletableFuture.completedFuture(new Acquired(null, NoBackend.TIMED_OUT));
        }
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            return CompletableFuture.completedFuture(new Acquired(null, NoBackend.QUEUE_FULL));
        }
        long deadline = nanos.getAsLong() + timeout.toNanos();
        CompletableFuture<Acquired> answer = new CompletableFuture<>();
        waitOnce(excluded, deadline, answer);
        answer.whenComplete((a, e) -> queued.decrementAndGet());
        return answer;
    }

    /** Waits for the next change of the set (or the deadline), then tries again. */
    private void waitOnce(Tried excluded, long deadline, CompletableFuture<Acquired> answer) {
        CompletableFuture<Boolean> signal = new CompletableFuture<>();
        synchronized (this) {
            // Checked under the lock the changes take: a change between the first try and here is not lost.
            Backend b = tryAcquire(excluded);
            NoBackend closed = closed();
            if (b != null || closed != null) {
                answer.complete(new Acquired(b, b == null ? closed : null));
                return;
            }
            waiting.add(signal);
        }
        long left = deadline - nanos.getAsLong();
        Runnable cancel = timers.schedule(Duration.ofNanos(Math.max(0, left)), () -> signal.complete(false));
        signal.thenAccept(changed -> {
            cancel.run();
            if (!changed) {
                synchronized (this) {
                    waiting.remove(signal);
                }
                Backend last = tryAcquire(excluded);
                NoBackend closed = closed();
                answer.complete(last != null ? new Acquired(last, null) : new Acquired(null, closed != null ? closed : NoBackend.TIMED_OUT));
            } else if (closed() != null) {
                // Closed or stopped while it waited: one more try (another node's instance may be
                // ready), then the answer.
                Backend b = tryAcquire(excluded);
                answer.complete(b != null ? new Acquired(b, null) : new Acquired(null, closed()));
            } else {
                waitOnce(excluded, deadline, answer);
            }
        });
    }

    /** Why no request waits here now: the service is gone or stopped; null when requests may wait. */
    private NoBackend closed() {
        return gone ? NoBackend.GONE : stopped ? NoBackend.STOPPED : null;
    }

    /**
     * The operator stopped the service ({@code true}) or started it again: while it is stopped, a
     * request that finds no backend is answered at once, and those waiting are answered now.
     */
    void stopped(boolean now) {
        stopped = now;
        changed();
    }

    /** Requests waiting for a backend of this service now. */
    synchronized int waiting() {
        return waiting.size();
    }

    /** One request to {@code b} is over. */
    void release(Backend b) {
        if (b.end() && b.draining()) {
            List<CompletableFuture<Void>> done;
            synchronized (this) {
                done = drains.remove(b);
            }
            if (done != null) {
                done.forEach(f -> f.complete(null));
            }
        }
    }

    /** The pool reports {@code port} in {@code state}. */
    void onState(int port, InstanceState state) {
        Backend b = byPort.computeIfAbsent(port, p -> new Backend(service, p, nanos));
        if (state == InstanceState.STARTING) {
            b.newLife();
        }
        if (state == InstanceState.HEALTHY) {
            b.clearEjection();
        }
        b.ready(state == InstanceState.HEALTHY || state == InstanceState.RUNNING);
        changed();
    }

    /**
     * A planned stop of {@code port} begins: it is never chosen again in this life; the stage
     * completes when it has no request in flight.
     */
    CompletionStage<Void> drain(int port) {
        return drain(byPort.computeIfAbsent(port, p -> new Backend(service, p, nanos)));
    }

    /**
     * Another node is about to stop its instance at {@code address}: as {@link #drain(int)}. One
     * this gateway has never heard of has nothing in flight.
     */
    CompletionStage<Void> drainRemote(String address) {
        Backend b = remote.get(address);
        return b == null ? CompletableFuture.completedFuture(null) : drain(b);
    }

    private CompletionStage<Void> drain(Backend b) {
        CompletableFuture<Void> idle = new CompletableFuture<>();
        synchronized (this) {
            b.drain();
            if (b.inFlight() > 0) {
                drains.computeIfAbsent(b, x -> new ArrayList<>()).add(idle);
            } else {
                idle.complete(null);
            }
        }
        changed();
        return idle;
    }

    /**
     * A connection to {@code b} was refused: not chosen for {@code period} (or until the pool
     * reports it again).
     */
    void eject(Backend b, Duration period) {
        b.eject(nanos.getAsLong() + period.toNanos());
        changed();
        timers.schedule(period, this::changed);
    }

    /**
     * The other nodes report their instances of this service, by {@code host:port}: those ready
     * may be chosen, the rest not; one no longer reported is forgotten once nothing is in flight
     * to it.
     */
    void onRemote(Map<String, Remote> now) {
        now.forEach((address, r) -> {
            Backend b = remote.computeIfAbsent(address, a -> new Backend(service, r.host(), r.port(), true, nanos));
            boolean newLife = b.reported(r.pid());
            // As for a local one: an ejection ends early only when the instance becomes ready
            // (again), not at every report that says it still is (its node's probe may reach it
            // where this gateway cannot).
            if (r.ready() && (newLife || !b.ready())) {
                b.clearEjection();
            }
            b.ready(r.ready());
        });
        remote.entrySet().removeIf(e -> {
            if (now.containsKey(e.getKey())) {
                return false;
            }
            e.getValue().ready(false);
            synchronized (this) {
                return e.getValue().inFlight() == 0 && !drains.containsKey(e.getValue());
            }
        });
        changed();
    }

    /** An instance of another node as its node reports it. */
    record Remote(String host, int port, long pid, boolean ready) {
    }

    /** The requests in flight to {@code port}. */
    int inFlight(int port) {
        Backend b = byPort.get(port);
        return b == null ? 0 : b.inFlight();
    }

    /** Every backend ever seen, by port. */
    Map<Integer, Backend> backends() {
        return byPort;
    }

    /** The service is gone: waiting requests are answered, no new ones wait. */
    void close() {
        gone = true;
        changed();
    }

    /** Rebuilds the choosable set and wakes the waiting requests when it has any. */
    private void changed() {
        List<CompletableFuture<Boolean>> wake = List.of();
        synchronized (this) {
            long now = nanos.getAsLong();
            choosable = gone ? NONE : java.util.stream.Stream.concat(byPort.values().stream(), remote.values().stream())
                    .filter(b -> b.choosable(now))
                    .sorted(java.util.Comparator.comparing(Backend::host).thenComparingInt(Backend::port)).toArray(Backend[]::new);
            if ((choosable.length > 0 || closed() != null) && !waiting.isEmpty()) {
                wake = new ArrayList<>(waiting);
                waiting.clear();
            }
        }
        if (!wake.isEmpty()) {
            // The waiting requests go on where the gateway's work runs, not on the thread that
            // reported the change (an actor of the pool's, delivering its events).
            List<CompletableFuture<Boolean>> woken = wake;
            timers.execute(() -> woken.forEach(w -> w.complete(true)));
        }
    }

    /** The backends that may be chosen now (for tests and the status). */
    Backend[] choosable() {
        return choosable;
    }
}
