package io.procpool.testkit;

import io.procpool.spi.ChildProcess;
import io.procpool.spi.LaunchException;
import io.procpool.spi.LaunchSpec;
import io.procpool.spi.ProcessLauncher;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A {@link ProcessLauncher} that starts {@link SimulatedProcess}es, instantly and in memory.
 * Tests decide per port or per service what happens at launch: a normal start, a launch failure
 * (such as "command not found"), a launch that stays pending until released, or a script applied
 * to every process started.
 */
public final class SimulatedLauncher implements ProcessLauncher {

    private final AtomicLong nextPid = new AtomicLong(1000);
    private final LongSupplier clock;
    private final List<SimulatedProcess> started = new CopyOnWriteArrayList<>();
    private final Map<Integer, LaunchException> failures = new ConcurrentHashMap<>();
    private final Map<Integer, Consumer<SimulatedProcess>> byPort = new ConcurrentHashMap<>();
    private final Map<String, Consumer<SimulatedProcess>> byService = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Void>> held = new ConcurrentHashMap<>();

    /** A launcher whose processes record launch time 0 (for tests on Pekko's {@code ManualTime}). */
    public SimulatedLauncher() {
        this(() -> 0L);
    }

    /** A launcher whose processes record their launch time from {@code clock} (nanoseconds). */
    public SimulatedLauncher(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        LaunchException failure = failures.get(spec.port());
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        SimulatedProcess p = new SimulatedProcess(nextPid.incrementAndGet(), spec, clock.getAsLong());
        byService.getOrDefault(spec.service(), x -> { }).accept(p);
        byPort.getOrDefault(spec.port(), x -> { }).accept(p);
        started.add(p);
        CompletableFuture<Void> gate = held.get(spec.port());
        if (gate != null) {
            return gate.thenApply(x -> p);
        }
        return CompletableFuture.completedFuture(p);
    }

    /** Launches on {@code port} fail with {@code e} until {@link #succeed} is called. */
    public SimulatedLauncher failOn(int port, LaunchException e) {
        failures.put(port, e);
        return this;
    }

    /** Launches on {@code port} succeed again. */
    public SimulatedLauncher succeed(int port) {
        failures.remove(port);
        return this;
    }

    /** Every process started on {@code port} from now on is first passed to {@code script}. */
    public SimulatedLauncher onStart(int port, Consumer<SimulatedProcess> script) {
        byPort.put(port, script);
        return this;
    }

    /** Every process of {@code service} started from now on is first passed to {@code script}. */
    public SimulatedLauncher onStart(String service, Consumer<SimulatedProcess> script) {
        byService.put(service, script);
        return this;
    }

    /** Launches on {@code port} stay pending until {@link #release} is called. */
    public SimulatedLauncher hold(int port) {
        // One gate per hold, made here: a release that comes before the launch has looked for
        // it (the instance reports STARTING just before it launches) opens it all the same.
        held.computeIfAbsent(port, k -> new CompletableFuture<>());
        return this;
    }

    /** Completes the pending launches on {@code port}; later ones are not held. */
    public void release(int port) {
        CompletableFuture<Void> gate = held.remove(port);
        if (gate != null) {
            gate.complete(null);
        }
    }

    /** Every process started so far, oldest first. */
    public List<SimulatedProcess> started() {
        return List.copyOf(started);
    }

    /** Processes started on {@code port}, oldest first. */
    public List<SimulatedProcess> startedOn(int port) {
        return started.stream().filter(p -> p.spec().port() == port).toList();
    }

    /** The newest process started on {@code port}. */
    public SimulatedProcess latestOn(int port) {
        List<SimulatedProcess> on = startedOn(port);
        if (on.isEmpty()) {
            throw new IllegalStateException("nothing was started on port " + port);
        }
        return on.get(on.size() - 1);
    }

    /** The process running on {@code port} now, if any. */
    public Optional<SimulatedProcess> runningOn(int port) {
        List<SimulatedProcess> on = startedOn(port);
        return on.isEmpty() || !on.get(on.size() - 1).alive() ? Optional.empty() : Optional.of(on.get(on.size() - 1));
    }

    /** The process with {@code pid}. */
    public Optional<SimulatedProcess> byPid(long pid) {
        return started.stream().filter(p -> p.pid() == pid).findFirst();
    }

    long now() {
        return clock.getAsLong();
    }
}
