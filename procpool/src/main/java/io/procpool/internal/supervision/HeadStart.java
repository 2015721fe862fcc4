package io.procpool.internal.supervision;

import io.procpool.config.PoolSettings;
import io.procpool.config.ServiceSettings;
import io.procpool.config.Signal;
import io.procpool.config.StopSettings;
import io.procpool.internal.Threads;
import io.procpool.internal.process.PlatformLauncher;
import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first instances' processes, started while the actor system that supervises them is still
 * starting. A {@link ProcessLauncher} in front of the platform's: from the moment the state dir is
 * taken, a thread of its own starts, one after another, the instances the pools will start first
 * ({@link Instances#portsAtStart} of every enabled service that depends on nothing, with the
 * {@link Slot#specOf same spec}); it stops at the pools' first launch. A launch the pools then ask
 * for that was already begun here gets that process, not a second one; any other goes on to the
 * platform. So the decisions stay the pools' (what runs, and everything after the start): this
 * only moves the first starts earlier.
 *
 * <p>Why: before the pools exist, the actor system starts (about 0.25 s here); the children need not
 * wait for it. A cold start of 50 instances: 0.80 s without, 0.62 s with (bench/analysis.md, "Tenth
 * pass"). Why it stops at the pools' first launch rather than beginning everything: the starts it
 * makes compete with the actor system's for the cores. Beginning all 500 of a pool of 500 made the
 * whole start later (1.94 against 1.58 s); stopping at the first launch, 1.70 against 1.64 s.
 *
 * <p>A process begun here that no pool claims within {@link #CLAIM_WITHIN} (none should: the pools
 * start these same ports), or that is still unclaimed at {@link #close}, is stopped (its {@code stop.signal},
 * then SIGKILL after its {@code stop.timeout}) with a warning. The thread is marked as
 * outliving its children ({@link Threads#markOutlivesItsChildren}): their parent-death signal
 * follows this thread, so it ends only after every process it started has exited.
 */
public final class HeadStart implements ProcessLauncher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeadStart.class);
    /** Longer than any start of the supervision tree; a pool that is later than this is not coming. */
    static final Duration CLAIM_WITHIN = Duration.ofSeconds(60);

    private final ProcessLauncher next;
    /** Told, at a claim, the spec the start was prepared under and the pool's equal one (see {@link #begin}). */
    private final BiConsumer<LaunchSpec, LaunchSpec> sameSpec;
    private final Map<String, StopSettings> stops = new HashMap<>();
    private final Object lock = new Object();
    /** Begun here and not yet claimed, by spec (a record: equal specs are the same start). Guarded by {@link #lock}. */
    private final Map<LaunchSpec, Begun> unclaimed = new HashMap<>();
    /** Set at the pools' first launch, or at {@link #close}: nothing more begins here. Guarded by {@link #lock}. */
    private boolean over;
    private final CompletableFuture<Void> allClaimed = new CompletableFuture<>();
    /** How many starts were begun here, once no more will be. */
    private final CompletableFuture<Integer> begunCount = new CompletableFuture<>();
    /** The first starts the pools have not launched yet (begun here or not); see {@link #firstStartsLaunched}. */
    private final AtomicInteger firstLeft = new AtomicInteger();
    private final CompletableFuture<Void> firstLaunched = new CompletableFuture<>();

    private record Begun(LaunchSpec spec, CompletableFuture<ChildProcess> child) {
    }

    private HeadStart(ProcessLauncher next, BiConsumer<LaunchSpec, LaunchSpec> sameSpec) {
        this.next = next;
        this.sameSpec = sameSpec;
    }

    /**
     * Begins the first starts of {@code settings}' pools through {@code platform}, on a thread of
     * its own, and returns at once: the launcher to give the pools. Nothing is begun on a cluster
     * node, where the cluster places the instances.
     */
    public static HeadStart begin(PoolSettings settings, PlatformLauncher platform) {
        // The platform keeps what it prepared for a start by the spec's identity, and a pool keeps
        // its own spec object for every restart: told the pool's at the claim, the platform
        // prepares nothing again at the instance's first restart (0.5 ms of a crash to serving).
        return begin(settings, platform, platform::sameSpec);
    }

    /** {@link #begin(PoolSettings, PlatformLauncher)} for any launcher; {@code sameSpec} hears of each claim. */
    static HeadStart begin(PoolSettings settings, ProcessLauncher platform, BiConsumer<LaunchSpec, LaunchSpec> sameSpec) {
        HeadStart h = new HeadStart(platform, sameSpec);
        List<LaunchSpec> first = new ArrayList<>();
        if (!settings.cluster().enabled()) {
            for (ServiceSettings s : settings.services().values()) {
                if (s.enabled() && s.dependsOn().isEmpty()) {
                    h.stops.put(s.name(), s.stop());
                    Instances.portsAtStart(s).forEach(port -> first.add(Slot.specOf(s, port, settings.logDir())));
                }
            }
        }
        h.firstLeft.set(first.size());
        if (first.isEmpty()) {
            h.firstLaunched.complete(null);
            h.over = true;
            h.allClaimed.complete(null);
            h.begunCount.complete(0);
            return h;
        }
        Threads.daemon(() -> h.run(first), "procpool-head-start").start();
        return h;
    }

    private void run(List<LaunchSpec> specs) {
        Threads.markOutlivesItsChildren();
        List<CompletableFuture<ChildProcess>> begun = new ArrayList<>();
        try {
            for (LaunchSpec spec : specs) {
                CompletableFuture<ChildProcess> child = new CompletableFuture<>();
                synchronized (lock) {
                    if (over) {
                        break;
                    }
                    unclaimed.put(spec, new Begun(spec, child));
                }
                begun.add(child);
                try {
                    next.launch(spec).whenComplete((c, e) -> {
                        if (e != null) {
                            child.completeExceptionally(e);
                        } else {
                            child.complete(c);
                        }
                    });
                } catch (RuntimeException e) {
                    // The pool that claims it sees the failed start, as if it had made it.
                    child.completeExceptionally(e);
                }
            }
            synchronized (lock) {
                over = true;
                if (unclaimed.isEmpty()) {
                    allClaimed.complete(null);
                }
            }
            begunCount.complete(begun.size());
            try {
                allClaimed.get(CLAIM_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                stopUnclaimed("no pool claimed it within " + CLAIM_WITHIN.toSeconds() + " s").join();
            }
        } catch (Exception e) {
            log.error("the head start stopped: {}", e.toString(), e);
        } finally {
            begunCount.complete(begun.size());
            // The children's parent-death signal is this thread's end: it waits for theirs.
            for (CompletableFuture<ChildProcess> child : begun) {
                child.handle((c, e) -> c).thenCompose(c -> c == null ? CompletableFuture.completedFuture(null)
                        : c.onExit().toCompletableFuture()).join();
            }
        }
    }

    /** How many starts were begun here, once no more will be. */
    CompletionStage<Integer> begun() {
        return begunCount;
    }

    /**
     * Done once the pools have launched as many starts as there are first starts (those this
     * began and those it did not get to), or at {@link #close}: the children of a cold start
     * are then on their way. What waits for it: the admin API's and the gateway's bind
     * (ProcessPool), which would otherwise take the cores from those launches.
     */
    public CompletionStage<Void> firstStartsLaunched() {
        return firstLaunched;
    }

    @Override
    public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        if (!firstLaunched.isDone() && firstLeft.decrementAndGet() <= 0) {
            firstLaunched.complete(null);
        }
        if (allClaimed.isDone()) {
            // The path of every restart: no lock, and no hash of the spec (a record's hashCode runs
            // through method handles, interpreted for its first hundreds of calls: the first ten
            // crashes to serving of a JVM took 4.5 ms instead of 3.9 with it).
            return next.launch(spec);
        }
        Begun early;
        synchronized (lock) {
            over = true;
            early = unclaimed.remove(spec);
            if (early != null && unclaimed.isEmpty()) {
                allClaimed.complete(null);
            }
        }
        if (early == null) {
            return next.launch(spec);
        }
        sameSpec.accept(early.spec(), spec);
        return early.child();
    }

    @Override
    public void expect(Collection<LaunchSpec> specs) {
        if (allClaimed.isDone()) {
            next.expect(specs);
            return;
        }
        List<LaunchSpec> rest;
        synchronized (lock) {
            rest = specs.stream().filter(s -> !unclaimed.containsKey(s)).toList();
        }
        if (!rest.isEmpty()) {
            next.expect(rest);
        }
    }

    /** Nothing more begins here; what was begun and not claimed is stopped, and gone when this returns. */
    @Override
    public void close() {
        firstLaunched.complete(null);
        stopUnclaimed("procpool stopped before its pool claimed it").join();
    }

    private CompletableFuture<Void> stopUnclaimed(String why) {
        Map<LaunchSpec, Begun> left;
        synchronized (lock) {
            over = true;
            left = new HashMap<>(unclaimed);
            unclaimed.clear();
            allClaimed.complete(null);
        }
        List<CompletableFuture<?>> gone = new ArrayList<>();
        left.forEach((spec, begun) -> gone.add(begun.child().handle((c, e) -> c).thenCompose(c -> {
            if (c == null) {
                return CompletableFuture.completedFuture(null);
            }
            log.warn("{}: stopping pid {}, started ahead of its pool: {}", spec.label(), c.pid(), why);
            StopSettings stop = stops.get(spec.service());
            c.signal(stop.signal());
            return c.onExit().toCompletableFuture().thenApply(x -> (Object) x)
                    .completeOnTimeout(null, stop.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .thenCompose(x -> {
                        if (x != null) {
                            return CompletableFuture.completedFuture(null);
                        }
                        c.signal(Signal.KILL);
                        return c.onExit().toCompletableFuture();
                    });
        })));
        return CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new));
    }
}
