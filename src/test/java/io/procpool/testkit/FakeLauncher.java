package io.procpool.testkit;

import io.procpool.process.ChildProcess;
import io.procpool.process.LaunchException;
import io.procpool.process.LaunchSpec;
import io.procpool.process.ProcessLauncher;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link ProcessLauncher} that starts {@link FakeProcess}es, instantly and in memory. Tests
 * decide per port what happens at launch: a normal start, a launch failure, or a launch that
 * stays pending until released.
 */
public final class FakeLauncher implements ProcessLauncher {

    private final AtomicLong nextPid = new AtomicLong(1000);
    private final List<FakeProcess> started = new CopyOnWriteArrayList<>();
    private final Map<Integer, LaunchException> failures = new ConcurrentHashMap<>();
    private final Map<Integer, Consumer<FakeProcess>> onStart = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Void>> held = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> holding = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<ChildProcess> launch(LaunchSpec spec) {
        LaunchException failure = failures.get(spec.port());
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        FakeProcess p = new FakeProcess(nextPid.incrementAndGet(), spec);
        onStart.getOrDefault(spec.port(), x -> { }).accept(p);
        started.add(p);
        if (holding.containsKey(spec.port())) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            held.put(spec.port(), gate);
            return gate.thenApply(x -> p);
        }
        return CompletableFuture.completedFuture(p);
    }

    /** Launches on {@code port} fail with {@code e} until {@link #succeed} is called. */
    public FakeLauncher failOn(int port, LaunchException e) {
        failures.put(port, e);
        return this;
    }

    /** Launches on {@code port} succeed again. */
    public FakeLauncher succeed(int port) {
        failures.remove(port);
        return this;
    }

    /** Every process started on {@code port} from now on is first passed to {@code script}. */
    public FakeLauncher onStart(int port, Consumer<FakeProcess> script) {
        onStart.put(port, script);
        return this;
    }

    /** Launches on {@code port} stay pending until {@link #release} is called. */
    public FakeLauncher hold(int port) {
        holding.put(port, true);
        return this;
    }

    /** Completes the pending launch on {@code port}. */
    public void release(int port) {
        holding.remove(port);
        CompletableFuture<Void> gate = held.remove(port);
        if (gate != null) {
            gate.complete(null);
        }
    }

    /** Every process started so far, oldest first. */
    public List<FakeProcess> started() {
        return List.copyOf(started);
    }

    /** Processes started on {@code port}, oldest first. */
    public List<FakeProcess> startedOn(int port) {
        return started.stream().filter(p -> p.spec().port() == port).toList();
    }

    /** The newest process started on {@code port}. */
    public FakeProcess latestOn(int port) {
        List<FakeProcess> on = startedOn(port);
        if (on.isEmpty()) {
            throw new IllegalStateException("nothing was started on port " + port);
        }
        return on.get(on.size() - 1);
    }

    /** The process with {@code pid}. */
    public Optional<FakeProcess> byPid(long pid) {
        return started.stream().filter(p -> p.pid() == pid).findFirst();
    }
}
